"""Where the time of a self-consistent exchange loop goes (issue 2, section 6).

For a BHZ ribbon (default W = 40, L = 200 sites) driven at a bias, prints:
the set-up time per energy node (Hamiltonian evaluation and lead modes, done
once), the time of one SCF iteration and of a full solve, iterations for
linear and Anderson mixing, and the share of an iteration spent in sparse
factorisation + solve versus density sums and building the potential.

    python benchmarks/scf.py [--width 40] [--length 200] [--panels 1]
"""
import argparse
import cProfile
import os
import pstats
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from kwant_noneq.density import NonequilibriumDensity
from kwant_noneq.exchange import (contact_kernel, exchange_field,
                                  exchange_potential, spin_density)
from kwant_noneq.mixing import solve_fixed_point
from systems import bhz


def _cumulative(stats, name, module=""):
    """Cumulative time of functions called ``name`` defined in a file whose
    path ends with ``module`` (nested functions of the same name would
    otherwise be counted twice)."""
    return sum(v[3] for k, v in stats.stats.items()
               if k[2] == name and k[0].endswith(module))


def main(width, length, panels, U=2.0, mu=0.1, dmu=0.01, tol=1e-9):
    params = bhz.default_params(A=1.5, B=-1.0, M=-1.0, L3=0.5)
    syst = bhz.make_ribbon(length, width).finalized()
    n_orb = 4 * len(syst.sites)
    print(f"BHZ ribbon W = {width}, L = {length}: {n_orb} orbitals, "
          f"{panels} Gauss-Kronrod panel(s) = {15 * panels} energy nodes")

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    density = NonequilibriumDensity(syst, [mu - dmu / 2, mu + dmu / 2], 0.0, params,
                                    n_panels=panels)
    prof.disable()
    setup = time.perf_counter() - t0
    st = pstats.Stats(prof)
    t_ham = _cumulative(st, "hamiltonian_submatrix")
    t_modes = _cumulative(st, "modes", "physics/leads.py")
    nodes = len(density.grid)
    print(f"set-up (once): {setup:.1f} s = {setup / nodes:.2f} s per node; "
          f"Hamiltonian evaluation {t_ham:.1f} s, lead modes {t_modes:.1f} s "
          f"({t_modes / setup:.0%})")

    kernel = contact_kernel(syst.sites, U)

    def update(h):
        rho = density(exchange_potential(h, bhz.SPIN))
        return exchange_field(spin_density(rho.density_matrix, bhz.SPIN), kernel)

    h0 = np.zeros((len(syst.sites), 3))
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    update(h0)
    prof.disable()
    it = time.perf_counter() - t0
    st = pstats.Stats(prof)
    t_fact = _cumulative(st, "_factorized")
    t_solve = _cumulative(st, "_solve_linear_sys")
    t_pot = _cumulative(st, "exchange_potential")
    t_rest = it - t_fact - t_solve - t_pot
    print(f"one SCF iteration: {it:.2f} s; factorisation {t_fact / it:.0%}, "
          f"solve {t_solve / it:.0%} (together {(t_fact + t_solve) / it:.0%}), "
          f"potential {t_pot / it:.0%}, density sums and the rest {t_rest / it:.0%}; "
          "lead modes and Hamiltonian evaluation: 0 (reused)")

    for method, mixing in [("anderson", 0.5), ("linear", 0.5)]:
        t0 = time.perf_counter()
        fp = solve_fixed_point(update, h0, method=method, mixing=mixing, tol=tol,
                               max_iter=100, on_failure="return")
        print(f"full solve, {method:8s} mixing {mixing}: {fp.iterations:3d} iterations, "
              f"{time.perf_counter() - t0:.1f} s, converged={fp.converged}, "
              f"residual {fp.residuals[-1]:.1e} eV")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=40)
    p.add_argument("--length", type=int, default=200)
    p.add_argument("--panels", type=int, default=1)
    a = p.parse_args()
    main(a.width, a.length, a.panels)
