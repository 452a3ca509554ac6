"""Disorder ensembles on any executor, resumable, with reproducible seeds.

A disorder ensemble is a set of independent realisations of one calculation,
each fixed by an integer seed.  `run_ensemble` runs them on an executor
(design.md section 5, following python-adaptive's executor convention),
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
JSON lines.  Line 1 is a header with the configuration: the task's qualified
name, its ``args`` (when JSON-serialisable), the user's ``config`` dict, the
master seed, the number of realisations and the seed scheme.  Each further
line is one realisation, ``{"index": i, "seed": s, "value": ...}``, where
array data are stored as base64 of their raw bytes with dtype and shape, so a
value read back is bit-identical to the one computed (NaN and inf included).
Each line is written with one ``write`` on an ``O_APPEND`` descriptor and
``fsync``-ed before the next realisation is recorded; the header is written to
a temporary file and renamed into place.  A run killed mid-write leaves at
most one unterminated last line, which the next run drops (and recomputes).
A file whose header differs from the present configuration is refused with a
``ValueError``; results of different configurations are never mixed.  While a
run uses a file it holds an exclusive POSIX record lock (``lockf``) on it, so
two runs cannot append to the same file.  A record lock belongs to the process
that took it: worker processes forked during a run inherit the descriptor but
not the lock, so they never keep a file locked after its run has ended.
"""
import base64
import concurrent.futures as cf
import contextlib
import dataclasses
import functools
import json
import math
import numbers
import os
import pathlib
import sys
import threading

import numpy as np

from ._progress import progress_bar

__all__ = ["run_ensemble", "realisation_seeds", "salt", "EnsembleResult",
           "SEED_SCHEME"]

SEED_SCHEME = ("numpy.random.SeedSequence(master_seed, spawn_key=(index,))"
               ".generate_state(1, numpy.uint64)[0]")
_FORMAT = "kwant_noneq.ensemble"
_FORMAT_VERSION = 1
_NUMERIC_KINDS = "biufc"  # bool, signed, unsigned, float, complex
# (st_dev, st_ino) of the results files open in this process, see _ResultsFile.
_OPEN_FILES = set()
_OPEN_FILES_LOCK = threading.Lock()


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
        Number of realisations.
    master_seed : int
        The master seed the seeds derive from.
    """

    mean: object
    stderr: object
    data: object
    seeds: np.ndarray
    n: int
    master_seed: int


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
        reused and only the missing ones are run; a file written by a
        different configuration raises ``ValueError``.
    progress : bool or None
        Show a progress bar (tqdm if installed, else a line on stderr) once a
        run has lasted 2 s: ``None`` (default) or ``True``.  ``False`` shows
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
        results file, so running again resumes.

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
        values = {} if store is None else dict(store.finished)
        todo = [i for i in range(n) if i not in values]
        if todo:
            _run(task, args, seeds, todo, values, executor, store, progress)
    finally:
        if store is not None:
            store.close()
    return _summarise([values[i] for i in range(n)], seeds, master_seed)


# -- running --------------------------------------------------------------


def _evaluate(task, seed, args):
    """Worker side: one realisation with one BLAS thread."""
    with _one_blas_thread():
        return task(seed, *args)


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
        executor = cf.ProcessPoolExecutor(max_workers=min(cores, len(todo)))
    bar = progress_bar(len(seeds), len(seeds) - len(todo), enabled=progress)
    futures = {}
    clean_exit = False
    try:
        for i in todo:
            futures[executor.submit(_evaluate, task, int(seeds[i]), args)] = i
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


def _summarise(values, seeds, master_seed):
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
                          master_seed=master_seed)


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


class _ResultsFile:
    """Append-only JSON-lines store of finished realisations (module notes)."""

    def __init__(self, path, header, seeds):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"results_file must be a path, not {type(path).__name__}")
        self.path = pathlib.Path(path)
        if not self.path.parent.is_dir():
            raise ValueError(f"results_file {self.path}: directory "
                             f"{self.path.parent} does not exist")
        if not self.path.exists() or self.path.stat().st_size == 0:
            self._write_header(header)
        self.fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        self.key = None
        try:
            self._lock()
            self.finished = self._read(header, seeds)
        except BaseException:
            self.close()
            raise

    def _write_header(self, header):
        # Whole header or none: write a temporary file, then rename it.
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as file:
            file.write((json.dumps(header, sort_keys=True) + "\n").encode())
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, self.path)
        _fsync_directory(self.path.parent)

    def _lock(self):
        status = os.fstat(self.fd)
        self.key = (status.st_dev, status.st_ino)
        # POSIX record locks do not exclude the process holding them, so runs
        # of this process are excluded through this set.
        with _OPEN_FILES_LOCK:
            if self.key in _OPEN_FILES:
                self.key = None
                raise RuntimeError(f"results_file {self.path} is in use by another "
                                   "running ensemble in this process")
            _OPEN_FILES.add(self.key)
        try:
            import fcntl
        except ImportError:  # not POSIX: no protection against other processes
            return
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise RuntimeError(f"results_file {self.path} is in use by another "
                               "running ensemble") from None

    def _read(self, header, seeds):
        # Read through our own descriptor: closing any other descriptor of
        # this file would release the record lock.
        size, content = os.fstat(self.fd).st_size, b""
        while len(content) < size:
            chunk = os.pread(self.fd, size - len(content), len(content))
            if not chunk:
                break
            content += chunk
        lines = content.split(b"\n")
        # After the last b"\n" comes b"" for a complete file, or the fragment
        # of a record whose write was cut off: drop it, it is recomputed.
        complete, fragment = lines[:-1], lines[-1]
        try:
            stored = json.loads(complete[0]) if complete else None
        except ValueError:
            stored = None
        if not isinstance(stored, dict) or stored.get("format") != _FORMAT:
            raise ValueError(f"results_file {self.path} is not a kwant_noneq "
                             "ensemble results file; choose another path")
        _check_same_configuration(self.path, stored, header)
        finished = {}
        for number, line in enumerate(complete[1:], start=2):
            try:
                record = json.loads(line)
                index, seed = record["index"], record["seed"]
                value = _decode(record["value"])
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"results_file {self.path}, line {number} is "
                                 f"corrupt ({error})") from None
            if not (isinstance(index, int) and 0 <= index < len(seeds)
                    and seed == int(seeds[index])):
                raise ValueError(f"results_file {self.path}, line {number}: "
                                 f"realisation {index} with seed {seed} does not "
                                 "belong to this ensemble")
            if index in finished and not _identical(finished[index], value):
                raise ValueError(f"results_file {self.path} holds two different "
                                 f"results for realisation {index}")
            finished[index] = value
        if fragment:
            os.ftruncate(self.fd, len(content) - len(fragment))
            os.fsync(self.fd)
        return finished

    def append(self, index, seed, value):
        line = json.dumps({"index": index, "seed": seed, "value": _encode(value)})
        data = (line + "\n").encode()
        while data:  # one write in practice; loop in case the kernel splits it
            data = data[os.write(self.fd, data):]
        os.fsync(self.fd)

    def close(self):
        if self.key is not None:
            with _OPEN_FILES_LOCK:
                _OPEN_FILES.discard(self.key)
        os.close(self.fd)  # also releases the record lock


def _check_same_configuration(path, stored, header):
    differences = [f"{key}: file has {stored.get(key)!r}, this run has {header[key]!r}"
                   for key in header if stored.get(key) != header[key]]
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
