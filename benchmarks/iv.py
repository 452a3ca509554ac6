"""Self-consistent I-V sweeps and ensembles: time, counts and the projection
to the 20-bias x 100-realisation goal.

    PYTHONPATH=$PWD python benchmarks/iv.py [--width 40] [--length 400]
                                            [--biases 20] [--realisations 100]
                                            [--quick]

Prints, all measured in this one run (CPU seconds of this process; the
machine is shared, so compare ratios, not seconds):

1. the BLAS that MUMPS and NumPy run on;
2. a self-consistent I-V sweep of a clean BHZ ribbon (default W = 40,
   L = 400 sites, 20 biases, U = 2 eV, mu0 = 0.1 eV, T = 0, tol 1e-9 eV,
   warm start 'scaled'): total time, iterations per bias, and the counts of
   lead-mode computations, factorisations and solves of the whole sweep;
3. a self-consistent disorder ensemble at one bias (default 100
   realisations of a W = 16, L = 136 ribbon, U = 4 eV, mu0 = 0.15 eV,
   eV = 0.04 eV, uniform disorder 0.2 eV; one process, lead modes shared
   by all realisations through one ``LeadModes``, each realisation started
   from the clean ribbon's field): time per realisation and counts;
4. the projection of a self-consistent 20-bias x 100-realisation ensemble on
   the ribbon of item 2, from item 2's measured costs: per bias, the lead
   modes once (shared by the realisations) plus one SCF per realisation at
   the cost of the sweep's SCF at that bias.

Only the public API is used (``systems.bhz``, ``kwant_noneq``).
"""
import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from kwant_noneq.blas import blas_report
from kwant_noneq.density import NonequilibriumDensity
from kwant_noneq.ensemble import realisation_seeds
from kwant_noneq.factorization import SolverCounts
from kwant_noneq.scattering import LeadModes
from kwant_noneq.scf import solve_exchange
from kwant_noneq.transport import iv_sweep
from kwant_noneq.systems import bhz

PARAMS = dict(A=1.5, B=-1.0, M=-1.0, L3=0.5)


def describe(counts):
    c = counts.as_dict()
    return (f"lead modes {c['lead_modes']}, analyses {c['analyses']}, "
            f"factorisations {c['factorizations']} (refactorisations "
            f"{c['refactorizations']}), solves {c['solves']} "
            f"({c['solve_columns']} columns)")


def sweep_benchmark(width, length, n_biases, U=2.0, mu0=0.1, tol=1e-9):
    params = bhz.default_params(**PARAMS)
    syst = bhz.make_ribbon(length, width).finalized()
    biases = np.linspace(0.04 / n_biases, 0.04, n_biases)
    print(f"\n2. self-consistent I-V: BHZ ribbon W = {width}, L = {length} "
          f"({4 * len(syst.sites)} orbitals), {n_biases} biases "
          f"{biases[0]:.3g}..{biases[-1]:.3g} eV, U = {U} eV, mu0 = {mu0} eV, "
          f"tol = {tol} eV")
    # The lead modes of one bias point, alone: the part of a bias point that
    # the realisations of an ensemble share.
    t0 = time.process_time()
    density = NonequilibriumDensity(syst, [mu0 - biases[-1] / 2, mu0 + biases[-1] / 2],
                                    0.0, params, n_panels=1)
    setup = time.process_time() - t0
    nodes = len(density.grid)
    density.states.release()
    del density
    t0 = time.process_time()
    iv = iv_sweep(syst, bhz.SPIN, mu0, biases, 0.0, params, U=U, tol=tol)
    total = time.process_time() - t0
    print(f"   {total:.1f} s in all, {total / n_biases:.1f} s per bias "
          f"({nodes} nodes); lead modes of one bias point alone: {setup:.1f} s")
    print(f"   iterations per bias: {iv.iterations.tolist()}")
    print(f"   counts (densities and currents): {describe(iv.counts)}")
    print(f"   per bias: {iv.counts.factorizations / n_biases:.1f} "
          f"factorisations, {iv.counts.solves / n_biases:.1f} solves, "
          f"{iv.counts.lead_modes / n_biases:.1f} lead-mode computations")
    print(f"   G(eV) [e^2/h]: {np.round(iv.conductance, 6).tolist()}")
    return dict(total=total, setup=setup, n_biases=n_biases)


def ensemble_benchmark(n_real, width=16, length=136, U=4.0, mu0=0.15, eV=0.04,
                       disorder=0.2, tol=1e-8):
    params = bhz.default_params(**PARAMS)
    syst = bhz.make_ribbon(length, width).finalized()
    mus = [mu0 - eV / 2, mu0 + eV / 2]
    print(f"\n3. self-consistent ensemble: {n_real} realisations, W = {width}, "
          f"L = {length}, U = {U} eV, mu0 = {mu0} eV, eV = {eV} eV, uniform "
          f"disorder {disorder} eV, tol = {tol} eV")
    lead_modes = LeadModes()
    t0 = time.process_time()
    clean = solve_exchange(syst, bhz.SPIN, mus, 0.0, params, U=U, n_panels=1,
                           tol=tol, lead_modes=lead_modes)
    t_clean = time.process_time() - t0
    counts, iterations = SolverCounts(), []
    t0 = time.process_time()
    for seed in realisation_seeds(1, n_real):
        p = dict(params, disorder=disorder, disorder_seed=int(seed))
        state = solve_exchange(syst, bhz.SPIN, mus, 0.0, p, U=U, n_panels=1,
                               tol=tol, initial_field=clean.exchange_field,
                               lead_modes=lead_modes)
        counts = counts + state.counts
        iterations.append(state.iterations)
        state.states.release()
    total = time.process_time() - t0
    print(f"   clean SCF with the lead modes: {t_clean:.2f} s; ensemble "
          f"{total:.1f} s = {total / n_real:.2f} s per realisation "
          f"({total / 2 / 60:.1f} min on 2 cores)")
    print(f"   iterations: mean {np.mean(iterations):.2f}, max {max(iterations)}")
    print(f"   counts of the ensemble: {describe(counts)} (lead modes are "
          f"computed once, for the clean ribbon: {lead_modes.computed} "
          f"computed, {lead_modes.reused} reused)")


def projection(sweep, n_biases=20, n_real=100):
    per_bias = sweep["total"] / sweep["n_biases"]
    scf = max(per_bias - sweep["setup"], 0.0)
    total = n_biases * (sweep["setup"] + n_real * scf)
    print(f"\n4. projection, {n_biases} biases x {n_real} realisations on the "
          f"ribbon of item 2: {n_biases} x ({sweep['setup']:.1f} s lead modes "
          f"+ {n_real} x {scf:.1f} s SCF) = {total / 3600:.1f} CPU hours, "
          f"{total / 3600 / 2:.1f} h on 2 cores [goal: < 1 h on 2 cores]")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=40)
    ap.add_argument("--length", type=int, default=400)
    ap.add_argument("--biases", type=int, default=20)
    ap.add_argument("--realisations", type=int, default=100)
    ap.add_argument("--quick", action="store_true",
                    help="W = 12, L = 40, 4 biases, 4 realisations")
    a = ap.parse_args()
    if a.quick:
        a.width, a.length, a.biases, a.realisations = 12, 40, 4, 4
    print("1.", blas_report())
    sweep = sweep_benchmark(a.width, a.length, a.biases)
    ensemble_benchmark(a.realisations)
    projection(sweep)
