"""One self-consistent iteration of a 3D-TI slab averaged over k_y.

For an N-layer slab of L sites between two leads, periodic in y (one site
per period), with ``n_ky`` transverse momenta (periodic trapezoid), prints:
the set-up (lead modes of every k_y and energy node), the first iteration
(one factorisation per node), a later iteration (iterative solves on the
kept factorisations), and the factorisation count, all measured in this run
(CPU seconds; the machine is shared: compare ratios, not seconds).

    python benchmarks/slab.py [--layers 20] [--length 40] [--n-ky 8]
    python benchmarks/slab.py --quick          # N = 6, L = 6, n_ky = 2
"""
import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from kwant_noneq.exchange import exchange_field, exchange_potential, spin_density
from kwant_noneq.region import region_kernel
from kwant_noneq.scf import solve_accuracy
from kwant_noneq.transverse import TransverseDensity
from kwant_noneq.systems import ti_slab


def main(layers, length, n_ky, panels=1, U=0.5, mu=0.2, dmu=0.02, a=0.5,
         k_range=0.6, tol=1e-9):
    params = ti_slab.default_params()
    syst = ti_slab.make_slab(length * a, layers, a=a).finalized()
    bias = [mu + dmu / 2, mu - dmu / 2]
    print(f"TI slab N = {layers}, L = {length}: {4 * len(syst.sites)} orbitals; "
          f"n_ky = {n_ky} on k_y in [-{k_range}, {k_range}] (+ ends), "
          f"{panels} panel(s) of 15 energies, U = {U} eV on the top layer")
    t0 = time.process_time()
    density = TransverseDensity(syst, bias, 0.0, params, n_momenta=n_ky,
                                momentum_range=(-k_range, k_range),
                                n_panels=panels)
    setup = time.process_time() - t0
    nodes = sum(len(d.grid) for d in density.densities)
    c = density.counts
    print(f"set-up (lead modes at {nodes} (k_y, E) nodes): {setup:.2f} s; "
          f"lead-mode computations {c.lead_modes}")
    top = region_kernel(syst.sites, U, lambda s: s.tag[2] == layers - 1)
    ops = ti_slab.SPIN

    def update(h, rtol):
        rho = density(exchange_potential(h, ops), rtol)
        return exchange_field(spin_density(rho.density_matrix, ops), top), rho

    h = np.zeros((len(syst.sites), 3))
    t0 = time.process_time()
    h1, rho1 = update(h, None)
    first = time.process_time() - t0
    rtol = solve_accuracy(tol, max(float(np.abs(h1).max()), tol))
    t0 = time.process_time()
    h2, rho2 = update(h1, rtol)
    later = time.process_time() - t0
    print(f"first iteration (a factorisation per node): {first:.2f} s; "
          f"factorisations {rho1.counts.factorizations}, solves "
          f"{rho1.counts.solves}")
    print(f"later iteration (iterative, rtol {rtol:.1e}): {later:.2f} s; "
          f"factorisations {rho2.counts.factorizations} (refactorisations "
          f"{rho2.counts.refactorizations}), solves {rho2.counts.solves}")
    print(f"max |h| after one iteration {np.abs(h1).max():.3e} eV; k_y "
          f"quadrature estimate {rho1.momentum_error:.2e}, energy "
          f"{rho1.energy_error:.2e}; factors kept "
          f"{density.factor_memory / 2**20:.1f} MiB")
    return dict(setup=setup, first=first, later=later,
                factorizations=rho1.counts.factorizations)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, default=20)
    ap.add_argument("--length", type=int, default=40)
    ap.add_argument("--n-ky", type=int, default=8)
    ap.add_argument("--panels", type=int, default=1)
    ap.add_argument("--quick", action="store_true",
                    help="N = 6, L = 6, n_ky = 2: checks that it runs")
    a = ap.parse_args()
    if a.quick:
        main(6, 6, 2, a.panels)
    else:
        main(a.layers, a.length, a.n_ky, a.panels)
