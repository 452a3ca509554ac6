"""Time a 50-point sigma(mu) curve of each model at the paper's parameters.

Prints wall time per curve and the worst convergence estimate (relative
change between the quadrature and its 2x refinement) over the curve; the
target is < 1e-3 in seconds.  Run: PYTHONPATH=. python benchmarks/nonlinear_hall.py

Where the time went (cProfile, lattice ENH^(PT), before the caches): the
Fermi sea was 93 % of it -- band geometry on the sea nodes 63 % (einsums,
eigh), the mu-independent Brillouin-zone grid energies 10 %, np.unique on
(M, 2) rows 8 %, H(k) by einsum over Fourier components 13 %; the
bracketing ray grids (mu-independent) dominated the continuum and the
many-energy thermal sums.  Now the BZ-grid geometry and energies, the ray
grids and the refined integrators are computed once per Flavour/integrator
and reused across mu; H(k) is one BLAS product; |k - k'| uses cdist.
Values are unchanged (max relative difference 1.5e-13 over a mu sweep).
"""
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from kwant_noneq.constants import KB
from kwant_noneq.nonlinear_hall import (bcd_conductivity, enh_pt_conductivity,
                                        enh_t_conductivity, inh_conductivity,
                                        screened_interaction)
from kwant_noneq.systems.dirac2d import h_pt_flavour, h_t_flavours, paper_parameters

# Measured on this machine (2 shared cores, OMP_NUM_THREADS=1) at commit
# 6d9651e, before the caches: for comparison only.
BEFORE_S = {"BCD (H_T)": 1.1, "ENH_T (H_T, contact)": 1.0, "INH (H_PT)": 1.1,
            "ENH_PT (H_PT, contact)": 4.7, "ENH_T lattice": 1.2,
            "ENH_PT lattice": 19.4}


def curve(label, func, mus):
    t0 = time.perf_counter()
    res = [func(mu) for mu in mus]
    dt = time.perf_counter() - t0
    conv = max(r.convergence for r in res)
    before = BEFORE_S.get(label)
    was = f"  (before: {before:.1f} s)" if before else ""
    print(f"{label:<28} {len(mus)} points  {dt:6.2f} s  "
          f"worst convergence {conv:.1e}  ({res[0].units}){was}")
    return dt, conv


def main():
    p = paper_parameters()
    mus = np.linspace(0.055, 0.3, 50)
    quad = dict(n_angles=16, n_radial=8)
    tv = h_t_flavours(p, **quad)
    pt = h_pt_flavour(p, **quad)
    print("continuum models, paper parameters, T = 0")
    curve("BCD (H_T)", lambda m: bcd_conductivity(tv, m, p["tau"]), mus)
    curve("ENH_T (H_T, contact)", lambda m: enh_t_conductivity(tv, m, p["tau"], p["V0"]), mus)
    curve("INH (H_PT)", lambda m: inh_conductivity(pt, m), mus)
    curve("ENH_PT (H_PT, contact)", lambda m: enh_pt_conductivity(pt, m, p["V0"]), mus)
    print("lattice builders (a = 0.1 nm), T = 0")
    tvl = h_t_flavours(p, lattice=True, n_grid=64, **quad)
    ptl = h_pt_flavour(p, lattice=True, n_grid=64, **quad)
    curve("ENH_T lattice", lambda m: enh_t_conductivity(tvl, m, p["tau"], p["V0"]), mus)
    curve("ENH_PT lattice", lambda m: enh_pt_conductivity(ptl, m, p["V0"]), mus)
    # The |k - k'| cusp of V(q) at k = k' makes the pair sums converge
    # algebraically in the angles: twice the nodes for the 1e-3 target.
    print("screened V(q) (q_s = 0.2/nm), continuum (32 angles), 10 points")
    sv = screened_interaction(p["V0"], p["q_s"])
    tv = h_t_flavours(p, n_angles=32, n_radial=12)
    pt = h_pt_flavour(p, n_angles=32, n_radial=12)
    mus10 = np.linspace(0.07, 0.3, 10)
    curve("ENH_T screened T=0", lambda m: enh_t_conductivity(tv, m, p["tau"], sv), mus10)
    curve("ENH_PT screened T=0", lambda m: enh_pt_conductivity(pt, m, sv), mus10)
    curve("ENH_T screened kT=3meV", lambda m: enh_t_conductivity(
        tv, m, p["tau"], sv, temperature=3e-3 / KB), mus10)
    curve("ENH_PT screened kT=3meV", lambda m: enh_pt_conductivity(
        pt, m, sv, temperature=3e-3 / KB), mus10)


if __name__ == "__main__":
    main()
