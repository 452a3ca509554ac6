"""Current-induced gap on the edge of an interacting 2D topological insulator.

The main demo of kwant-noneq (``make demo``):

1. build a BHZ ribbon (physical units: eV, nm) and its infinite lead;
2. drive a current: right movers filled to mu - dmu/2, left movers to
   mu + dmu/2, and iterate the exchange field of a contact interaction U to
   self-consistency, first in the homogeneous infinite ribbon, then in a
   finite ribbon between two leads;
3. print the induced gap next to Eq. (4) of Balram et al., PRL 123, 246803
   (2019), and save the bottom edge's bands with and without the current.

Run ``python examples/helical_edge_gap.py [--out FIG.png]``.
"""
import argparse
import time

import numpy as np

from kwant_noneq import analytic, edge
from kwant_noneq.bloch import bloch_hamiltonian
from kwant_noneq.homogeneous import (edge_gap, edge_states,
                                     solve_homogeneous_exchange)
from kwant_noneq.scf import solve_exchange
from kwant_noneq.systems import bhz


def main(out="helical_edge_gap.png"):
    t0 = time.perf_counter()
    params = bhz.default_params(A=1.5, B=-1.0, M=-1.0, L3=0.5)   # eV, nm
    width, mu, dmu, U = 20, 0.1, 0.01, 2.0                       # nm, eV, eV, eV

    lead = bhz.make_ribbon_lead(width).finalized()
    bands = bloch_hamiltonian(lead, params)
    bottom = bhz.bottom_edge_mask(lead)[:lead.cell_size]
    fit = edge.edge_parameters(bands, bottom, bhz.SPIN)
    E_D, pair, _ = edge.dirac_pair(bands, bottom)
    g = edge.edge_coupling(bands, pair, U)
    print(f"bottom edge: hbar v = {fit.velocity:.4f} eV nm, lambda = "
          f"{fit.spin_rotation_rate:.4f} eV nm^3, g_1D = {g:.4f} eV nm")

    # tol bounds the largest change of any field component (h_z ~ 1e-3 eV
    # dominates).  The map h -> h(density(h)) contracts by ~5e-3 per step
    # near the solution and is smooth to ~1e-14 eV (the two edges' nearly
    # degenerate bands, split by ~5e-11 eV at W = 20, enter through their
    # joint projector: bloch.BlochHamiltonian.crossing_states), so 1e-10 eV
    # is met in a few steps.
    state = solve_homogeneous_exchange(bands, bhz.SPIN, mu - dmu / 2, mu + dmu / 2,
                                       U=U, tol=1e-10, nk=128, n_panels=1)
    gap = edge_gap(bands, bottom, E_D, k_window=0.05, state=state)
    eq4 = analytic.gap_eq4(fit.velocity, fit.spin_rotation_rate, mu, dmu, g)
    print(f"self-consistent in {state.iterations} iterations "
          f"(residual {state.residuals[-1]:.1e} eV)")
    scf = analytic.selfconsistent_gap_correction(fit.velocity, mu, dmu, g)
    print(f"induced gap: lattice {gap.gap * 1e6:.4f} µeV   Eq. (4) {eq4 * 1e6:.4f} µeV"
          f"   ({gap.gap / eq4 - 1:+.2%}; self-consistency adds "
          f"g dmu/(2 pi v mu) = {scf:+.2%})")

    length = 12
    syst = bhz.make_ribbon(length, 16).finalized()
    finite = solve_exchange(syst, bhz.SPIN, [mu - dmu / 2, mu + dmu / 2], 0.0,
                            params, U=U, n_panels=1, tol=1e-10)
    x = np.array([s.tag[0] for s in syst.sites])
    middle = bhz.bottom_edge_mask(syst) & (x == length // 2)
    print(f"finite {length} x 16 nm ribbon: converged={finite.converged} in "
          f"{finite.iterations} iterations; bottom-edge h in the middle column "
          f"(hx, hz) = ({finite.exchange_field[middle, 0].sum():.3e}, "
          f"{finite.exchange_field[middle, 2].sum():.3e}) eV, homogeneous "
          f"({state.exchange_field[bottom, 0].sum() / 2:.3e}, "
          f"{state.exchange_field[bottom, 2].sum() / 2:.3e}) eV")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    orbs = np.repeat(bottom.astype(float), bands.norbs)
    v_cell = fit.velocity / bands.period
    fig, ax = plt.subplots(figsize=(5.5, 4))
    # each curve around its own Dirac point: the current also shifts it
    for pot, k0, style, label in [(None, 0.0, "k-", "no current"),
                                  (state.potential, gap.k, "r-",
                                   rf"$\delta\mu$ = {dmu * 1e3:.0f} meV (Dirac point "
                                   f"shifted by {gap.k / bands.period:.1e}/nm)")]:
        dk = np.linspace(-4, 4, 161) * gap.gap / v_cell
        E = np.array([edge_states(bands, k0 + d, E_D, orbs, pot)[0] for d in dk])
        ax.plot(dk / bands.period * 1e6, (E - E_D) * 1e6, style, lw=1.2)
        ax.plot([], [], style, label=label)
    ax.set_xlabel("$k - k_D$ [$10^{-6}$/nm]")
    ax.set_ylabel("$E - E_D$ [µeV]")
    ax.set_title(f"helical edge: gap {gap.gap * 1e6:.3f} µeV (Eq. 4: {eq4 * 1e6:.3f} µeV)",
                 fontsize=9)
    ax.legend(loc="upper center", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"figure: {out}   ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="helical_edge_gap.png")
    main(parser.parse_args().out)
