"""Disorder ensembles on any executor, resumable, with reproducible seeds.

A disorder ensemble is a set of independent realisations of one calculation,
each fixed by an integer seed.  `run_ensemble` runs them on an executor
(following python-adaptive's executor convention),
writes each finished realisation to a results file at once, and returns the
mean and standard error over realisations.

Seeds
-----
Realisation ``i`` of an ensemble with master seed ``m`` gets the seed::

    numpy.random.SeedSequence(m, spawn_key=(i,)).generate_state(1, numpy.uint64)[0]

This is the first 64-bit word of the ``i``-th child of
``numpy.random.SeedSequence(m).spawn(n)`` (spawn keys are ``(0,), (1,), ...``),
so the children are statistically independent streams in NumPy's sense, and
seed ``i`` does not depend on the ensemble size ``n``: the first 20
realisations of a 40-realisation ensemble are those of the 20-realisation one.
A seed depends on ``(m, i)`` only, never on the executor, the number of
workers or the order in which realisations finish, so the same master seed
gives bit-identical numbers everywhere (given a deterministic task and one
BLAS thread per worker, which `run_ensemble` sets).

Use a seed either as ``numpy.random.default_rng(seed)`` or, for Kwant's
site-wise disorder, as the salt of ``kwant.digest.uniform(repr(site.tag),
salt(seed))``, which makes the disorder depend on the site and the seed only,
not on the build order or the worker.

Results file
------------
JSON lines, each with the SHA-256 of its own content (``"sha256"``).  Line 1
is a header with the configuration: the task's qualified name, its ``args``
(when JSON-serialisable), the user's ``config`` dict, the master seed, the
number of realisations first asked for and the seed scheme.  Each further line
is one realisation, ``{"index": i, "seed": s, "value": ...}``, where array
data are stored as base64 of their raw bytes with dtype and shape, so a value
read back is bit-identical to the one computed (NaN and inf included), or a
line ``{"n_realisations": N}`` written when a run grows the ensemble to ``N``.
Each line is written with one ``write`` on an ``O_APPEND`` descriptor and
``fsync``-ed before the next realisation is recorded.  A run killed mid-write
leaves at most one unterminated last line, which the next run drops (and
recomputes).  A complete line that does not parse or whose checksum does not
match (an edited value, a damaged disk) is refused, naming the line;
`repair_results` moves such lines to a side file so that the next run
recomputes them.  A file whose header differs from the present configuration
is refused with a ``ValueError``; results of different configurations are
never mixed.  The number of realisations is not part of the configuration:
asking for more realisations than a file holds grows it (realisation ``i``'s
seed does not depend on the ensemble size), asking for fewer uses the first
ones.  `load_ensemble` reads a file back without running anything.

Locking
-------
A new file is created whole: its header is written to a temporary file that
is hard-linked to the final name, which fails if the name exists, so two runs
starting at once cannot both create it.  While a run uses a file it holds an
exclusive POSIX record lock (``lockf``) on it and checks, after taking the
lock, that the path still names the locked file; the second of two runs
started together gets a ``RuntimeError`` ("in use").  A record lock belongs
to the process that took it: worker processes forked during a run inherit the
descriptor but not the lock, so they never keep a file locked after its run
has ended.  `results_file_lock` takes the same lock outside a run (to copy
a file consistently, or to keep runs off it).

Orphaned workers
----------------
Worker processes that are direct children of the process running
`run_ensemble` (its own pool, or a ``ProcessPoolExecutor`` passed in) watch
their parent and exit within about 0.2 s of its death (e.g. a ``SIGKILL``),
instead of computing on for nobody; a worker inside a long C call (MUMPS)
exits when that call returns.
"""
import base64
import concurrent.futures as cf
import contextlib
import dataclasses
import functools
import hashlib
import json
import math
import numbers
import os
import pathlib
import sys
import tempfile
import threading
import time

import numpy as np
from tqdm.auto import tqdm

__all__ = ["run_ensemble", "load_ensemble", "repair_results", "results_file_lock",
           "realisation_seeds", "salt", "EnsembleResult", "RepairReport",
           "SEED_SCHEME"]

SEED_SCHEME = ("numpy.random.SeedSequence(master_seed, spawn_key=(index,))"
               ".generate_state(1, numpy.uint64)[0]")
_FORMAT = "kwant_noneq.ensemble"
_FORMAT_VERSION = 2  # 2: a checksum per line, growable
# Header keys that identify a configuration (n_realisations does not: growing
# an ensemble keeps it).
_IDENTITY = ("format", "version", "task", "args", "config", "master_seed",
             "seed_scheme")
_WATCHDOG_INTERVAL = 0.2  # [s] how often a pool worker checks its parent
_NUMERIC_KINDS = "biufc"  # bool, signed, unsigned, float, complex
# (st_dev, st_ino) of the results files open in this process, see _open_locked.
_OPEN_FILES = set()
_OPEN_FILES_LOCK = threading.Lock()
# Whether this (worker) process already watches its parent: one watchdog each.
_WATCHDOG = {"started": False}
_WATCHDOG_LOCK = threading.Lock()


@dataclasses.dataclass(frozen=True, eq=False)  # arrays have no single truth value
class EnsembleResult:
    """Outcome of a disorder ensemble.

    Attributes
    ----------
    mean : numpy scalar, numpy.ndarray or dict of them
        Mean over realisations, same shape (and keys) as one task result.
    stderr : numpy scalar, numpy.ndarray or dict of them
        Standard error of the mean, ``std(data, ddof=1) / sqrt(n)`` over
        realisations (NaN when ``n == 1``).  For complex results it is the
        standard error of the complex mean, ``sqrt(var(Re) + var(Im)) / sqrt(n)``.
    data : numpy.ndarray or dict of them
        Every realisation, shape ``(n, *shape of one result)``, in realisation
        index order (``data[i]`` belongs to ``seeds[i]``), not completion order.
    seeds : numpy.ndarray of uint64, shape (n,)
        The seed given to each realisation (see `realisation_seeds`).
    n : int
        Number of realisations in ``data``.
    master_seed : int
        The master seed the seeds derive from.
    indices : numpy.ndarray of int, shape (n,)
        Realisation index of each row of ``data``: ``0, ..., n - 1`` from
        `run_ensemble`; from `load_ensemble` of an unfinished file, the
        indices recorded so far (in increasing order, possibly with gaps).
    task : str
        Qualified name of the task (``module.qualname``).
    args : list or None
        The task's extra arguments as JSON data (None when they are not
        JSON-serialisable, e.g. functions).
    config : dict
        The ``config`` dict given to `run_ensemble`.
    n_requested : int
        Number of realisations asked for: the largest request recorded in the
        results file for `load_ensemble`, ``n`` for `run_ensemble`.
    """

    mean: object
    stderr: object
    data: object
    seeds: np.ndarray
    n: int
    master_seed: int
    indices: np.ndarray = None
    task: str = None
    args: object = None
    config: dict = None
    n_requested: int = None

    def to_xarray(self):
        """The realisations as an ``xarray.Dataset``.

        Returns
        -------
        xarray.Dataset
            One variable per result key (``"value"`` for a plain number or
            array) with dimensions ``("realisation", "dim_0", ...)``;
            coordinates ``realisation`` (the indices) and ``seed``; attributes
            ``master_seed``, ``task``, ``n_requested`` and ``args`` and
            ``config`` as JSON text (netCDF attributes hold no dicts).

        Raises
        ------
        ImportError
            Without xarray (``pip install "kwant-noneq[analysis]"``).
        """
        try:
            import xarray
        except ImportError:
            raise ImportError('EnsembleResult.to_xarray needs xarray: pip install '
                              '"kwant-noneq[analysis]" (or pip install xarray)') from None
        variables = {key: (("realisation",) + tuple(f"dim_{k}" for k in
                                                    range(array.ndim - 1)), array)
                     for key, array in self._named_data().items()}
        return xarray.Dataset(
            variables,
            coords={"realisation": self._indices(),
                    "seed": ("realisation", self.seeds)},
            attrs=self._attrs())

    def to_pandas(self):
        """The realisations as a ``pandas.DataFrame``, one row each.

        Returns
        -------
        pandas.DataFrame
            Index ``realisation``; column ``seed``, then one column per result
            key for scalar results (``"value"`` for a plain number) and one
            per element for arrays, named ``key[i,j]``.  ``DataFrame.attrs``
            holds ``master_seed``, ``task``, ``n_requested``, ``args`` and
            ``config`` (JSON text).

        Raises
        ------
        ImportError
            Without pandas (``pip install "kwant-noneq[analysis]"``).
        """
        try:
            import pandas
        except ImportError:
            raise ImportError('EnsembleResult.to_pandas needs pandas: pip install '
                              '"kwant-noneq[analysis]" (or pip install pandas)') from None
        columns = {"seed": self.seeds}
        for key, array in self._named_data().items():
            if array.ndim == 1:
                columns[key] = array
                continue
            for element in np.ndindex(array.shape[1:]):
                name = f"{key}[{','.join(str(k) for k in element)}]"
                columns[name] = array[(slice(None),) + element]
        frame = pandas.DataFrame(
            columns, index=pandas.Index(self._indices(), name="realisation"))
        frame.attrs.update(self._attrs())
        return frame

    def _named_data(self):
        return dict(self.data) if isinstance(self.data, dict) else {"value": self.data}

    def _indices(self):
        return np.arange(self.n) if self.indices is None else self.indices

    def _attrs(self):
        return {"master_seed": self.master_seed, "task": self.task,
                "n_requested": self.n if self.n_requested is None else self.n_requested,
                "args": json.dumps(self.args), "config": json.dumps(self.config)}


def realisation_seeds(master_seed, n_realisations):
    """Seeds of the realisations of an ensemble, derived from one master seed.

    Parameters
    ----------
    master_seed : int
        Non-negative integer (``bool`` is refused).
    n_realisations : int
        Number of realisations, at least 1.

    Returns
    -------
    seeds : numpy.ndarray of uint64, shape (n_realisations,)
        ``seeds[i] = SeedSequence(master_seed, spawn_key=(i,))
        .generate_state(1, uint64)[0]``, the first word of the ``i``-th child of
        ``SeedSequence(master_seed).spawn(n_realisations)``.  ``seeds[i]``
        depends on ``master_seed`` and ``i`` only.

    Examples
    --------
    >>> seeds = realisation_seeds(7, 3)
    >>> rng = np.random.default_rng(seeds[0])     # a NumPy stream, or
    >>> s = salt(seeds[0])                         # a kwant.digest salt
    """
    master_seed = _check_master_seed(master_seed)
    n_realisations = _check_n_realisations(n_realisations)
    return np.array([_derive_seed(master_seed, i) for i in range(n_realisations)],
                    dtype=np.uint64)


def salt(seed):
    """Salt string for ``kwant.digest.uniform(repr(site.tag), salt(seed))``.

    Parameters
    ----------
    seed : int
        A realisation seed (Python or NumPy integer).

    Returns
    -------
    str
        The decimal digits of ``seed``.
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer, not {type(seed).__name__}")
    return str(int(seed))


def run_ensemble(task, n_realisations, master_seed, *, args=(), config=None,
                 executor=None, results_file=None, progress=None):
    """Run ``task(seed, *args)`` for every realisation and average the results.

    Parameters
    ----------
    task : callable
        ``task(seed, *args) -> value``, called once per realisation with its
        seed (a Python ``int`` in ``[0, 2**64)``).  ``value`` is a number, a
        numeric NumPy array (bool, integer, float or complex; the same shape in
        every realisation) or a dict mapping ``str`` keys to such values (the
        same keys in every realisation).  The task and ``args`` must pickle for
        process-based executors: ship builder functions and parameters, and
        build the (unpicklable) finalized Kwant system inside the task.
    n_realisations : int
        Number of realisations, at least 1.
    master_seed : int
        Non-negative integer from which every realisation's seed derives
        (see `realisation_seeds`).
    args : tuple
        Extra positional arguments for ``task``, the same for all realisations.
    config : dict, optional
        JSON-serialisable description of everything that changes the numbers
        and is not in ``task``'s name or in JSON-serialisable ``args`` (model
        parameters, system size, ...).  Stored in the results file header and
        compared on resume.
    executor : executor, optional
        Where to run: any `concurrent.futures.Executor` (e.g.
        ``ProcessPoolExecutor``, ``mpi4py.futures.MPIPoolExecutor``, or a
        ``dask.distributed`` ``client.get_executor()``) or a
        ``dask.distributed.Client``.  Default: a local
        ``ProcessPoolExecutor`` with one process per core (at most one per
        realisation), shut down at the end.  An executor passed in is left
        running.
    results_file : str or path-like, optional
        JSON-lines file that receives each realisation as it finishes (see
        the module notes).  If it exists, its finished realisations are
        reused and only the missing ones are run; a file of fewer
        realisations grows, one of more gives its first ``n_realisations``.
        A file written by a different configuration, or with a corrupt or
        edited line, raises ``ValueError`` (see `repair_results`); a file in
        use by another running ensemble raises ``RuntimeError``.
    progress : bool or None
        Show a progress bar (tqdm, on stderr) once a run has lasted 2 s: ``None`` (default) or ``True``.  ``False`` shows
        nothing.

    Returns
    -------
    EnsembleResult

    Raises
    ------
    TypeError, ValueError
        Bad input, named in the message.
    RuntimeError
        A realisation raised; the realisations that finished are in the
        results file, so running again resumes.  Or ``results_file`` is in
        use by another running ensemble.

    Notes
    -----
    Each call of ``task`` runs with one BLAS/OpenMP thread, both to avoid
    oversubscribing cores and because multithreaded BLAS reductions need not
    be bit-reproducible.  In process pools and MPI workers, which call the
    task in their main thread, threadpoolctl (when installed) sets this for
    each call.  Dask workers call tasks in worker threads, where threadpoolctl
    leaves a process-wide OpenBLAS pool alone; they start with
    ``OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1`` (dask's
    ``distributed.nanny.pre-spawn-environ`` default) instead.

    Examples
    --------
    >>> def conductance(seed, length):
    ...     syst = make_wire(length, salt(seed)).finalized()   # built in the worker
    ...     return kwant.smatrix(syst, 0.5).transmission(1, 0)
    >>> res = run_ensemble(conductance, 20, 1234, args=(40,),
    ...                    config={"W": 0.8}, results_file="wire.jsonl")
    >>> print(f"G = {res.mean:.3f} +- {res.stderr:.3f} e^2/h")
    """
    if not callable(task):
        raise TypeError(f"task must be callable, not {type(task).__name__}")
    seeds = realisation_seeds(master_seed, n_realisations)
    master_seed, n = int(master_seed), len(seeds)
    if not isinstance(args, tuple):
        raise TypeError(f"args must be a tuple, not {type(args).__name__}")
    if progress is None:
        progress = True
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True, False or None, not {progress!r}")
    header = _header(task, args, config, master_seed, n)
    executor = _as_executor(executor)  # before a results file is created

    store = None if results_file is None else _ResultsFile(results_file, header, seeds)
    try:
        values = {} if store is None else {i: v for i, v in store.finished.items()
                                           if i < n}
        todo = [i for i in range(n) if i not in values]
        if todo:
            _run(task, args, seeds, todo, values, executor, store, progress)
    finally:
        if store is not None:
            store.close()
    return _summarise([values[i] for i in range(n)], seeds, np.arange(n), header, n)


# -- running --------------------------------------------------------------


def _evaluate(task, seed, args, main_pid):
    """Worker side: one realisation with one BLAS thread."""
    if os.getpid() != main_pid and os.getppid() == main_pid:
        # A pool worker forked or spawned by the process running the ensemble
        # (a pool passed in, whose initializer is not ours).  Workers of dask
        # (a nanny) or MPI (mpiexec) have other parents, which manage them.
        _watch_parent()
    with _one_blas_thread():
        return task(seed, *args)


def _watch_parent():
    """Exit this process soon after its parent dies (a SIGKILL leaves pool
    workers blocked on their task queue otherwise, computing for nobody)."""
    with _WATCHDOG_LOCK:
        if _WATCHDOG["started"]:
            return
        _WATCHDOG["started"] = True
    parent = os.getppid()

    def watch():
        # An orphan is re-parented (to init or a subreaper): its parent id
        # changes.  Polling is portable; it needs the GIL, so a worker in a
        # long C call exits when the call returns.
        while os.getppid() == parent:
            time.sleep(_WATCHDOG_INTERVAL)
        os._exit(1)

    threading.Thread(target=watch, name="kwant_noneq.ensemble parent watchdog",
                     daemon=True).start()


def _one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        # Processes started from a parent with OMP_NUM_THREADS=1 (and dask
        # workers, which set it themselves) are single-threaded already.
        return contextlib.nullcontext()
    # threadpoolctl lets only one Python thread of a process set the limits
    # of OpenBLAS's shared pool; from other threads this may do nothing.
    return threadpool_limits(limits=1)


def _run(task, args, seeds, todo, values, executor, store, progress):
    own_executor = executor is None
    if own_executor:
        try:  # the cores this process may use (fewer than cpu_count in containers)
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not available on macOS and Windows
            cores = os.cpu_count() or 1
        # The watchdog starts in every worker, also those never given a task.
        executor = cf.ProcessPoolExecutor(max_workers=min(cores, len(todo)),
                                          initializer=_watch_parent)
    # delay: short runs stay silent.
    bar = tqdm(total=len(seeds), initial=len(seeds) - len(todo), delay=2.0,
               desc="ensemble", unit="realisation", file=sys.stderr, leave=True,
               disable=not progress)
    futures = {}
    clean_exit = False
    try:
        for i in todo:
            futures[executor.submit(_evaluate, task, int(seeds[i]), args,
                                    os.getpid())] = i
        pending, failure = set(futures), None
        while pending:
            finished, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for future in sorted(finished, key=futures.get):
                i = futures[future]
                if future.cancelled():
                    continue
                try:
                    value = _as_value(future.result(), i)
                except Exception as error:
                    # Stop submitting work, but keep recording realisations
                    # that are already running: none of them is lost.
                    if failure is None:
                        failure = (i, error)
                        for other in pending:
                            other.cancel()
                    continue
                values[i] = value
                if store is not None:
                    store.append(i, int(seeds[i]), value)
                bar.update(1)
        if failure is not None:
            i, error = failure
            saved = (f"; the {len(values)} finished realisations are saved in "
                     f"{store.path}, run again to resume" if store is not None else "")
            raise RuntimeError(f"realisation {i} (seed {int(seeds[i])}) failed with "
                               f"{type(error).__name__}: {error}{saved}") from error
        clean_exit = True
    finally:
        bar.close()
        if not clean_exit:
            for future in futures:
                future.cancel()
        if own_executor:
            executor.shutdown(wait=clean_exit, cancel_futures=True)


def _as_executor(executor):
    """``executor`` as a `concurrent.futures.Executor` (None stays None)."""
    if executor is None:
        return None
    if isinstance(executor, type):
        raise TypeError(f"executor must be an executor instance, not the class "
                        f"{executor.__name__} (e.g. {executor.__name__}(max_workers=2))")
    if isinstance(executor, cf.Executor):  # includes MPIPoolExecutor, ClientExecutor
        return executor
    # Import dask only if the user did: a Client cannot exist otherwise.
    distributed = sys.modules.get("distributed")
    if distributed is not None and isinstance(executor, distributed.Client):
        # pure=False: realisations are distinct tasks, and dask need not hash
        # the (possibly large) arguments to name them.
        return executor.get_executor(pure=False)
    raise TypeError("executor must be a concurrent.futures.Executor (e.g. "
                    "ProcessPoolExecutor, mpi4py.futures.MPIPoolExecutor) or a "
                    f"dask.distributed.Client, not {type(executor).__name__}")


# -- values and statistics ------------------------------------------------


def _as_value(value, index):
    """A task result as an ndarray, or a dict of ndarrays; TypeError otherwise."""
    if isinstance(value, dict):
        if not value:
            raise TypeError(f"realisation {index} returned an empty dict")
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"realisation {index} returned a dict with the "
                                f"non-string key {key!r}")
        return {key: _as_array(v, index, key) for key, v in value.items()}
    return _as_array(value, index, None)


def _as_array(value, index, key):
    array = np.asarray(value)
    if array.dtype.kind not in _NUMERIC_KINDS:
        where = f"realisation {index}" + ("" if key is None else f", key {key!r},")
        raise TypeError(f"{where} returned {type(value).__name__} with dtype "
                        f"{array.dtype}; expected a number or numeric array")
    return array


def _summarise(values, seeds, indices, header, n_requested):
    n = len(values)
    if isinstance(values[0], dict):
        keys = list(values[0])
        for i, value in enumerate(values):
            if not isinstance(value, dict) or set(value) != set(keys):
                raise ValueError(f"realisation {i} returned keys "
                                 f"{sorted(value) if isinstance(value, dict) else None}"
                                 f", realisation 0 returned {sorted(keys)}")
        stats = {key: _stack_stats([v[key] for v in values], key) for key in keys}
        data = {key: s[0] for key, s in stats.items()}
        mean = {key: s[1] for key, s in stats.items()}
        stderr = {key: s[2] for key, s in stats.items()}
    else:
        for i, value in enumerate(values):
            if isinstance(value, dict):
                raise ValueError(f"realisation {i} returned a dict, "
                                 "realisation 0 did not")
        data, mean, stderr = _stack_stats(values, None)
    return EnsembleResult(mean=mean, stderr=stderr, data=data, seeds=seeds, n=n,
                          master_seed=header["master_seed"], indices=indices,
                          task=header["task"], args=header["args"],
                          config=header["config"], n_requested=n_requested)


def _stack_stats(arrays, key):
    shape = arrays[0].shape
    for i, array in enumerate(arrays):
        if array.shape != shape:
            where = "" if key is None else f" for key {key!r}"
            raise ValueError(f"realisation {i} returned shape {array.shape}{where}, "
                             f"realisation 0 returned {shape}")
    data = np.stack(arrays)
    n = len(arrays)
    mean = data.mean(axis=0)
    if n > 1:
        stderr = data.std(axis=0, ddof=1) / math.sqrt(n)
    else:  # ddof=1 needs two realisations; say "unknown" without a warning
        stderr = np.full(shape, np.nan)[()]
    return data, mean, stderr


# -- seeds and configuration ------------------------------------------------


def _check_master_seed(master_seed):
    if isinstance(master_seed, (bool, np.bool_)) or not isinstance(
            master_seed, numbers.Integral):
        raise TypeError(f"master_seed must be an integer, not "
                        f"{type(master_seed).__name__} ({master_seed!r})")
    if master_seed < 0:
        raise ValueError(f"master_seed must be non-negative, not {master_seed}")
    return int(master_seed)


def _check_n_realisations(n_realisations):
    if isinstance(n_realisations, (bool, np.bool_)) or not isinstance(
            n_realisations, numbers.Integral):
        raise TypeError(f"n_realisations must be an integer, not "
                        f"{type(n_realisations).__name__} ({n_realisations!r})")
    if n_realisations < 1:
        raise ValueError(f"n_realisations must be at least 1, not {n_realisations}")
    return int(n_realisations)


def _derive_seed(master_seed, index):
    sequence = np.random.SeedSequence(master_seed, spawn_key=(index,))
    return int(sequence.generate_state(1, dtype=np.uint64)[0])


def _task_name(task):
    if isinstance(task, functools.partial):
        return f"functools.partial({_task_name(task.func)})"
    qualname = getattr(task, "__qualname__", None)
    if qualname is None:  # a callable instance
        cls = type(task)
        return f"{cls.__module__}.{cls.__qualname__} instance"
    return f"{getattr(task, '__module__', None)}.{qualname}"


def _json_normal(value, what):
    """``value`` as it reads back from JSON (tuples become lists), or raise."""
    try:
        return json.loads(json.dumps(value, sort_keys=True, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what} must be JSON-serialisable (without NaN or inf): "
                        f"{error}") from None


def _header(task, args, config, master_seed, n):
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict, not {type(config).__name__}")
    for key in config:
        if not isinstance(key, str):
            raise TypeError(f"config keys must be strings, not {key!r}")
    try:  # args that are plain data are part of the identity; others are not
        recorded_args = _json_normal(list(args), "args")
    except TypeError:
        recorded_args = None
    return {"format": _FORMAT, "version": _FORMAT_VERSION, "task": _task_name(task),
            "args": recorded_args, "config": _json_normal(config, "config"),
            "master_seed": master_seed, "n_realisations": n,
            "seed_scheme": SEED_SCHEME}


# -- results file -----------------------------------------------------------


def load_ensemble(path):
    """Read a results file back, without running anything.

    Parameters
    ----------
    path : str or path-like
        A results file written by `run_ensemble`.  It may belong to a run
        still in progress (its unterminated last line, a record being
        written, is ignored) or to an unfinished one.

    Returns
    -------
    EnsembleResult
        The recorded realisations in index order, with their seeds, indices,
        task name, args, config and ``n_requested``; ``mean`` and ``stderr``
        over them.  ``indices`` shows which realisations are there: compare it
        with ``range(n_requested)`` to see whether the ensemble is complete.
        ``.to_xarray()`` and ``.to_pandas()`` convert it.

    Raises
    ------
    ValueError
        Not an ensemble results file, no finished realisation yet, or a line
        that is corrupt or was edited (the message names the line; see
        `repair_results`).
    """
    path = _check_path(path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise ValueError(f"results file {path} does not exist") from None
    try:
        content = _read_all(fd)
    finally:
        os.close(fd)
    scan = _scan(path, content)
    _refuse_bad_lines(path, scan)
    if not scan.records:
        raise ValueError(f"results file {path} holds no finished realisation yet")
    indices = sorted(scan.records)
    seeds = np.array([_derive_seed(scan.header["master_seed"], i) for i in indices],
                     dtype=np.uint64)
    return _summarise([scan.records[i] for i in indices], seeds,
                      np.array(indices), scan.header, scan.n_requested)


@dataclasses.dataclass(frozen=True)
class RepairReport:
    """What `repair_results` did.

    Attributes
    ----------
    path : pathlib.Path
        The results file.
    kept : int
        Records kept (every one that parses, has a valid checksum and belongs
        to the ensemble).
    dropped_lines : tuple of (int, str)
        Line number (counting the header as line 1) and reason of each line
        removed; empty when the file needed no repair.
    dropped_file : pathlib.Path or None
        Side file to which the removed lines were appended, verbatim
        (``<name>.dropped``), or None when nothing was removed.
    """

    path: pathlib.Path
    kept: int
    dropped_lines: tuple
    dropped_file: pathlib.Path = None


def repair_results(path):
    """Remove the corrupt or edited records of a results file.

    Every line after the header that does not parse, whose checksum does not
    match its content, whose seed does not belong to its index, or that
    contradicts another record of the same realisation (then all records of
    that realisation go) is moved to ``<path>.dropped``; every other record
    is kept, byte for byte.  The next `run_ensemble` with this file recomputes
    the realisations removed.  The file is rewritten through a temporary file
    and a rename, so a crash leaves the old or the new version, never a mix.

    Parameters
    ----------
    path : str or path-like
        A results file written by `run_ensemble`, not in use by a running
        ensemble.

    Returns
    -------
    RepairReport

    Raises
    ------
    ValueError
        Not an ensemble results file, or its header (line 1) is corrupt or was
        edited: a header cannot be repaired (the configuration it records is
        unknown); restore it or delete the file.
    RuntimeError
        The file is in use by a running ensemble.
    """
    path = _check_path(path)
    if not path.exists():
        raise ValueError(f"results file {path} does not exist")
    fd, key = _open_locked(path, None)
    try:
        content = _read_all(fd)
        scan = _scan(path, content)
        kept = sum(len(lines) for lines in scan.good_lines.values())
        if not scan.bad and not scan.fragment:
            return RepairReport(path, kept, ())
        dropped = path.with_name(path.name + ".dropped")
        removed = [raw for _, _, raw in scan.bad]
        if scan.fragment:
            removed.append(scan.fragment)
        with open(dropped, "ab") as file:
            file.write(b"".join(raw + b"\n" for raw in removed))
            file.flush()
            os.fsync(file.fileno())
        lines = [scan.header_line] + scan.other_lines + [
            raw for number in sorted(scan.good_lines)
            for raw in scan.good_lines[number]]
        _replace_locked(path, b"".join(line + b"\n" for line in lines))
        reasons = [(number, reason) for number, reason, _ in scan.bad]
        if scan.fragment:
            reasons.append((content.count(b"\n") + 1, "unterminated last line"))
        return RepairReport(path, kept, tuple(reasons), dropped)
    finally:
        _close_locked(fd, key)


@contextlib.contextmanager
def results_file_lock(path):
    """Hold a results file's lock, as a running ensemble does.

    While the ``with`` block runs, `run_ensemble` and `repair_results` on
    this file, in this process or any other, raise ``RuntimeError`` ("in
    use"): e.g. to copy or back up a file that no run may change meanwhile.
    `load_ensemble` does not take the lock and still reads the file.

    Parameters
    ----------
    path : str or path-like
        An existing results file written by `run_ensemble`.

    Yields
    ------
    pathlib.Path
        The file's path.

    Raises
    ------
    ValueError
        The file does not exist, or is not an ensemble results file.
    RuntimeError
        A running ensemble (or another holder of this lock) has it.

    Examples
    --------
    >>> with results_file_lock("wire.jsonl"):
    ...     shutil.copy("wire.jsonl", "backup.jsonl")
    """
    path = _check_path(path)
    if not path.exists():
        raise ValueError(f"results file {path} does not exist")
    fd, key = _open_locked(path, None)
    try:
        _scan(path, _read_all(fd))  # ValueError unless an ensemble file
        yield path
    finally:
        _close_locked(fd, key)


class _ResultsFile:
    """Append-only JSON-lines store of finished realisations (module notes)."""

    def __init__(self, path, header, seeds):
        self.path = _check_path(path)
        self.fd, self.key = _open_locked(self.path, _line(header))
        try:
            self.finished = self._read(header, len(seeds))
        except BaseException:
            self.close()
            raise

    def _read(self, header, n):
        content = _read_all(self.fd)
        if not content:  # created empty (no hard links, or by the user)
            self._write(_line(header))
            return {}
        scan = _scan(self.path, content)
        _check_same_configuration(self.path, scan.header, header)
        _refuse_bad_lines(self.path, scan)
        if scan.fragment:
            # A record whose write was cut off: drop it, it is recomputed.
            os.ftruncate(self.fd, len(content) - len(scan.fragment))
            os.fsync(self.fd)
        if n > scan.n_requested:
            self._write(_line({"n_realisations": n}))
        return scan.records

    def append(self, index, seed, value):
        self._write(_line({"index": index, "seed": seed, "value": _encode(value)}))

    def _write(self, data):
        while data:  # one write in practice; loop in case the kernel splits it
            data = data[os.write(self.fd, data):]
        os.fsync(self.fd)

    def close(self):
        _close_locked(self.fd, self.key)


def _check_path(path):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"results_file must be a path, not {type(path).__name__}")
    path = pathlib.Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"results_file {path}: directory {path.parent} does not exist")
    return path


def _open_locked(path, header_line):
    """Open ``path`` (creating it with ``header_line`` if that is given) and
    lock it; return ``(fd, key)``.  RuntimeError if another ensemble has it."""
    for _ in range(100):
        if header_line is not None and not path.exists():
            _create(path, header_line)
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND)
        except FileNotFoundError:
            if header_line is None:
                raise ValueError(f"results file {path} does not exist") from None
            continue  # removed between creation and opening: create it again
        status = os.fstat(fd)
        key = (status.st_dev, status.st_ino)
        # POSIX record locks do not exclude the process holding them, so runs
        # of this process are excluded through this set.
        with _OPEN_FILES_LOCK:
            in_use = key in _OPEN_FILES
            if not in_use:
                _OPEN_FILES.add(key)
        if in_use:
            os.close(fd)
            raise RuntimeError(f"results_file {path} is in use by another running "
                               "ensemble in this process")
        try:
            _lock(fd)
        except OSError:
            _close_locked(fd, key)
            raise RuntimeError(f"results_file {path} is in use by another running "
                               "ensemble; wait for it to finish, or use another "
                               "file") from None
        # The lock holds the file we opened; the path must still name it (a
        # repair may have renamed a new file over it meanwhile).
        try:
            now = os.stat(path)
            if (now.st_dev, now.st_ino) == key:
                return fd, key
        except FileNotFoundError:
            pass
        _close_locked(fd, key)
    raise RuntimeError(f"results_file {path} keeps being replaced or removed "
                       "while this run opens it")


def _lock(fd):
    try:
        import fcntl
    except ImportError:  # not POSIX: no protection against other processes
        return
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _close_locked(fd, key):
    with _OPEN_FILES_LOCK:
        _OPEN_FILES.discard(key)
    os.close(fd)  # also releases the record lock


def _create(path, header_line):
    """Create ``path`` holding ``header_line``, whole, unless it exists."""
    # A complete temporary file, then a hard link to the final name: link()
    # fails if the name exists, so of two runs starting together one creates
    # the file and the other uses it (and then finds it locked).  A rename
    # would replace a file another run has already locked.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.write(fd, header_line)
        os.fsync(fd)
        os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return
        except OSError:  # a file system without hard links: create it empty
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                return
        _fsync_directory(path.parent)
    finally:
        os.unlink(tmp)


def _replace_locked(path, content):
    """Replace the (locked) file at ``path`` by ``content`` atomically."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # Lock the new file before it takes the name: a run opening the path
        # after the rename must find it locked until this repair is over.
        _lock(fd)
        os.write(fd, content)
        os.fsync(fd)
        os.replace(tmp, path)
        _fsync_directory(path.parent)
    except BaseException:
        os.unlink(tmp)
        raise
    finally:
        os.close(fd)


def _read_all(fd):
    # Read through our own descriptor: closing any other descriptor of this
    # file would release the record lock.
    size, content = os.fstat(fd).st_size, b""
    while len(content) < size:
        chunk = os.pread(fd, size - len(content), len(content))
        if not chunk:
            break
        content += chunk
    return content


def _line(entry):
    """One results-file line for ``entry``, with the checksum of its content."""
    body = dict(entry, sha256=_checksum(entry))
    return (json.dumps(body, sort_keys=True) + "\n").encode()


def _checksum(entry):
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _verified(raw):
    """The parsed line, without its checksum; ValueError if it does not match."""
    entry = json.loads(raw)
    if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
        raise ValueError("no checksum")
    checksum = entry.pop("sha256")
    if checksum != _checksum(entry):
        raise ValueError("checksum mismatch: the line was changed after it was written")
    return entry


@dataclasses.dataclass
class _Scan:
    header: dict
    header_line: bytes
    records: dict            # index -> value, from the good records
    good_lines: dict         # line number -> [raw bytes] of good records
    other_lines: list        # raw n_realisations lines
    n_requested: int
    bad: list                # (line number, reason, raw bytes)
    fragment: bytes          # unterminated last line (b"" if none)


def _scan(path, content):
    """Parse a results file's content; bad records are listed, not raised."""
    lines = content.split(b"\n")
    # After the last b"\n" comes b"" for a complete file, or the fragment of
    # a line whose write was cut off.
    complete, fragment = lines[:-1], lines[-1]
    try:
        stored = json.loads(complete[0]) if complete else None
    except ValueError:
        stored = None
    if not isinstance(stored, dict) or stored.get("format") != _FORMAT:
        raise ValueError(f"results_file {path} is not a kwant_noneq ensemble results "
                         "file; choose another path")
    if stored.get("version") != _FORMAT_VERSION:
        raise ValueError(f"results_file {path} has format version "
                         f"{stored.get('version')!r}; this kwant_noneq reads version "
                         f"{_FORMAT_VERSION} only. Use another file, or delete this "
                         "one to recompute.")
    try:
        header = _verified(complete[0])
    except ValueError as error:
        raise ValueError(f"results_file {path}, line 1 (the header): {error}. A "
                         "header cannot be repaired: restore the original file, or "
                         "delete it to recompute.") from None
    master_seed = header["master_seed"]
    n_requested = header["n_realisations"]
    by_index, others, bad = {}, [], []
    for number, raw in enumerate(complete[1:], start=2):
        try:
            entry = _verified(raw)
            if set(entry) == {"n_realisations"}:
                n_requested = max(n_requested, _check_n_realisations(
                    entry["n_realisations"]))
                others.append(raw)
                continue
            index, seed = entry["index"], entry["seed"]
            value = _decode(entry["value"])
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            bad.append((number, f"is corrupt ({error})", raw))
            continue
        if not (isinstance(index, int) and not isinstance(index, bool) and index >= 0
                and seed == _derive_seed(master_seed, index)):
            bad.append((number, f"holds realisation {index} with seed {seed}, which "
                        "does not belong to this ensemble", raw))
            continue
        by_index.setdefault(index, []).append((number, raw, value))
    records, good = {}, {}
    for index, found in by_index.items():
        first, _, value = found[0]
        if all(_identical(value, other) for _, _, other in found[1:]):
            records[index] = value
            good[first] = [raw for _, raw, _ in found]  # identical copies stay
        else:
            # Which one is right is unknown: all go, and it is recomputed.
            numbers = [number for number, _, _ in found]
            bad.extend((number, f"is one of the differing records {numbers} of "
                        f"realisation {index}", raw) for number, raw, _ in found)
    bad.sort(key=lambda item: item[0])
    return _Scan(header, complete[0], records, good, others, n_requested, bad,
                 fragment)


def _refuse_bad_lines(path, scan):
    if scan.bad:
        number, reason, _ = scan.bad[0]
        more = f" (and {len(scan.bad) - 1} more bad lines)" if len(scan.bad) > 1 else ""
        raise ValueError(
            f"results_file {path}, line {number} {reason}{more}. "
            f"kwant_noneq.ensemble.repair_results({str(path)!r}) moves the bad "
            "lines to a side file, keeps every good record, and the next run "
            "recomputes the realisations removed.")


def _encode(value):
    if isinstance(value, dict):
        return {"dict": {key: _encode(v) for key, v in value.items()}}
    return {"dtype": value.dtype.str, "shape": list(value.shape),
            "data": base64.b64encode(np.ascontiguousarray(value).tobytes()).decode()}


def _decode(record):
    if "dict" in record:
        return {key: _decode(v) for key, v in record["dict"].items()}
    raw = base64.b64decode(record["data"], validate=True)
    array = np.frombuffer(raw, dtype=np.dtype(record["dtype"]))
    return array.reshape(record["shape"]).copy()


def _check_same_configuration(path, stored, header):
    differences = [f"{key}: file has {stored.get(key)!r}, this run has {header[key]!r}"
                   for key in _IDENTITY if stored.get(key) != header[key]]
    if differences:
        raise ValueError(f"results_file {path} was written by a different "
                         "configuration; refusing to mix results ("
                         + "; ".join(differences)
                         + "). Use another file, or delete this one to start over.")


def _identical(a, b):
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
                and all(_identical(a[k], b[k]) for k in a))
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _fsync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
