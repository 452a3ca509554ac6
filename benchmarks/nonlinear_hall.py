"""Time a 50-point sigma(mu) curve of each model at the paper's parameters.

Prints wall time per curve and the worst convergence estimate (relative
change between the quadrature and its 2x refinement) over the curve; the
target is < 1e-3 in seconds.  Run: PYTHONPATH=. python benchmarks/nonlinear_hall.py
"""
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from kwant_noneq.nonlinear_hall import (bcd_conductivity, enh_pt_conductivity,
                                        enh_t_conductivity, inh_conductivity)
from systems.dirac2d import h_pt_flavour, h_t_flavours, paper_parameters


def curve(label, func, mus):
    t0 = time.perf_counter()
    res = [func(mu) for mu in mus]
    dt = time.perf_counter() - t0
    conv = max(r.convergence for r in res)
    print(f"{label:<28} {len(mus)} points  {dt:6.2f} s  "
          f"worst convergence {conv:.1e}  ({res[0].units})")
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


if __name__ == "__main__":
    main()
