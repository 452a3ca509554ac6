"""I-V sweeps: SCF iterations per bias with and without warm starts, and
throughput of disorder-averaged I-V realisations.

    PYTHONPATH=$PWD python benchmarks/iv.py [--quick]

1. A self-consistent I-V sweep of a short BHZ ribbon (W = 12, L = 8 nm,
   U = 4 eV, mu0 = 0.15 eV, T = 0) with three starts at each bias: zero field
   (cold), the previous bias's field, and the previous field scaled by
   eV / eV_previous (the field is linear in the bias to leading order).
2. One realisation of the helical_iv case's base I-V ensemble (W = 16,
   L = 120 nm, 3 biases x 4 energies) on one worker and on a two-worker local
   process pool (realisations per minute).
"""
import concurrent.futures as cf
import sys
import time

import numpy as np

from kwant_noneq.ensemble import run_ensemble
from kwant_noneq.transport import iv_sweep
from kwant_noneq.systems import bhz


def warm_start_benchmark(quick):
    params = bhz.default_params(A=1.5, B=-1.0, M=-1.0, L3=0.5)
    fsyst = bhz.make_ribbon(8, 12).finalized()
    biases = np.linspace(0.01, 0.05, 3 if quick else 5)
    print(f"SCF I-V sweep, BHZ ribbon 8 x 12 nm ({len(fsyst.sites)} sites), "
          f"U = 4 eV, tol = 1e-10 eV, biases {np.round(biases, 3).tolist()} eV")
    print(f"{'start':>10} {'iterations per bias':>28} {'total':>6} {'time [s]':>9}")
    for start in (None, "previous", "scaled"):
        t = time.perf_counter()
        iv = iv_sweep(fsyst, bhz.SPIN, 0.15, biases, 0.0, params, U=4.0,
                      tol=1e-10, warm_start=start)
        dt = time.perf_counter() - t
        print(f"{str(start):>10} {str(iv.iterations.tolist()):>28} "
              f"{iv.iterations.sum():>6} {dt:>9.1f}")
    print(f"  currents / (2 eV) - 1: {np.round(iv.currents / (2 * biases) - 1, 12).tolist()}")


def throughput_benchmark(quick):
    from validation.cases import helical_iv as case
    e = case.Edge()
    biases = [0.02, 0.04, 0.06]
    energies, fields, jobs = [], [], []
    for b, eV in enumerate(biases):
        fields.append(e.field(case.MU0, eV))
        for E in case._gauss_legendre(case.MU0, eV)[0]:
            jobs.append((len(energies), b))
            energies.append(float(e.E_D + E))
    args = (case.LENGTH, case.DISORDER, tuple(energies), e.tags, fields, jobs)
    n = 2 if quick else 4
    print(f"\nI-V realisation (W = {case.WIDTH}, L = {case.LENGTH} nm, "
          f"{len(jobs)} scattering matrices each), {n} realisations:")
    for workers in (1, 2):
        with cf.ProcessPoolExecutor(workers) as ex:
            # warm the workers' lead-mode cache: one realisation per worker
            run_ensemble(case.reflection_task, workers, 1, args=args, executor=ex)
            t = time.perf_counter()
            run_ensemble(case.reflection_task, n, 2, args=args, executor=ex)
            dt = time.perf_counter() - t
        print(f"  {workers} worker(s): {n / dt * 60:6.1f} realisations/min "
              f"({dt / n:.2f} s each)")


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    warm_start_benchmark(quick)
    throughput_benchmark(quick)
