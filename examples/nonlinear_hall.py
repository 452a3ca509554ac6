"""Exchange nonlinear Hall effect of a Kwant lattice model in a few lines.

Builds the PT-symmetric tilted Dirac model H_PT as a Kwant square-lattice
builder, takes its Bloch Hamiltonian, and computes the intrinsic (BCP) and
exchange (Eq. 9 of the ENH paper) nonlinear Hall conductivities sigma^xyx at
the paper's parameters (T = 0, contact interaction V0), next to the closed
forms to first order in the tilt and to the continuum model.

The intrinsic response is a Fermi-surface property: lattice and closed form
agree.  The exchange response is not: its exchange field sums the spin
Berry polarisability over all filled states, and the lattice's filled bands
(with the massive doublers at the zone boundary) carry a different Dirac-sea
part than the continuum (a mu-independent offset, checked in
``python -m validation nonlinear_hall``).  So the lattice ENH differs from
Eq. (9), which is the continuum's; the continuum model reproduces Eq. (9).

Run ``python examples/nonlinear_hall.py [--out nonlinear_hall.png]`` (about
a minute); it saves the conductivities against mu.
"""
import argparse

import numpy as np

from kwant_noneq import analytic_nonlinear_hall as closed_form
from kwant_noneq.bloch import bloch_hamiltonian
from kwant_noneq.kintegrate import LatticePockets
from kwant_noneq.nonlinear_hall import Flavour, enh_pt_conductivity, inh_conductivity
from kwant_noneq.pauli import pauli_spin
from kwant_noneq.systems.dirac2d import h_pt_builder, h_pt_flavour, paper_parameters


def main(out="nonlinear_hall.png"):
    p = paper_parameters()            # eV, nm, ps; V0 = e^2/(4 pi eps0 q_s) in eV nm^2
    a = 0.1                           # lattice constant [nm]
    builder = h_pt_builder(a=a)       # any kwant.Builder with a 2D TranslationalSymmetry
    H = bloch_hamiltonian(builder, {k: p[k] for k in ("delta", "hbar_vx", "hbar_vy", "alpha")})
    spin = pauli_spin(4)              # 1_tau (x) s, spin is the fast index
    integrator = LatticePockets(2 * np.pi / a * np.eye(2), pocket_centers=[(0, 0)],
                                pocket_radius=8.0, n_grid=64, n_angles=16, n_radial=8)
    pt = Flavour(H, spin, integrator)

    continuum = h_pt_flavour(p)      # the continuum H_PT, polar k grid
    first_order = (p["delta"], p["hbar_vx"], p["alpha"])

    print(f"sigma^xyx [A nm/V^2] of H_PT at T = 0; closed forms to first order in "
          f"alpha/hbar v = {p['alpha'] / p['hbar_vx']:.1f}; lattice a = {a} nm")
    print(f"{'mu [meV]':>8} {'INH lattice':>12} {'INH closed':>11} {'ENH contin.':>12} "
          f"{'ENH Eq. (9)':>12} {'ENH lattice':>12} {'quadrature':>10}")
    mus = np.array([0.06, 0.08, 0.1, 0.15, 0.2, 0.3])   # eV
    inh, enh, enh_cont = [], [], []
    for mu in mus:
        r_inh = inh_conductivity(pt, mu)
        r_enh = enh_pt_conductivity(pt, mu, interaction=p["V0"])
        r_cont = enh_pt_conductivity(continuum, mu, interaction=p["V0"])
        inh.append(r_inh.sigma[0, 1, 0])
        enh.append(r_enh.sigma[0, 1, 0])
        enh_cont.append(r_cont.sigma[0, 1, 0])
        quadrature = max(r_inh.convergence, r_enh.convergence, r_cont.convergence)
        print(f"{mu * 1e3:8.0f} {inh[-1]:+12.3e} "
              f"{closed_form.inh_pt(mu, *first_order)[0, 1, 0]:+11.3e} {enh_cont[-1]:+12.3e} "
              f"{closed_form.enh_pt(mu, *first_order, p['V0'])[0, 1, 0]:+12.3e} "
              f"{enh[-1]:+12.3e} {quadrature:10.0e}")
    print("quadrature: relative change when the k grid is refined.\nINH lives on the Fermi "
          "surface: lattice = closed form to O((k_F a)^2, (alpha/hbar v)^2).  ENH sums the spin "
          "Berry polarisability\nover all filled states: the lattice's Dirac sea (massive "
          "doublers included) differs from the continuum's, so only the continuum gives Eq. (9).")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    line = np.linspace(0.052, 0.3, 200)
    unit = 1e-5                       # A nm/V^2 per plotted unit
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(line * 1e3, closed_form.inh_pt(line, *first_order)[:, 0, 1, 0] / unit, "b-", lw=1,
            label=r"$\sigma_\mathrm{INH}$, first order in $\alpha$")
    ax.plot(line * 1e3, closed_form.enh_pt(line, *first_order, p["V0"])[:, 0, 1, 0] / unit,
            "r-", lw=1, label=r"$\sigma_\mathrm{ENH}$ (Eq. 9), first order in $\alpha$")
    ax.plot(mus * 1e3, np.array(inh) / unit, "bo",
            label=rf"lattice $\sigma_\mathrm{{INH}}$, $a$ = {a} nm")
    ax.plot(mus * 1e3, np.array(enh) / unit, "rx", ms=8,
            label=r"lattice $\sigma_\mathrm{ENH}$ (another Dirac sea)")
    ax.plot(mus * 1e3, np.array(enh_cont) / unit, "ro", mfc="none",
            label=r"continuum $\sigma_\mathrm{ENH}$")
    ax.axhline(0, color="0.6", lw=0.5)
    ax.set_xlabel(r"$\mu$ [meV]")
    ax.set_ylabel(r"$\sigma^{xyx}$ [$10^{-5}$ A nm/V$^2$]")
    ax.set_title(r"$H_{PT}$: $\Delta$ = 50 meV, $\alpha/\hbar v$ = 0.1, $V_0$ = "
                 f"{p['V0']:.1f} eV nm$^2$, $T$ = 0", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"figure: {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="nonlinear_hall.png")
    main(parser.parse_args().out)
