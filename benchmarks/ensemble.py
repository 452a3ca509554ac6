"""Throughput of kwant_noneq.ensemble: realisations per minute, parallel efficiency.

Task: transmission of a disordered square-lattice wire (hopping t = 1, Anderson
disorder of width ``disorder`` from ``kwant.digest.uniform``), built inside the
worker from its seed; only the builder arguments and the seed travel.  Run::

    OMP_NUM_THREADS=1 python benchmarks/ensemble.py [--n 16] [--length 80] [--width 24]

Prints realisations per minute on a one-process pool and a two-process pool,
the parallel efficiency ``rate(2) / (2 rate(1))``, and the runner's own cost
per realisation (a task that does nothing, with and without a results file).
The load average is printed too: on a shared machine, other jobs lower the
two-worker figure.
"""
import argparse
import concurrent.futures as cf
import os
import pathlib
import tempfile
import time

import kwant

from kwant_noneq.ensemble import run_ensemble
from kwant_noneq.systems.wire import wire_conductance


def nothing(seed):
    return 0.0


def rate(task, n, args, executor, results_file=None):
    start = time.perf_counter()
    run_ensemble(task, n, 1, args=args, executor=executor, results_file=results_file,
                 progress=False)
    return n / (time.perf_counter() - start) * 60  # realisations per minute


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=16, help="realisations per run")
    parser.add_argument("--length", type=int, default=80)
    parser.add_argument("--width", type=int, default=24)
    parser.add_argument("--disorder", type=float, default=1.5)
    parser.add_argument("--energy", type=float, default=1.0)
    opts = parser.parse_args()
    args = (opts.length, opts.width, opts.disorder, opts.energy)
    print(f"wire {opts.length} x {opts.width} sites, disorder {opts.disorder} t, "
          f"E = {opts.energy} t, {opts.n} realisations per run, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")

    start = time.perf_counter()
    wire_conductance(0, *args)
    print(f"one realisation in this process: {time.perf_counter() - start:.3f} s")

    rates = {}
    for workers in (1, 2):
        with cf.ProcessPoolExecutor(workers) as pool:
            pool.submit(int).result()  # start the workers outside the timing
            if workers == 2:
                list(pool.map(int, range(4)))
            rates[workers] = rate(wire_conductance, opts.n, args, pool)
        print(f"{workers} worker(s): {rates[workers]:8.1f} realisations/min")
    print(f"parallel efficiency, 2 workers: {rates[2] / (2 * rates[1]):.2f}")

    n_trivial = 200
    with cf.ProcessPoolExecutor(1) as pool, tempfile.TemporaryDirectory() as tmp:
        pool.submit(int).result()
        bare = rate(nothing, n_trivial, (), pool)
        filed = rate(nothing, n_trivial, (), pool, pathlib.Path(tmp) / "r.jsonl")
    print(f"runner cost per realisation (empty task, 1 worker): "
          f"{60e3 / bare:.2f} ms, with results file (fsync each): {60e3 / filed:.2f} ms")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
