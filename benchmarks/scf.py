"""What a self-consistent exchange loop costs, in units of bare factorisations.

For a BHZ ribbon (default W = 40, L = 200 sites) driven at a bias, prints,
all measured in this one run (the machine is shared: compare ratios, not
seconds):

* the BLAS that MUMPS and NumPy run on;
* one bare factorisation: what Kwant does at every call (MUMPS analysis with
  its default ordering, then the numerical factorisation), per node;
* the set-up (lead modes), the first iteration (analysis once + one
  factorisation per node) and a later iteration (iterative solves on the
  kept factorisations), each divided by nodes x one bare factorisation;
* a converged SCF, set-up included, in bare-factorisation sweeps, for
  Anderson mixing and for Newton-Krylov, with their counts of lead-mode
  computations, factorisations and solves, and the memory kept;
* the projection, from these per-node costs, of a self-consistent
  20-bias x 100-realisation I-V on the ribbon measured (``--length 400``
  for the W = 40, L = 400 goal).

    python benchmarks/scf.py [--width 40] [--length 200] [--panels 1]
"""
import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import kwant
import kwant.linalg.mumps
import kwant.solvers.mumps

from kwant_noneq.blas import blas_report
from kwant_noneq.density import NonequilibriumDensity
from kwant_noneq.exchange import (contact_kernel, exchange_field,
                                  exchange_potential, spin_density)
from kwant_noneq.scf import solve_accuracy, solve_exchange
from kwant_noneq.systems import bhz


def bare_factorisation(states, repeats=1):
    """Seconds of Kwant's own per-call factorisation (a fresh MUMPS context:
    analysis with Kwant's default ordering + numerical factorisation),
    averaged over the nodes."""
    # Kwant's 'kwant_decides' ordering, read through its public options().
    ordering = kwant.solvers.mumps.options()["ordering"]
    t = 0.0
    for node in range(len(states)):
        lhs = states.system_matrix(node)
        for _ in range(repeats):
            t0 = time.process_time()
            kwant.linalg.mumps.MUMPSContext().factor(lhs, ordering=ordering)
            t += time.process_time() - t0
    return t / (len(states) * repeats)


def main(width, length, panels, U=2.0, mu=0.1, dmu=0.01, tol=1e-9):
    print(blas_report())
    params = bhz.default_params(A=1.5, B=-1.0, M=-1.0, L3=0.5)
    syst = bhz.make_ribbon(length, width).finalized()
    bias = [mu - dmu / 2, mu + dmu / 2]
    print(f"BHZ ribbon W = {width}, L = {length}: {4 * len(syst.sites)} "
          f"orbitals, {panels} panel(s) of 15 nodes, U = {U} eV, "
          f"dmu = {dmu} eV, tol = {tol} eV; CPU seconds")

    t0 = time.process_time()
    density = NonequilibriumDensity(syst, bias, 0.0, params, n_panels=panels)
    setup = time.process_time() - t0
    nodes = len(density.grid)
    bare = bare_factorisation(density.states)
    sweep = nodes * bare
    print(f"one bare factorisation: {bare:.3f} s per node; sweep "
          f"(nodes x bare) = {sweep:.2f} s")
    print(f"set-up (lead modes, {nodes} nodes): {setup:.2f} s = "
          f"{setup / sweep:.2f} sweeps")

    kernel = contact_kernel(syst.sites, U)
    ops = bhz.SPIN

    def update(h, rtol):
        rho = density(exchange_potential(h, ops), rtol)
        return exchange_field(spin_density(rho.density_matrix, ops), kernel), rho

    h = np.zeros((len(syst.sites), 3))
    t0 = time.process_time()
    h1, rho = update(h, None)
    first = time.process_time() - t0
    rtol = solve_accuracy(tol, h1)
    t0 = time.process_time()
    h2, rho2 = update(h1, rtol)
    later = time.process_time() - t0
    print(f"first iteration (analysis + factorisation per node): {first:.2f} s "
          f"= {first / sweep:.2f} sweeps")
    print(f"later iteration (iterative solves, rtol {rtol:.1e}): {later:.2f} s "
          f"= {later / sweep:.3f} sweeps [target <= 0.3]; "
          f"{rho2.counts.solves / nodes:.1f} solves per node")
    # Free this density's factorisations before each SCF makes its own (at
    # W = 40, L = 400 two sets do not fit in 24 GB beside other work).
    density.states.release()
    del density, rho, rho2

    for method in ("anderson", "newton"):
        t0 = time.process_time()
        state = solve_exchange(syst, ops, bias, 0.0, params, U=U, tol=tol,
                               method=method, n_panels=panels)
        total = time.process_time() - t0
        c = state.counts
        print(f"converged SCF ({method}), set-up included: {total:.2f} s = "
              f"{total / sweep:.2f} sweeps [target <= 3]; {state.iterations} "
              f"evaluations, {state.response_evaluations} Jacobian products; "
              f"lead modes {c.lead_modes}, analyses {c.analyses}, "
              f"factorisations {c.factorizations} "
              f"(refactorisations {c.refactorizations}), solves {c.solves} "
              f"({c.solve_columns} columns); factors kept "
              f"{state.factor_memory / 2**20:.0f} MiB")
        if method == "anderson":
            evaluations = state.iterations
        state.states.release()
        del state
    # Projection: 20 biases x 100 realisations on this ribbon, self-consistent,
    # lead modes shared by the realisations (computed once per bias and node),
    # one factorisation per node and realisation, the measured iterations.
    biases, realisations = 20, 100
    per_point = nodes * (first / nodes + (evaluations - 1) * later / nodes)
    total = biases * (setup + realisations * per_point)
    print(f"projection, {biases} biases x {realisations} realisations at "
          f"W = {width}, L = {length}: {total / 3600:.1f} CPU hours "
          f"({total / 3600 / 2:.1f} h on 2 cores); lead modes "
          f"{biases * setup / total:.0%} of it")
    return dict(bare=bare, setup=setup / nodes, later=later / nodes,
                nodes=nodes)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=40)
    ap.add_argument("--length", type=int, default=200)
    ap.add_argument("--panels", type=int, default=1)
    a = ap.parse_args()
    main(a.width, a.length, a.panels)
