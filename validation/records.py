"""Validation records (design.md section 7): one per compared quantity."""
import dataclasses
import importlib
import json
import math
import os
import pathlib
import pkgutil
import tempfile
import time

import numpy as np

__all__ = ["Record", "compare", "available_cases", "run_cases", "format_table",
           "write_json", "check_writable"]


@dataclasses.dataclass
class Record:
    """One lattice-versus-analytic comparison.

    Attributes
    ----------
    case, quantity : str
        Case name and the quantity compared (names fixed by the issues).
    params : dict
        The parameters of this comparison (JSON-serialisable).
    lattice, analytic : float
        Lattice (numerical) result and analytic reference.
    rel_error : float
        ``|lattice - analytic| / |analytic|`` (absolute error if analytic == 0).
    tolerance : float
        Allowed ``rel_error``, derived from the physics (see ``note``).
    passed : bool
    note : str
        Where the tolerance comes from, or what the record shows.
    """

    case: str
    quantity: str
    params: dict
    lattice: float
    analytic: float
    rel_error: float
    tolerance: float
    passed: bool
    note: str = ""

    def to_json(self):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(self).items()}


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else str(value)
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    return value


def compare(case, quantity, lattice, analytic, tolerance, params=None,
            note="", absolute=False):
    """Build a :class:`Record`; ``passed`` iff the error is within tolerance.

    With ``absolute=True`` (or ``analytic == 0``) the error is absolute.
    A non-finite lattice value never passes.
    """
    lattice = float(np.real(lattice))
    analytic = float(np.real(analytic))
    if absolute or analytic == 0:
        err = abs(lattice - analytic)
    else:
        err = abs(lattice - analytic) / abs(analytic)
    passed = bool(math.isfinite(lattice) and math.isfinite(err) and err <= tolerance)
    return Record(case, quantity, dict(params or {}), lattice, analytic,
                  err, float(tolerance), passed, note)


def available_cases():
    """Names of the validation cases (modules in :mod:`validation.cases`)."""
    from . import cases
    return sorted(m.name for m in pkgutil.iter_modules(cases.__path__)
                  if not m.name.startswith("_"))


def run_cases(names, figdir, json_path=None):
    """Run the named cases; return all their records.

    With ``json_path`` the records so far are written there after every
    case (and before a failing case's exception propagates), so a late
    failure does not lose the finished cases.
    """
    figdir = pathlib.Path(figdir)
    figdir.mkdir(parents=True, exist_ok=True)
    if json_path is not None:
        check_writable(json_path)
    records = []
    for name in names:
        module = importlib.import_module(f"validation.cases.{name}")
        t0 = time.perf_counter()
        print(f"[{name}] running ...", flush=True)
        try:
            out = module.run(figdir)
        except BaseException:
            if json_path is not None and records:
                write_json(records, json_path)
                print(f"[{name}] failed; the {len(records)} records of the "
                      f"cases before it are in {json_path}", flush=True)
            raise
        print(f"[{name}] {len(out)} records in {time.perf_counter() - t0:.1f} s",
              flush=True)
        records.extend(out)
        if json_path is not None:
            write_json(records, json_path)
    return records


def format_table(records):
    head = f"{'case':<16} {'quantity':<34} {'lattice':>12} {'analytic':>12} " \
           f"{'error':>9} {'tol':>9}  ok"
    lines = [head, "-" * len(head)]
    for r in records:
        lines.append(f"{r.case:<16} {r.quantity:<34.34} {r.lattice:>12.5g} "
                     f"{r.analytic:>12.5g} {r.rel_error:>9.2e} {r.tolerance:>9.2e}  "
                     f"{'yes' if r.passed else 'NO'}")
    n_ok = sum(r.passed for r in records)
    lines.append(f"{n_ok} passed, {len(records) - n_ok} failed")
    return "\n".join(lines)


def check_writable(path):
    """``OSError`` naming ``path`` unless a file can be written there.

    Cheap, and meant to run before the cases do: it creates the parent
    directory and a scratch file beside ``path``, and refuses a directory.
    """
    path = pathlib.Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"--json {path}: is a directory; give a file "
                                f"name, e.g. {path / 'validation.json'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".write-test-"):
            pass
        if path.exists() and not os.access(path, os.W_OK):
            raise PermissionError(f"{path} is read-only")
    except OSError as err:
        raise OSError(f"--json {path}: cannot write the records there ({err}); "
                      f"choose a writable path") from err


def write_json(records, path):
    """Write ``records`` to ``path`` atomically (a scratch file beside it,
    then a rename: an interrupted write leaves the previous file)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps([r.to_json() for r in records], indent=1)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
