"""Trials of the ensemble results file under kills and simultaneous starts.

Run::

    python benchmarks/ensemble_robustness.py [--kill-trials 50] [--start-trials 50]

Kill and resume: a run of 12 realisations (each sleeps 50-150 ms, then draws
three normal numbers from its seed) on a two-process pool, in its own process
group, is killed with SIGKILL (the whole group) at a random time 0-0.8 s after
its results file appears (the run takes about 0.6 s), then resumed.
A trial loses nothing when every record present at the kill is still there
byte for byte, no realisation recorded before the kill is computed again, the
file ends with every realisation exactly once, and the resumed numbers equal
a clean run's bit for bit.

Simultaneous start: two separate interpreters, started to open the file at
the same wall-clock time, run the same 4-realisation ensemble on one new
file.  A trial loses nothing when every
realisation is computed exactly once in all, the file holds each once, every
run that reports success returns the clean numbers, and every other run is
told the file is in use.  The count of trials in which the two overlapped
(one refused) is printed too.

Uses only the public API (``run_ensemble``), so it runs against any version.
"""
import argparse
import concurrent.futures as cf
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

from kwant_noneq.ensemble import realisation_seeds, run_ensemble

N_KILL, MASTER_KILL = 12, 17
N_START, MASTER_START = 4, 9


def marked_task(seed, marker_dir, delay):
    """Leave a marker per call (to count evaluations), sleep, draw numbers."""
    (pathlib.Path(marker_dir) / f"call_{seed}_{os.getpid()}_{time.monotonic_ns()}").touch()
    time.sleep(delay * (1 + seed % 3))
    return np.random.default_rng(seed).normal(size=3)


def calls(marker_dir):
    counts = {}
    for path in pathlib.Path(marker_dir).glob("call_*"):
        seed = int(path.name.split("_")[1])
        counts[seed] = counts.get(seed, 0) + 1
    return counts


def records(path):
    lines = pathlib.Path(path).read_bytes().split(b"\n")[1:-1]  # whole lines only
    return {json.loads(line)["index"]: line for line in lines
            if line and "index" in json.loads(line)}


def clean_run(n, master, scratch):
    with cf.ThreadPoolExecutor(1) as pool:
        return run_ensemble(marked_task, n, master, args=(scratch, 0.0),
                            executor=pool, progress=False).data


def kill_trial(directory, rng, reference):
    file, markers = directory / "res.jsonl", directory / "markers"
    markers.mkdir()
    proc = subprocess.Popen([sys.executable, __file__, "--child", str(file),
                             str(markers)], start_new_session=True)
    deadline = time.monotonic() + 60
    while not file.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.002)  # the run has started once its file exists
    time.sleep(rng.uniform(0.0, 0.8))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = records(file) if file.exists() else {}
    with cf.ThreadPoolExecutor(2) as pool:
        resumed = run_ensemble(marked_task, N_KILL, MASTER_KILL,
                               args=(str(markers), 0.05), executor=pool,
                               results_file=file, progress=False)
    after_lines = pathlib.Path(file).read_bytes().split(b"\n")[1:-1]
    after = records(file)
    seeds = [int(s) for s in realisation_seeds(MASTER_KILL, N_KILL)]
    counts = calls(markers)
    kept = all(after.get(i) == line for i, line in before.items())
    not_redone = all(counts[seeds[i]] == 1 for i in before)
    once = sorted(json.loads(line)["index"] for line in after_lines
                  if "index" in json.loads(line)) == list(range(N_KILL))
    same = resumed.data.tobytes() == reference.tobytes()
    return kept and not_redone and once and same, len(before)


def start_child(file, markers, start_at):
    """One of two separate interpreters that open the same new results file
    at the wall-clock time ``start_at``; prints its outcome as JSON."""
    time.sleep(max(0.0, start_at - time.time()))
    try:
        with cf.ThreadPoolExecutor(1) as pool:
            res = run_ensemble(marked_task, N_START, MASTER_START,
                               args=(markers, 0.005), executor=pool,
                               results_file=file, progress=False)
        outcome = ["ok", res.data.tobytes().hex()]
    except RuntimeError as error:
        outcome = ["refused" if "in use" in str(error) else "error", str(error)]
    print(json.dumps(outcome))


def start_trial(directory, reference):
    file, markers = directory / "res.jsonl", directory / "markers"
    markers.mkdir()
    # Separate interpreters, as two users' scripts would be; the common start
    # time lies past their imports so that they open the file together.
    start_at = time.time() + 2.0
    procs = [subprocess.Popen([sys.executable, __file__, "--start-child", str(file),
                               str(markers), repr(start_at)],
                              stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [json.loads(proc.communicate(timeout=120)[0] or '["error", "no output"]')
               for proc in procs]
    kinds = sorted(kind for kind, _ in results)
    seeds = [int(s) for s in realisation_seeds(MASTER_START, N_START)]
    ok = (kinds in (["ok", "ok"], ["ok", "refused"])
          and all(detail == reference.tobytes().hex()
                  for kind, detail in results if kind == "ok")
          and calls(markers) == {s: 1 for s in seeds}
          and sorted(records(file)) == list(range(N_START)))
    return ok, kinds == ["ok", "refused"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kill-trials", type=int, default=50)
    parser.add_argument("--start-trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1, help="of the kill times")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--start-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.start_child:
        file, markers, start_at = args.start_child
        start_child(file, markers, float(start_at))
        return
    if args.child:
        file, markers = args.child
        with cf.ProcessPoolExecutor(2) as pool:
            run_ensemble(marked_task, N_KILL, MASTER_KILL, args=(markers, 0.05),
                         executor=pool, results_file=file, progress=False)
        return
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = pathlib.Path(scratch)
        reference = clean_run(N_KILL, MASTER_KILL, str(scratch))
        zero_lost, recorded = 0, []
        for trial in range(args.kill_trials):
            directory = scratch / f"kill{trial}"
            directory.mkdir()
            ok, n_before = kill_trial(directory, rng, reference)
            zero_lost += ok
            recorded.append(n_before)
        if args.kill_trials:
            print(f"kill and resume: {zero_lost}/{args.kill_trials} trials with zero "
                  f"lost; records at the kill: min {min(recorded)}, max "
                  f"{max(recorded)} of {N_KILL}, {sum(0 < r < N_KILL for r in recorded)}"
                  " trials killed mid-run")
        reference = clean_run(N_START, MASTER_START, str(scratch))
        zero_lost = overlapped = 0
        for trial in range(args.start_trials):
            directory = scratch / f"start{trial}"
            directory.mkdir()
            ok, overlap = start_trial(directory, reference)
            zero_lost += ok
            overlapped += overlap
        if args.start_trials:
            print(f"simultaneous start: {zero_lost}/{args.start_trials} trials with "
                  f"zero lost; {overlapped} in which the runs overlapped (one refused)")


if __name__ == "__main__":
    main()
