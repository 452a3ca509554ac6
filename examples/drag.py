"""Coulomb drag and anomalous Hall drag in a magnetic TI film.

Continuum film of Eq. (1) of Liu, Liu and Culcer with the parameters of
their Fig. 3 (n = 1e12 cm^-2 per surface, d = 10 nm, eps_r = 20,
tau = 0.1 ps, M_a = M_p = 10 meV):

1. the longitudinal and anomalous Hall drag resistivities against T;
2. rho_D^yx against the passive layer's mass M_p, for an active layer with
   M_a = 0 and M_a = 20 meV, and the bound on their difference (the paper's
   "independent of M_a" holds to first order in eps_a = (M_a/hbar v k_F)^2);
3. the same surfaces as a Kwant lattice (Wilson-regularised, one Dirac cone
   per surface): its static polarisation against the closed form.

Run ``python examples/drag.py [--out drag.png]`` (under a minute); it saves
rho_D(T), rho_D^yx(M_p) and the M_a change with its bound in one figure.
"""
import argparse
import dataclasses

import numpy as np

from kwant_noneq.analytic_drag import MassiveDiracLayer
from kwant_noneq.bloch import bloch_hamiltonian
from kwant_noneq.constants import COULOMB, KB
from kwant_noneq.polarization import polar_rule, static_polarization
from kwant_noneq.systems.ti_film import TIFilm, layer_projectors, make_lattice_film, per_cm2


def main(out="drag.png"):
    film = TIFilm(A=0.41, M_a=0.01, M_p=0.01, n_a=per_cm2(1e12), n_p=per_cm2(1e12),
                  d=10.0, eps_r=20.0, tau_a=0.1, tau_p=0.1)   # eV nm, eV, 1/nm^2, nm, -, ps
    temperatures = [1.0, 2.0, 5.0, 10.0, 20.0]                 # K
    drag = [film.drag(T) for T in temperatures]
    for T, r in zip(temperatures, drag):
        print(f"T = {T:4.1f} K: rho_D^xx = {r.rho_xx_ohm:.3e} Ohm, "
              f"rho_D^yx = {r.rho_yx_ohm:.3e} Ohm")

    # How rho_D^yx depends on M_a.  The active layer drags through its
    # Fermi-surface transitions only (its Berry curvature moves no
    # occupation), and at fixed density (k_F fixed) its mass enters through
    # two even functions of M_a:
    #   Im Pi slope   S_a(q; M_a)/S_a(q; 0) = 1 + eps_a/(1 - (q/2k_F)^2),
    #   screening     D_a(M_a)/D_a(0) = sqrt(1 + eps_a),  D_a = mu_a/(2 pi A^2),
    # with eps_a = (M_a/A k_F)^2 (velocity and tau_a cancel against sigma_a).
    # The first raises rho_D^yx by eps_a (1 + O((q/2k_F)^2), q ~ 1/d); the
    # stronger screening takes back the active layer's share of it (all for
    # q_TF d >> 1, none for q_TF d << 1).  Hence, to first order in eps_a and
    # for k_B T << E_F (rho_D^xx alike; docs/drag.md has the exact bounds),
    #   0 <= rho_D^yx(M_a)/rho_D^yx(0) - 1 <= eps_a (1 + O((2 k_F d)^-2)).
    Ma = 0.02                                                    # eV
    active = dataclasses.replace(film, M_a=Ma).active
    kf, A = active.fermi_wavevector, active.A
    eps_a = (Ma / (A * kf)) ** 2
    q_tf_d = 2 * np.pi * COULOMB * float(active.dos(active.mu)) / film.eps_r * film.d
    print(f"\nrho_D^yx at 5 K for M_a = 0 and {Ma * 1e3:.0f} meV: M_a enters at first order "
          f"in eps_a = (M_a/hbar v k_F)^2 = {eps_a:.2%};\nbound 0 <= change <= eps_a "
          f"(1 + O((2 k_F d)^-2 = {(2 * kf * film.d) ** -2:.1%})), the lower end for "
          f"q_TF d >> 1 (here q_TF d = {q_tf_d:.1f})")
    masses = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.4])         # M_p [eV]
    rho = np.array([[dataclasses.replace(film, M_a=m_a, M_p=Mp).drag(5.0).rho_yx_ohm
                     for Mp in masses]
                    for m_a in (0.0, Ma)])
    for Mp, r0, r1 in zip(masses, *rho):
        print(f"  M_p = {Mp * 1e3:5.0f} meV: {r0:.4e} Ohm, {r1:.4e} Ohm "
              f"(change {r1 / r0 - 1:+.2%}, bound [0, {eps_a:.2%}])")

    # Lattice: static polarisation of the top surface, doped minus undoped
    # (the Fermi sea's vacuum part cancels), for two lattice constants.
    mu, M, T = 0.15, 0.03, 116.0                                 # eV, eV, K
    layer, layer0 = MassiveDiracLayer(0.41, M, mu), MassiveDiracLayer(0.41, M, 0.0)
    q = 0.5 * layer.fermi_wavevector
    cont = layer.pi_static(q, T)[0] - layer0.pi_static(q, T)[0]
    kp, w = polar_rule(layer.wavevector(mu + 20 * KB * T) + q, 200, 192)
    pa, _ = layer_projectors()
    print(f"\nPi(q = k_F/2) of the doped top surface minus the undoped one "
          f"(mu = {mu * 1e3:.0f} meV, M = {M * 1e3:.0f} meV, T = {T:.0f} K); the lattice "
          f"differs by the O(a) error of its Wilson term B k^2 (B = A a/2):")
    print(f"  continuum      {cont:.5f} 1/(eV nm^2)")
    for a in (0.1, 0.05):                                        # nm
        H = bloch_hamiltonian(make_lattice_film(a), dict(A=0.41, B=0.41 * a / 2, M_a=M, M_p=0.02))
        lat = (static_polarization(H, [q, 0], mu, T, kp, w, vertex=pa)
               - static_polarization(H, [q, 0], 0.0, T, kp, w, vertex=pa))
        print(f"  a = {a:4.2f} nm    {lat:.5f} 1/(eV nm^2) ({lat / cont - 1:+.2%})")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.6))
    Ts = np.array(temperatures)
    for values, style, label in (([r.rho_xx_ohm for r in drag], "o", r"$\rho_D^{xx}$"),
                                 ([-r.rho_yx_ohm for r in drag], "s", r"$-\rho_D^{yx}$")):
        line, = ax[0].loglog(Ts, values, style, label=label)
        ax[0].loglog(Ts, values[0] * Ts ** 2, ":", color=line.get_color(), lw=1)
    ax[0].plot([], [], "k:", lw=1, label=r"$\propto T^2$")
    ax[0].set_xlabel("$T$ [K]")
    ax[0].set_ylabel(r"$\rho_D$ [Ω]")
    ax[0].set_title(r"$n$ = $10^{12}$ cm$^{-2}$, $d$ = 10 nm, $M_a = M_p$ = 10 meV", fontsize=9)
    ax[0].legend(fontsize=8)
    for m_a, values, style in zip((0.0, Ma), rho, ("o-", "x--")):
        ax[1].semilogx(masses * 1e3, -values * 1e6, style, label=f"$M_a$ = {m_a * 1e3:.0f} meV")
    ax[1].set_xlabel("$M_p$ [meV]")
    ax[1].set_ylabel(r"$-\rho_D^{yx}$ [µΩ]")
    ax[1].set_title("$T$ = 5 K", fontsize=9)
    ax[1].legend(fontsize=8)
    ax[2].axhspan(0, 100 * eps_a, color="0.85", label=r"bound $[0, \epsilon_a]$")
    ax[2].semilogx(masses * 1e3, 100 * (rho[1] / rho[0] - 1), "o-", label="computed")
    ax[2].set_ylim(-0.2, 100 * eps_a * 1.3)
    ax[2].set_xlabel("$M_p$ [meV]")
    ax[2].set_ylabel(r"$\rho_D^{yx}(M_a)/\rho_D^{yx}(0) - 1$ [%]")
    ax[2].set_title(rf"$M_a$ = {Ma * 1e3:.0f} meV, $\epsilon_a = (M_a/\hbar v k_F)^2$", fontsize=9)
    ax[2].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"\nfigure: {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="drag.png")
    main(parser.parse_args().out)
