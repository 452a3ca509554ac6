"""Tests of kwant_noneq.ensemble: seeds, statistics, executors, resume, bad input.

The task functions live at module level so that worker processes can import
them (as ``test_ensemble.NAME``; the dask workers get this directory on their
PYTHONPATH).
"""
import base64
import concurrent.futures as cf
import functools
import importlib.util
import io
import json
import multiprocessing
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import kwant
from kwant_noneq import ensemble
from kwant_noneq.ensemble import (EnsembleResult, load_ensemble, realisation_seeds,
                                  repair_results, results_file_lock, run_ensemble,
                                  salt)
from kwant_noneq.exchange import exchange_potential
from kwant_noneq.scattering import LeadModes, ScatteringStates
from kwant_noneq.scf import solve_exchange
from kwant_noneq.systems import bhz
from kwant_noneq.systems.helical_edge import HelicalEdge, reflection_task
from kwant_noneq.systems.wire import make_wire

TESTS_DIR = pathlib.Path(__file__).resolve().parent
REPO_DIR = TESTS_DIR.parent


# -- tasks (module level: they must pickle by reference) ---------------------


def gaussian_vector(seed, size):
    return np.random.default_rng(seed).normal(size=size)


def gaussian_scalar(seed):
    return float(np.random.default_rng(seed).normal())


def complex_and_dict(seed):
    rng = np.random.default_rng(seed)
    return {"z": rng.normal() + 1j * rng.normal(), "v": rng.integers(0, 10, size=2)}


def wire_transmission(seed, length, width, disorder):
    """Transmission of a disordered square-lattice wire at E = 1.0 and 2.5.

    The system (:func:`kwant_noneq.systems.wire.make_wire`) is built here, in
    the worker, from the seed; energies in units of the hopping t.
    """
    syst = make_wire(length, width, disorder, salt(seed))
    fsyst = syst.finalized()
    return np.array([kwant.smatrix(fsyst, energy).transmission(1, 0)
                     for energy in (1.0, 2.5)])


def counting_task(seed, marker_dir, delay):
    """Leave a marker per call (to count evaluations); fail if told to.

    A file ``poison_<seed>`` in ``marker_dir`` makes the call raise: the
    external failure is not in the task's arguments, so a resumed run has the
    same configuration.
    """
    marker_dir = pathlib.Path(marker_dir)
    (marker_dir / f"call_{seed}_{os.getpid()}_{time.monotonic_ns()}").touch()
    if (marker_dir / f"poison_{seed}").exists():
        raise ValueError(f"poisoned seed {seed}")
    time.sleep(delay)
    return np.random.default_rng(seed).normal(size=3)


def bhz_scattering(seed, length, width, disorder, energy, delay):
    """S matrix and lead-0 scattering states of a disordered BHZ ribbon.

    Goes through the project's engine (`ScatteringStates`, MUMPS).  Ribbon
    ``length x width`` [nm], uniform disorder of full width ``disorder`` [eV]
    salted by the seed, at ``energy`` [eV]; ``delay`` [s] of sleep afterwards
    (so that a run can be killed midway; it does not change the numbers).
    """
    syst = bhz.make_ribbon(length, width).finalized()
    params = bhz.default_params(disorder=disorder, disorder_seed=salt(seed))
    states = ScatteringStates(syst, [energy], params)
    result = {"smatrix": states.smatrix(0).data,
              "wave_functions": states.wave_functions(0)[0]}
    time.sleep(delay)
    return result


# Per-worker state of the helical-edge tasks, kept between the realisations
# a worker runs (as an efficient ensemble does): the edge's set-up and a store
# of lead modes.
HELICAL = dict(A=1.5, B=-1.0, M=-1.0, L3=0.5)


@functools.lru_cache(maxsize=None)
def helical_edge(width):
    return HelicalEdge(width, HELICAL)


@functools.lru_cache(maxsize=None)
def worker_lead_modes():
    return LeadModes()


def helical_scf_reflection(seed, width, length, disorder, mu0, bias, U, tol):
    """One realisation of the self-consistent field in a disordered helical
    ribbon and the reflection it causes (validation helical_iv's
    scf_disorder records, as an ensemble task).

    Ribbon ``length x width`` [nm], uniform disorder of full width
    ``disorder`` [eV], bias window ``mu0 -+ bias/2`` [eV] from the Dirac
    point, contact interaction ``U`` [eV], SCF tolerance ``tol`` [eV].  The
    SCF shares the worker's lead modes; the reflection uses the worker's kept
    scattering states of the clean ribbon (``HelicalEdge.scattering_states``)
    with field and disorder added as potentials.
    """
    e = helical_edge(width)
    fsyst, states = e.scattering_states(length, (e.dirac_energy + mu0,))
    params = dict(e.params, disorder=disorder, disorder_seed=salt(seed))
    mus = [e.dirac_energy + mu0 - bias / 2, e.dirac_energy + mu0 + bias / 2]
    scf = solve_exchange(fsyst, bhz.SPIN, mus, 0.0, params, U=U, n_panels=1,
                         tol=tol, lead_modes=worker_lead_modes())
    dis = e.disorder_potential(fsyst, disorder, seed)
    S = states.smatrix(0, exchange_potential(scf.exchange_field, bhz.SPIN) + dis)
    return {"field": scf.exchange_field, "iterations": scf.iterations,
            "R": np.sum(np.abs(S.submatrix(0, 0)) ** 2)}


def blas_threads(seed):
    from threadpoolctl import threadpool_info
    return max([pool["num_threads"] for pool in threadpool_info()] or [1])


def calls_per_seed(marker_dir):
    counts = {}
    for path in pathlib.Path(marker_dir).glob("call_*"):
        seed = int(path.name.split("_")[1])
        counts[seed] = counts.get(seed, 0) + 1
    return counts


def recorded_indices(path):
    lines = pathlib.Path(path).read_bytes().split(b"\n")
    return [json.loads(line)["index"] for line in lines[1:] if line]


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# -- seeds --------------------------------------------------------------------


def test_seeds_are_seedsequence_children_and_independent_of_n():
    seeds = realisation_seeds(2024, 6)
    children = np.random.SeedSequence(2024).spawn(6)
    assert seeds.dtype == np.uint64
    assert [int(c.generate_state(1, np.uint64)[0]) for c in children] == \
        [int(s) for s in seeds]
    assert same_bits(realisation_seeds(2024, 3), seeds[:3])
    assert len(set(seeds.tolist())) == 6
    assert not np.array_equal(realisation_seeds(2025, 6), seeds)
    assert same_bits(realisation_seeds(np.int64(2024), 6), seeds)


def test_salt_is_decimal_string():
    seed = realisation_seeds(1, 1)[0]
    assert salt(seed) == str(int(seed)) and salt(7) == "7"
    with pytest.raises(TypeError, match="seed"):
        salt(1.5)
    with pytest.raises(TypeError, match="seed"):
        salt(True)


# -- statistics and executors ---------------------------------------------------


def test_mean_stderr_and_order_match_direct_evaluation():
    seeds = realisation_seeds(11, 7)
    direct = np.array([gaussian_vector(int(s), 4) for s in seeds])
    with cf.ThreadPoolExecutor(2) as pool:
        res = run_ensemble(gaussian_vector, 7, 11, args=(4,), executor=pool,
                           progress=False)
    assert isinstance(res, EnsembleResult) and res.n == 7 and res.master_seed == 11
    assert same_bits(res.seeds, seeds)
    assert same_bits(res.data, direct)  # index order, not completion order
    np.testing.assert_allclose(res.mean, direct.sum(axis=0) / 7, rtol=1e-14)
    deviations = direct - direct.sum(axis=0) / 7
    stderr = np.sqrt((deviations ** 2).sum(axis=0) / 6 / 7)
    np.testing.assert_allclose(res.stderr, stderr, rtol=1e-13)


def test_scalar_complex_and_dict_results():
    with cf.ThreadPoolExecutor(1) as pool:
        scalar = run_ensemble(gaussian_scalar, 5, 3, executor=pool, progress=False)
        mixed = run_ensemble(complex_and_dict, 5, 3, executor=pool, progress=False)
        single = run_ensemble(gaussian_scalar, 1, 3, executor=pool, progress=False)
    assert scalar.data.shape == (5,) and np.ndim(scalar.mean) == 0
    assert set(mixed.data) == {"z", "v"} and mixed.data["v"].shape == (5, 2)
    z = np.array([complex_and_dict(int(s))["z"] for s in realisation_seeds(3, 5)])
    assert same_bits(mixed.data["z"], z)
    # Complex standard error: sqrt(var Re + var Im) / sqrt(n).
    expected = np.sqrt(np.var(z.real, ddof=1) + np.var(z.imag, ddof=1)) / np.sqrt(5)
    assert np.isclose(mixed.stderr["z"], expected, rtol=1e-13)
    assert single.n == 1 and np.isnan(single.stderr)
    assert single.mean == scalar.data[0]


def test_process_pools_give_identical_bits():
    """1 and 2 worker processes, and threads, all give the same numbers."""
    args = (6, 3, 2.0)
    with cf.ThreadPoolExecutor(1) as pool:
        reference = run_ensemble(wire_transmission, 6, 5, args=args, executor=pool,
                                 progress=False)
    for workers in (1, 2):
        with cf.ProcessPoolExecutor(workers) as pool:
            res = run_ensemble(wire_transmission, 6, 5, args=args, executor=pool,
                               progress=False)
        assert same_bits(res.data, reference.data)
    default = run_ensemble(wire_transmission, 6, 5, args=args, progress=False)
    assert same_bits(default.data, reference.data)
    # The disorder must matter: realisations differ from each other.
    assert np.ptp(reference.data[:, 0]) > 1e-3


def test_tasks_run_with_one_blas_thread():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not threadpoolctl.threadpool_info():
        pytest.skip("no BLAS/OpenMP library that threadpoolctl can control")
    with threadpoolctl.threadpool_limits(limits=2):
        if blas_threads(0) != 2:
            pytest.skip("cannot raise the BLAS thread count here")
        # Workers forked now inherit two BLAS threads...
        with cf.ProcessPoolExecutor(1) as pool:
            assert pool.submit(blas_threads, 0).result() == 2
            res = run_ensemble(blas_threads, 2, 1, executor=pool, progress=False)
            assert pool.submit(blas_threads, 0).result() == 2  # restored after
    assert (res.data == 1).all()  # ...but run_ensemble's tasks run with one


# -- results file and resume ------------------------------------------------------


def test_rerun_with_complete_file_computes_nothing(tmp_path):
    file = tmp_path / "res.jsonl"
    markers = tmp_path / "markers"
    markers.mkdir()
    with cf.ThreadPoolExecutor(2) as pool:
        first = run_ensemble(counting_task, 5, 8, args=(str(markers), 0.0),
                             executor=pool, results_file=file, progress=False)
        second = run_ensemble(counting_task, 5, 8, args=(str(markers), 0.0),
                              executor=pool, results_file=str(file), progress=False)
    assert sum(calls_per_seed(markers).values()) == 5
    assert same_bits(first.data, second.data)
    assert sorted(recorded_indices(file)) == list(range(5))


def test_resume_after_a_failing_realisation(tmp_path):
    n, master = 10, 99
    seeds = [int(s) for s in realisation_seeds(master, n)]
    markers = tmp_path / "markers"
    markers.mkdir()
    args = (str(markers), 0.02)
    with cf.ThreadPoolExecutor(1) as pool:
        clean = run_ensemble(counting_task, n, master, args=(str(tmp_path), 0.0),
                             executor=pool, progress=False)
    file = tmp_path / "res.jsonl"
    (markers / f"poison_{seeds[5]}").touch()
    with cf.ProcessPoolExecutor(2) as pool:
        with pytest.raises(RuntimeError, match=r"realisation 5 .*ValueError.*resume"):
            run_ensemble(counting_task, n, master, args=args, executor=pool,
                         results_file=file, progress=False)
    saved = recorded_indices(file)
    assert 5 not in saved and len(saved) >= 5  # 0..4 were submitted before 5
    (markers / f"poison_{seeds[5]}").unlink()
    with cf.ProcessPoolExecutor(2) as pool:
        resumed = run_ensemble(counting_task, n, master, args=args, executor=pool,
                               results_file=file, progress=False)
    calls = calls_per_seed(markers)
    assert all(calls[seeds[i]] == 1 for i in saved)  # finished: not recomputed
    assert calls[seeds[5]] == 2
    assert same_bits(resumed.data, clean.data)
    assert sorted(recorded_indices(file)) == list(range(n))  # none twice


def test_resume_after_sigkill(tmp_path):
    """Kill a running ensemble (process group, SIGKILL) and resume it."""
    n, master = 12, 4
    seeds = [int(s) for s in realisation_seeds(master, n)]
    markers = tmp_path / "markers"
    markers.mkdir()
    file = tmp_path / "res.jsonl"
    script = (
        "import concurrent.futures as cf\n"
        "from kwant_noneq.ensemble import run_ensemble\n"
        "from test_ensemble import counting_task\n"
        "with cf.ProcessPoolExecutor(2) as pool:\n"
        f"    run_ensemble(counting_task, {n}, {master}, args=({str(markers)!r}, 0.1),"
        f" executor=pool, results_file={str(file)!r}, progress=False)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO_DIR), str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-c", script], env=env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            if file.exists() and len(recorded_indices(file)) >= 4:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the ensemble ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    saved = recorded_indices(file)
    assert 4 <= len(saved) < n
    with cf.ThreadPoolExecutor(2) as pool:
        resumed = run_ensemble(counting_task, n, master, args=(str(markers), 0.1),
                               executor=pool, results_file=file, progress=False)
        clean = run_ensemble(counting_task, n, master, args=(str(tmp_path), 0.0),
                             executor=pool, progress=False)
    calls = calls_per_seed(markers)
    assert all(calls[seeds[i]] == 1 for i in saved)
    assert set(calls) == set(seeds)
    assert same_bits(resumed.data, clean.data)
    assert sorted(recorded_indices(file)) == list(range(n))


def test_torn_last_record_is_dropped_and_recomputed(tmp_path):
    file = tmp_path / "res.jsonl"
    markers = tmp_path / "markers"
    markers.mkdir()
    args = (str(markers), 0.0)
    with cf.ThreadPoolExecutor(1) as pool:
        full = run_ensemble(counting_task, 4, 1, args=args, executor=pool,
                            results_file=file, progress=False)
        lines = file.read_bytes().split(b"\n")
        last = json.loads(lines[-2])["index"]
        # A write cut off half-way through the last record.
        file.write_bytes(b"\n".join(lines[:-2]) + b"\n" + lines[-2][:25])
        resumed = run_ensemble(counting_task, 4, 1, args=args, executor=pool,
                               results_file=file, progress=False)
    seed = int(realisation_seeds(1, 4)[last])
    assert calls_per_seed(markers)[seed] == 2
    assert sum(calls_per_seed(markers).values()) == 5
    assert same_bits(resumed.data, full.data)
    assert file.read_bytes().endswith(b"\n")
    assert sorted(recorded_indices(file)) == list(range(4))


def test_corrupt_middle_line_is_an_error(tmp_path):
    file = tmp_path / "res.jsonl"
    with cf.ThreadPoolExecutor(1) as pool:
        run_ensemble(gaussian_scalar, 3, 1, executor=pool, results_file=file,
                     progress=False)
        lines = file.read_bytes().split(b"\n")
        lines[1] = b'{"index": 0, "seed"'
        file.write_bytes(b"\n".join(lines))
        with pytest.raises(ValueError, match="line 2 is corrupt"):
            run_ensemble(gaussian_scalar, 3, 1, executor=pool, results_file=file,
                         progress=False)


def test_file_in_use_is_refused(tmp_path):
    file = tmp_path / "res.jsonl"
    with cf.ThreadPoolExecutor(1) as pool:
        first = run_ensemble(gaussian_scalar, 3, 1, results_file=file, executor=pool,
                             progress=False)
    with results_file_lock(file) as held:
        assert held == file
        with pytest.raises(RuntimeError, match="in use"):
            run_ensemble(gaussian_scalar, 3, 1, results_file=file, progress=False)
        with pytest.raises(RuntimeError, match="in use"):
            repair_results(file)
        with pytest.raises(RuntimeError, match="in use"):
            with results_file_lock(file):
                pass
        assert same_bits(load_ensemble(file).data, first.data)  # reading is free
    # Another process holding the file is refused too.
    script = ("import sys\n"
              "from kwant_noneq.ensemble import results_file_lock\n"
              "with results_file_lock(sys.argv[1]):\n"
              "    print('locked', flush=True)\n"
              "    sys.stdin.read()\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO_DIR), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-c", script, str(file)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout.readline() == b"locked\n"
        with pytest.raises(RuntimeError, match="in use by another running ensemble"):
            run_ensemble(gaussian_scalar, 3, 1, results_file=file, progress=False)
    finally:
        proc.communicate(b"")
    with cf.ThreadPoolExecutor(1) as pool:  # released when that process ended
        assert run_ensemble(gaussian_scalar, 3, 1, results_file=file, executor=pool,
                            progress=False).n == 3


def test_results_file_lock_refuses_missing_and_foreign_files(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        with results_file_lock(tmp_path / "missing.jsonl"):
            pass
    foreign = tmp_path / "notes.jsonl"
    foreign.write_text('{"hello": 1}\n')
    with pytest.raises(ValueError, match="not a kwant_noneq ensemble results file"):
        with results_file_lock(foreign):
            pass
    # The refused lock was released: a run names the real problem.
    with pytest.raises(ValueError, match="not a kwant_noneq ensemble results file"):
        run_ensemble(gaussian_scalar, 3, 1, results_file=foreign, progress=False)


def test_reused_process_pool_does_not_keep_the_file_locked(tmp_path):
    """Workers forked during a run inherit the file descriptor, not the lock."""
    file = tmp_path / "res.jsonl"
    with cf.ProcessPoolExecutor(2) as pool:
        first = run_ensemble(gaussian_vector, 4, 2, args=(2,), executor=pool,
                             results_file=file, progress=False)
        again = run_ensemble(gaussian_vector, 4, 2, args=(2,), executor=pool,
                             results_file=file, progress=False)
    assert same_bits(first.data, again.data)


# -- bad input ------------------------------------------------------------------


@pytest.mark.parametrize("master_seed", [1.0, "3", True, np.bool_(False), None])
def test_master_seed_must_be_an_integer(master_seed):
    with pytest.raises(TypeError, match="master_seed must be an integer"):
        run_ensemble(gaussian_scalar, 2, master_seed)
    with pytest.raises(TypeError, match="master_seed must be an integer"):
        realisation_seeds(master_seed, 2)


def test_master_seed_must_be_non_negative():
    with pytest.raises(ValueError, match="master_seed must be non-negative"):
        run_ensemble(gaussian_scalar, 2, -1)


@pytest.mark.parametrize("n", [0, -3])
def test_realisations_must_be_positive(n):
    with pytest.raises(ValueError, match="n_realisations must be at least 1"):
        run_ensemble(gaussian_scalar, n, 1)


@pytest.mark.parametrize("n", [2.0, True, "4"])
def test_realisations_must_be_an_integer(n):
    with pytest.raises(TypeError, match="n_realisations must be an integer"):
        run_ensemble(gaussian_scalar, n, 1)


@pytest.mark.parametrize("executor", ["processes", 4, object()])
def test_executor_must_be_an_executor(executor):
    with pytest.raises(TypeError, match="executor must be a concurrent.futures"):
        run_ensemble(gaussian_scalar, 2, 1, executor=executor, progress=False)


def test_bad_executor_creates_no_results_file(tmp_path):
    with pytest.raises(TypeError, match="executor must be"):
        run_ensemble(gaussian_scalar, 2, 1, executor="dask",
                     results_file=tmp_path / "res.jsonl")
    assert not (tmp_path / "res.jsonl").exists()


def test_executor_class_instead_of_instance():
    with pytest.raises(TypeError, match="instance, not the class ProcessPoolExecutor"):
        run_ensemble(gaussian_scalar, 2, 1, executor=cf.ProcessPoolExecutor)


def test_other_bad_arguments():
    with pytest.raises(TypeError, match="task must be callable"):
        run_ensemble("task", 2, 1)
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        run_ensemble(gaussian_scalar, 2, 1, progress="yes")
    with pytest.raises(TypeError, match="args must be a tuple"):
        run_ensemble(gaussian_vector, 2, 1, args=[3])
    with pytest.raises(TypeError, match="config must be a dict"):
        run_ensemble(gaussian_scalar, 2, 1, config=[("W", 1)])
    with pytest.raises(TypeError, match="config must be JSON-serialisable"):
        run_ensemble(gaussian_scalar, 2, 1, config={"f": gaussian_scalar})
    with pytest.raises(TypeError, match="config must be JSON-serialisable"):
        run_ensemble(gaussian_scalar, 2, 1, config={"W": float("nan")})


def test_non_numeric_results_are_refused():
    def text(seed):
        return "not a number"
    with cf.ThreadPoolExecutor(1) as pool:
        with pytest.raises(RuntimeError, match="realisation 0 .*TypeError.*dtype"):
            run_ensemble(text, 2, 1, executor=pool, progress=False)


def test_inconsistent_shapes_are_refused():
    def ragged(seed):
        return np.zeros(1 + seed % 2)
    with cf.ThreadPoolExecutor(1) as pool:
        with pytest.raises(ValueError, match="returned shape"):
            run_ensemble(ragged, 8, 1, executor=pool, progress=False)


@pytest.mark.parametrize("field, change", [
    ("master_seed", dict(master_seed=8)),
    ("config", dict(config={"W": 2.0})), ("args", dict(args=(3,))),
    ("task", dict(task=gaussian_scalar))])
def test_file_of_another_configuration_is_refused(tmp_path, field, change):
    file = tmp_path / "res.jsonl"
    base = dict(task=gaussian_vector, n=5, master_seed=7, config={"W": 1.0},
                args=(2,))

    def run(task, n, master_seed, config, args):
        with cf.ThreadPoolExecutor(1) as pool:
            return run_ensemble(task, n, master_seed, args=args, config=config,
                                executor=pool, results_file=file, progress=False)

    run(**base)
    before = file.read_bytes()
    with pytest.raises(ValueError, match=f"different configuration.*{field}: file has"):
        run(**{**base, **change})
    assert file.read_bytes() == before  # untouched


def test_foreign_file_is_refused(tmp_path):
    file = tmp_path / "notes.txt"
    file.write_text("my notes\n")
    with pytest.raises(ValueError, match="not a kwant_noneq ensemble results file"):
        run_ensemble(gaussian_scalar, 2, 1, results_file=file, progress=False)
    with pytest.raises(ValueError, match="does not exist"):
        run_ensemble(gaussian_scalar, 2, 1, results_file=tmp_path / "no" / "f.jsonl")


# -- progress -----------------------------------------------------------------


def test_progress_bar_is_tqdm(monkeypatch):
    """progress=True shows tqdm's bar (on stderr, after 2 s), counting
    realisations already on file as done."""
    made = []

    class Bar:
        def __init__(self, **kwargs):
            made.append(kwargs)
            self.n = kwargs["initial"]

        def update(self, n=1):
            self.n += n

        def close(self):
            made.append(self.n)

    monkeypatch.setattr(ensemble, "tqdm", Bar)
    with cf.ThreadPoolExecutor(1) as pool:
        run_ensemble(gaussian_scalar, 3, 1, executor=pool, progress=True)
    assert made[0]["total"] == 3 and made[0]["initial"] == 0
    assert made[0]["disable"] is False and made[0]["delay"] == 2.0
    assert made[-1] == 3


def test_progress_false_prints_nothing(capsys):
    with cf.ThreadPoolExecutor(1) as pool:
        run_ensemble(gaussian_scalar, 3, 1, executor=pool, progress=False)
    assert capsys.readouterr().err == ""


# -- dask.distributed and MPI ----------------------------------------------------------


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    # Spawned workers import this module (for the tasks) and this worktree's
    # kwant_noneq: put both on their path.
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_DIR), str(TESTS_DIR)] + ([old] if old else []))
    try:
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                           processes=True, dashboard_address=None)
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_gives_the_local_pool_bits(dask_client):
    args = (6, 3, 2.0)
    with cf.ProcessPoolExecutor(2) as pool:
        local = run_ensemble(wire_transmission, 8, 21, args=args, executor=pool,
                             progress=False)
    via_client = run_ensemble(wire_transmission, 8, 21, args=args,
                              executor=dask_client, progress=False)
    via_executor = run_ensemble(wire_transmission, 8, 21, args=args,
                                executor=dask_client.get_executor(), progress=False)
    for res in (via_client, via_executor):
        assert same_bits(res.data, local.data)
        assert same_bits(res.mean, local.mean) and same_bits(res.stderr, local.stderr)
    assert len(dask_client.scheduler_info()["workers"]) == 2
    if importlib.util.find_spec("threadpoolctl"):
        threads = run_ensemble(blas_threads, 4, 1, executor=dask_client,
                               progress=False)
        assert (threads.data == 1).all()


def test_dask_resume_from_a_local_pool_file(dask_client, tmp_path):
    """Half the ensemble on the local pool, the rest on dask: one result."""
    file = tmp_path / "res.jsonl"
    markers = tmp_path / "markers"
    markers.mkdir()
    args = (str(markers), 0.0)
    seeds = [int(s) for s in realisation_seeds(5, 6)]
    (markers / f"poison_{seeds[3]}").touch()
    with cf.ThreadPoolExecutor(1) as pool:
        with pytest.raises(RuntimeError, match="realisation 3"):
            run_ensemble(counting_task, 6, 5, args=args, executor=pool,
                         results_file=file, progress=False)
        clean = run_ensemble(counting_task, 6, 5, args=(str(tmp_path), 0.0),
                             executor=pool, progress=False)
    (markers / f"poison_{seeds[3]}").unlink()
    saved = recorded_indices(file)
    resumed = run_ensemble(counting_task, 6, 5, args=args, executor=dask_client,
                           results_file=file, progress=False)
    calls = calls_per_seed(markers)
    assert saved and all(calls[seeds[i]] == 1 for i in saved)
    assert same_bits(resumed.data, clean.data)


def test_mpi_pool_gives_the_local_pool_bits(tmp_path):
    """mpi4py's MPIPoolExecutor (workers spawned by MPI) gives the local bits.

    Runs in a fresh Python so that MPI's initialisation (and its helper
    daemon) stays out of this process.  Open MPI refuses to run as root unless
    told to, and counts a started Python as a singleton holding one of the
    machine's slots (one per core), so spawning two workers on a 2-core machine
    needs oversubscription; conftest.py sets the OMPI_* variables for both.
    """
    pytest.importorskip("mpi4py.futures")
    script = ("import sys\n"
              "import numpy as np\n"
              "from mpi4py.futures import MPIPoolExecutor\n"
              "from kwant_noneq.ensemble import run_ensemble\n"
              "from test_ensemble import gaussian_vector\n"
              "if __name__ == '__main__':\n"
              "    with MPIPoolExecutor(max_workers=2) as pool:\n"
              "        res = run_ensemble(gaussian_vector, 4, 3, args=(2,),"
              " executor=pool, progress=False)\n"
              "    np.save(sys.argv[1], res.data)\n")
    out = tmp_path / "mpi.npy"
    (tmp_path / "mpi_run.py").write_text(script)
    done = subprocess.run([sys.executable, str(tmp_path / "mpi_run.py"), str(out)],
                          env=subprocess_env(), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    with cf.ThreadPoolExecutor(1) as pool:
        local = run_ensemble(gaussian_vector, 4, 3, args=(2,), executor=pool,
                             progress=False)
    assert same_bits(np.load(out), local.data)


# -- robustness: simultaneous starts, orphans, repair, growth, loading ---------


def subprocess_env():
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO_DIR), str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]))


def kill_when_recorded(script, file, min_records, whole_group=True):
    """Run ``script`` in a new Python process; SIGKILL it once ``file`` holds
    ``min_records`` records.  Returns the indices recorded at the kill."""
    proc = subprocess.Popen([sys.executable, "-c", script], env=subprocess_env(),
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if file.exists() and len(recorded_indices(file)) >= min_records:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the ensemble ended before it could be killed"
        if whole_group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    return recorded_indices(file)


def start_together(barrier, file, markers, outcomes):
    """One of two processes that open the same new results file at once."""
    barrier.wait()
    try:
        with cf.ThreadPoolExecutor(1) as pool:
            res = run_ensemble(counting_task, 4, 9, args=(markers, 0.01),
                               executor=pool, results_file=file, progress=False)
        outcomes.put(("ok", res.data.tobytes()))
    except RuntimeError as error:
        outcomes.put(("refused", str(error)))
    except BaseException as error:  # reported, so that the test names it
        outcomes.put(("error", repr(error)))


def test_simultaneous_start_lets_exactly_one_run_proceed(tmp_path):
    """Two runs started together on a new file: one runs, the other is told
    the file is in use (or, if it came late, finds every realisation done).
    No realisation is computed twice and none is lost."""
    context = multiprocessing.get_context("fork")
    seeds = [int(s) for s in realisation_seeds(9, 4)]
    reference = np.array([counting_task(s, str(tmp_path), 0.0) for s in seeds])
    trials, contended = 30, 0
    for trial in range(trials):
        file = tmp_path / f"res{trial}.jsonl"
        markers = tmp_path / f"markers{trial}"
        markers.mkdir()
        barrier, outcomes = context.Barrier(2), context.Queue()
        procs = [context.Process(target=start_together,
                                 args=(barrier, file, str(markers), outcomes))
                 for _ in range(2)]
        for proc in procs:
            proc.start()
        results = [outcomes.get(timeout=60) for _ in procs]
        for proc in procs:
            proc.join()
        kinds = sorted(kind for kind, _ in results)
        assert kinds in (["ok", "ok"], ["ok", "refused"]), results
        for kind, detail in results:
            if kind == "ok":
                assert detail == reference.tobytes()
            else:
                assert "in use by another running ensemble" in detail
        contended += kinds == ["ok", "refused"]
        assert calls_per_seed(markers) == {s: 1 for s in seeds}, trial
        assert sorted(recorded_indices(file)) == [0, 1, 2, 3]
        assert same_bits(load_ensemble(file).data, reference)
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary header left behind
    # Most trials overlap (a run holds the file for 4 x 10 ms); if none did,
    # the test tested nothing.
    assert contended > 0


def test_a_late_creator_does_not_replace_a_locked_file(tmp_path, monkeypatch):
    """The interleaving behind a simultaneous start, forced: run B found no
    file, run A then created and locked it, and B creates it too.  B must
    neither replace A's file nor run."""
    file = tmp_path / "res.jsonl"
    with cf.ThreadPoolExecutor(1) as pool:
        first = run_ensemble(gaussian_scalar, 3, 1, results_file=file, executor=pool,
                             progress=False)
    content = file.read_bytes()
    with results_file_lock(file):                  # A holds its file
        inode = os.stat(file).st_ino
        real_exists = pathlib.Path.exists
        monkeypatch.setattr(pathlib.Path, "exists",
                            lambda self: False if self == file else real_exists(self))
        with pytest.raises(RuntimeError, match="in use"):
            run_ensemble(gaussian_scalar, 3, 1, results_file=file, progress=False)
        monkeypatch.undo()
        assert os.stat(file).st_ino == inode  # A's file, not a new one
    assert file.read_bytes() == content       # and B wrote nothing to it
    assert same_bits(load_ensemble(file).data, first.data)
    assert not list(tmp_path.glob(".*.tmp"))


def process_state(pid):
    """'gone', 'zombie' or 'alive' (a zombie has exited, unreaped)."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return "gone"
    return "zombie" if stat.rsplit(")", 1)[1].split()[0] in "ZX" else "alive"


@pytest.mark.skipif(not pathlib.Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("pool", ["default", "passed in"])
def test_workers_exit_when_the_main_process_is_killed(tmp_path, pool):
    markers = tmp_path / "markers"
    markers.mkdir()
    file = tmp_path / "res.jsonl"
    call = (f"run_ensemble(counting_task, 40, 3, args=({str(markers)!r}, 0.3), "
            f"{{}}results_file={str(file)!r}, progress=False)")
    if pool == "default":
        script_run = call.format("")
    else:
        script_run = ("with cf.ProcessPoolExecutor(2) as pool:\n    "
                      + call.format("executor=pool, "))
    script = ("import concurrent.futures as cf\n"
              "from kwant_noneq.ensemble import run_ensemble\n"
              "from test_ensemble import counting_task\n" + script_run + "\n")
    proc = subprocess.Popen([sys.executable, "-c", script], env=subprocess_env())
    workers = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            workers = {int(p.name.split("_")[2]) for p in markers.glob("call_*")}
            if file.exists() and len(recorded_indices(file)) >= 2 and workers:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the ensemble ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)  # the main process only
        proc.wait()
        assert workers and proc.pid not in workers
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(
                process_state(pid) == "alive" for pid in workers):
            time.sleep(0.05)
        assert all(process_state(pid) != "alive" for pid in workers)
    finally:
        for pid in workers:  # do not leave them behind if the test failed
            if process_state(pid) == "alive":
                os.kill(pid, signal.SIGKILL)
    # What was recorded before the kill is intact and resumes.
    assert load_ensemble(file).n >= 2


def test_corrupt_and_edited_lines_are_refused_then_repaired(tmp_path):
    file = tmp_path / "res.jsonl"
    markers = tmp_path / "markers"
    markers.mkdir()
    args = (str(markers), 0.0)
    seeds = [int(s) for s in realisation_seeds(6, 5)]
    with cf.ThreadPoolExecutor(1) as pool:
        clean = run_ensemble(counting_task, 5, 6, args=args, executor=pool,
                             results_file=file, progress=False)
    lines = file.read_bytes().split(b"\n")
    assert len(lines) == 7 and lines[-1] == b""
    edited_index = json.loads(lines[2])["index"]
    corrupt_index = json.loads(lines[5])["index"]
    # Line 3: a value edited by hand (valid JSON, old checksum); line 6, the
    # last: cut short but newline-terminated, which no cut-off write leaves.
    record = json.loads(lines[2])
    value = np.frombuffer(base64.b64decode(record["value"]["data"]))
    record["value"]["data"] = base64.b64encode((value + 1.0).tobytes()).decode()
    bad_lines = {3: json.dumps(record).encode(), 6: lines[5][:30]}
    lines[2], lines[5] = bad_lines[3], bad_lines[6]
    file.write_bytes(b"\n".join(lines))
    good_lines = [lines[i] for i in (1, 3, 4)]
    for read in (lambda: load_ensemble(file),
                 lambda: run_ensemble(counting_task, 5, 6, args=args,
                                      results_file=file, progress=False)):
        with pytest.raises(ValueError, match=r"line 3 is corrupt \(checksum mismatch"
                           r".* \(and 1 more bad lines\).*repair_results"):
            read()
    report = repair_results(file)
    assert report.kept == 3
    assert [number for number, _ in report.dropped_lines] == [3, 6]
    assert report.dropped_file.read_bytes() == bad_lines[3] + b"\n" + bad_lines[6] + b"\n"
    repaired = file.read_bytes().split(b"\n")
    assert repaired[0] == lines[0] and repaired[1:4] == good_lines  # byte for byte
    assert repair_results(file).dropped_lines == ()  # nothing left to repair
    with cf.ThreadPoolExecutor(1) as pool:
        resumed = run_ensemble(counting_task, 5, 6, args=args, executor=pool,
                               results_file=file, progress=False)
    calls = calls_per_seed(markers)
    assert calls == {s: 1 + (i in (edited_index, corrupt_index))
                     for i, s in enumerate(seeds)}
    assert same_bits(resumed.data, clean.data)


def test_edited_header_is_refused_and_not_repairable(tmp_path):
    file = tmp_path / "res.jsonl"
    with cf.ThreadPoolExecutor(1) as pool:
        run_ensemble(gaussian_scalar, 2, 1, executor=pool, results_file=file,
                     config={"W": 1.0}, progress=False)
    text = file.read_text()
    file.write_text(text.replace('"W": 1.0', '"W": 2.0', 1))
    for action in (lambda: load_ensemble(file), lambda: repair_results(file),
                   lambda: run_ensemble(gaussian_scalar, 2, 1, results_file=file,
                                        config={"W": 2.0}, progress=False)):
        with pytest.raises(ValueError, match=r"line 1 \(the header\): checksum "
                           "mismatch.*cannot be repaired"):
            action()


def test_repair_refuses_a_file_in_use(tmp_path):
    file = tmp_path / "res.jsonl"
    with cf.ThreadPoolExecutor(1) as pool:
        run_ensemble(gaussian_scalar, 3, 1, results_file=file, executor=pool,
                     progress=False)
    with results_file_lock(file):
        with pytest.raises(RuntimeError, match="in use"):
            repair_results(file)
    assert repair_results(file).kept == 3


def test_growing_an_ensemble_equals_a_fresh_run(tmp_path):
    file = tmp_path / "res.jsonl"
    markers = tmp_path / "markers"
    markers.mkdir()
    args = (str(markers), 0.0)
    seeds = [int(s) for s in realisation_seeds(12, 8)]
    with cf.ThreadPoolExecutor(2) as pool:
        small = run_ensemble(counting_task, 4, 12, args=args, executor=pool,
                             results_file=file, progress=False)
        grown = run_ensemble(counting_task, 8, 12, args=args, executor=pool,
                             results_file=file, progress=False)
        fresh = run_ensemble(counting_task, 8, 12, args=(str(tmp_path), 0.0),
                             executor=pool, progress=False)
        shrunk = run_ensemble(counting_task, 6, 12, args=args, executor=pool,
                              results_file=file, progress=False)
    assert calls_per_seed(markers) == {s: 1 for s in seeds}  # 0-3 not rerun
    for name in ("data", "mean", "stderr", "seeds"):
        assert same_bits(getattr(grown, name), getattr(fresh, name)), name
    assert same_bits(grown.data[:4], small.data)
    assert same_bits(shrunk.data, fresh.data[:6]) and shrunk.n == 6
    loaded = load_ensemble(file)
    assert loaded.n == 8 and loaded.n_requested == 8
    assert same_bits(loaded.data, fresh.data)


def test_load_ensemble_returns_data_seeds_and_configuration(tmp_path):
    file = tmp_path / "res.jsonl"
    with cf.ThreadPoolExecutor(1) as pool:
        res = run_ensemble(complex_and_dict, 5, 3, executor=pool, results_file=file,
                           config={"W": 0.5, "L": 40}, progress=False)
    loaded = load_ensemble(file)
    assert isinstance(loaded, EnsembleResult)
    assert loaded.task == "test_ensemble.complex_and_dict" == res.task
    assert loaded.config == {"W": 0.5, "L": 40} == res.config
    assert loaded.args == [] and loaded.master_seed == 3 and loaded.n_requested == 5
    assert same_bits(loaded.seeds, realisation_seeds(3, 5))
    assert same_bits(loaded.indices, np.arange(5))
    for key in ("z", "v"):
        assert same_bits(loaded.data[key], res.data[key])
        assert same_bits(loaded.mean[key], res.mean[key])
    # An unfinished file: the indices say which realisations are there.
    partial = tmp_path / "partial.jsonl"
    markers = tmp_path / "markers"
    markers.mkdir()
    seeds = [int(s) for s in realisation_seeds(5, 6)]
    (markers / f"poison_{seeds[2]}").touch()
    with cf.ThreadPoolExecutor(1) as pool:
        with pytest.raises(RuntimeError, match="realisation 2"):
            run_ensemble(counting_task, 6, 5, args=(str(markers), 0.0),
                         executor=pool, results_file=partial, progress=False)
    some = load_ensemble(partial)
    assert some.n_requested == 6 and 2 not in some.indices.tolist()
    assert same_bits(some.seeds, np.array([seeds[i] for i in some.indices],
                                          dtype=np.uint64))
    with pytest.raises(ValueError, match="does not exist"):
        load_ensemble(tmp_path / "none.jsonl")


def test_to_xarray_and_to_pandas(tmp_path):
    xarray = pytest.importorskip("xarray")
    pandas = pytest.importorskip("pandas")
    file = tmp_path / "res.jsonl"
    with cf.ThreadPoolExecutor(1) as pool:
        run_ensemble(complex_and_dict, 4, 3, executor=pool, results_file=file,
                     config={"W": 0.5}, progress=False)
        vector = run_ensemble(gaussian_vector, 3, 2, args=(2,), executor=pool,
                              progress=False)
    loaded = load_ensemble(file)
    ds = loaded.to_xarray()
    assert isinstance(ds, xarray.Dataset)
    assert same_bits(ds["z"].values, loaded.data["z"])
    assert ds["v"].dims == ("realisation", "dim_0")
    assert same_bits(ds["seed"].values, loaded.seeds)
    assert json.loads(ds.attrs["config"]) == {"W": 0.5} and ds.attrs["master_seed"] == 3
    frame = loaded.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == ["seed", "v[0]", "v[1]", "z"]  # keys sorted in a file
    assert same_bits(frame["v[1]"].to_numpy(), loaded.data["v"][:, 1])
    assert frame.index.name == "realisation" and frame.attrs["task"] == loaded.task
    assert list(vector.to_xarray().data_vars) == ["value"]
    assert list(vector.to_pandas().columns) == ["seed", "value[0]", "value[1]"]


def test_to_xarray_without_xarray_names_the_extra(monkeypatch):
    with cf.ThreadPoolExecutor(1) as pool:
        res = run_ensemble(gaussian_scalar, 2, 1, executor=pool, progress=False)
    monkeypatch.setitem(sys.modules, "xarray", None)  # import xarray fails
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"kwant-noneq\[analysis\]"):
        res.to_xarray()
    with pytest.raises(ImportError, match=r"kwant-noneq\[analysis\]"):
        res.to_pandas()


def test_engine_bits_agree_on_every_executor(tmp_path, dask_client):
    """The project's scattering engine gives the same bits serially, on pools
    of 1 and 2 processes, on dask, and after a kill and resume."""
    n, master = 8, 31
    args = (8, 4, 1.0, 0.35, 0.1)  # 8 x 4 nm ribbon, W = 1 eV, E = 0.35 eV
    seeds = realisation_seeds(master, n)
    serial = [bhz_scattering(int(s), *args) for s in seeds]
    expected = {key: np.stack([r[key] for r in serial]) for key in serial[0]}
    # The disorder matters: realisations differ (phases of the edge channels).
    assert abs(expected["smatrix"] - expected["smatrix"][0]).max() > 1e-3
    runs = {}
    for workers in (1, 2):
        with cf.ProcessPoolExecutor(workers) as pool:
            runs[f"pool of {workers}"] = run_ensemble(
                bhz_scattering, n, master, args=args, executor=pool, progress=False)
    runs["dask"] = run_ensemble(bhz_scattering, n, master, args=args,
                                executor=dask_client, progress=False)
    file = tmp_path / "res.jsonl"
    saved = kill_when_recorded(
        "import concurrent.futures as cf\n"
        "from kwant_noneq.ensemble import run_ensemble\n"
        "from test_ensemble import bhz_scattering\n"
        "with cf.ProcessPoolExecutor(2) as pool:\n"
        f"    run_ensemble(bhz_scattering, {n}, {master}, args={args!r},"
        f" executor=pool, results_file={str(file)!r}, progress=False)\n", file, 3)
    assert 3 <= len(saved) < n
    with cf.ProcessPoolExecutor(2) as pool:
        runs["killed and resumed"] = run_ensemble(
            bhz_scattering, n, master, args=args, executor=pool, results_file=file,
            progress=False)
    for name, res in runs.items():
        for key in expected:
            assert same_bits(res.data[key], expected[key]), (name, key)


# -- tasks that keep per-worker state ----------------------------------------


def _serial_and_pools(run):
    """``run(executor)`` serially (one thread), on pools of 1 and 2 processes."""
    out = {}
    with cf.ThreadPoolExecutor(1) as pool:
        out["serial"] = run(pool)
    for workers in (1, 2):
        with cf.ProcessPoolExecutor(workers) as pool:
            out[f"pool of {workers}"] = run(pool)
    return out


def test_helical_realisation_bits_do_not_depend_on_earlier_realisations():
    """reflection_task keeps the ribbon's scattering states in the process
    between calls: a realisation must give the same bits whatever the
    process solved before (in another order, or on a pool of 2 processes)."""
    e = helical_edge(12)
    rng = np.random.default_rng(0)
    fields = [1e-3 * rng.standard_normal((len(e.cell_tags), 3)) for _ in range(2)]
    energies = (e.dirac_energy + 0.1, e.dirac_energy + 0.12)
    args = (e.width, e.params, e.cell_tags, 10, 0.5, energies, fields,
            [(0, 0), (0, 1), (1, 0), (1, 1)])
    seeds = [int(s) for s in realisation_seeds(5, 3)]
    forward = [reflection_task(seed, *args) for seed in seeds]
    backward = [reflection_task(seed, *args) for seed in seeds[::-1]][::-1]
    assert np.ptp([r["R"][0] for r in forward]) > 0.1 * forward[0]["R"][0]
    with cf.ProcessPoolExecutor(2) as pool:
        pooled = run_ensemble(reflection_task, 3, 5, args=args, executor=pool,
                              progress=False)
    for i, (a, b) in enumerate(zip(forward, backward)):
        for key in a:
            assert same_bits(a[key], b[key]), (i, key)
            assert same_bits(pooled.data[key][i], a[key]), (i, key)


def test_self_consistent_realisation_bits_do_not_depend_on_earlier_ones():
    """A self-consistent field per realisation with per-process lead modes
    and kept scattering states: the same bits after another realisation."""
    # Weak disorder: one realisation's potential is solved on another's
    # factorisation without a stall, warm-started from its solution.
    args = (12, 4, 0.05, 0.1, 0.01, 2.0, 1e-6)
    a, b, c = (int(s) for s in realisation_seeds(17, 3))
    helical_scf_reflection(a, *args)
    first = helical_scf_reflection(b, *args)     # after a
    helical_scf_reflection(c, *args)
    again = helical_scf_reflection(b, *args)     # after c
    assert first["iterations"] > 1
    for key in first:
        assert same_bits(again[key], first[key]), key


@pytest.mark.slow
def test_helical_reflection_ensemble_bits_do_not_depend_on_the_workers():
    """HelicalEdge.reflection_ensemble keeps the ribbon's scattering states in
    each worker between realisations; a realisation's bits must still depend
    on its seed only, not on which realisations its worker solved before (a
    warm start on another realisation's factorisation changed R by ~1e-18
    and T by ~1e-12 between 1 and 2 workers)."""
    e = helical_edge(12)
    field = e.exchange_field(0.1, 0.01, 2.0, n_panels=1)
    kw = dict(length=30, disorder=0.5, energies=[0.1, 0.12], fields=[field, 2 * field],
              jobs=[(0, 0), (0, 1), (1, 0)], n_realisations=6, master_seed=3)
    runs = _serial_and_pools(lambda pool: e.reflection_ensemble(**kw, executor=pool))
    reference = runs.pop("serial")
    # The disorder matters: realisations differ.
    assert np.ptp(reference.result.data["R"][:, 0]) > 1e-3 * np.max(reference.result.data["R"][:, 0])
    for name, res in runs.items():
        for key, data in reference.result.data.items():
            assert same_bits(res.result.data[key], data), (name, key)
        assert same_bits(res.raw, reference.raw), name
        assert same_bits(res.corrected, reference.corrected), name


@pytest.mark.slow
def test_self_consistent_realisations_bits_do_not_depend_on_the_workers():
    """A self-consistent field per realisation, with per-worker lead modes and
    kept scattering states: serial, 1 and 2 processes give the same bits."""
    args = (12, 8, 0.3, 0.1, 0.01, 2.0, 1e-8)
    runs = _serial_and_pools(lambda pool: run_ensemble(
        helical_scf_reflection, 3, 17, args=args, executor=pool, progress=False))
    reference = runs.pop("serial")
    assert np.ptp(reference.data["R"]) > 0
    assert np.all(reference.data["iterations"] > 1)        # a real SCF each
    for name, res in runs.items():
        for key, data in reference.data.items():
            assert same_bits(res.data[key], data), (name, key)
