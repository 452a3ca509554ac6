"""Validation records: one per compared quantity (schema in docs/validation.md)."""
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

from .plotting import style as figure_style

__all__ = ["Record", "RELATIONS", "compare", "all_ok", "exit_status",
           "available_cases", "run_cases", "format_table", "write_json",
           "check_writable"]


#: How ``lattice`` must relate to ``analytic`` (see :class:`Record`).
RELATIONS = ("==", "<=", ">=")


@dataclasses.dataclass
class Record:
    """One comparison of a numerical result with its reference.

    Every field means one thing in every record (docs/validation.md):

    Attributes
    ----------
    case, quantity : str
        Case name and the quantity compared (names fixed by the issues).
        Both value columns hold this one quantity.
    params : dict
        The parameters of this comparison (JSON-serialisable).
    lattice : float
        The numerical (lattice, quadrature) value of ``quantity``.
    analytic : float
        The reference value of the same quantity: a closed form, an
        independent calculation, or, for ``relation`` "<=" / ">=", the
        bound the physics puts on it.
    relation : {"==", "<=", ">="}
        ``lattice == analytic`` within the tolerance, or ``lattice <=
        analytic`` / ``lattice >= analytic`` (a bound).
    error : float
        How far ``lattice`` is from satisfying the relation: ``|lattice -
        analytic|`` for "==", ``max(0, lattice - analytic)`` for "<=",
        ``max(0, analytic - lattice)`` for ">=", divided by ``|analytic|``
        when ``error_kind`` is "relative".
    error_kind : {"relative", "absolute"}
        Absolute when asked for or when ``analytic == 0``.
    tolerance : float
        Allowed ``error``, derived from the physics (see ``note``).
    passed : bool
        The physics agrees: ``lattice`` is finite and ``error <=
        tolerance``.  Never set by hand.
    expected_failure : bool
        Declared in advance: the comparison is expected not to hold (e.g.
        an asymptotic law outside its regime).  It then has ``passed``
        False, its status is XFAIL, and it does not fail the run.
    note : str
        Where the tolerance comes from, or what the record shows.
    """

    case: str
    quantity: str
    params: dict
    lattice: float
    analytic: float
    error: float
    error_kind: str
    tolerance: float
    passed: bool
    expected_failure: bool = False
    relation: str = "=="
    note: str = ""

    @property
    def status(self):
        """"PASS", "FAIL", "XFAIL" (expected failure, failed) or "XPASS"
        (expected failure that passed)."""
        if self.expected_failure:
            return "XPASS" if self.passed else "XFAIL"
        return "PASS" if self.passed else "FAIL"

    @property
    def ok(self):
        """True unless this record fails the run: passed, or a declared
        expected failure."""
        return bool(self.passed or self.expected_failure)

    def to_json(self):
        out = {k: _jsonable(v) for k, v in dataclasses.asdict(self).items()}
        out["status"] = self.status
        return out


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
            note="", absolute=False, relation="==", expected_failure=False):
    """Build a :class:`Record`; ``passed`` iff the error is within tolerance.

    Parameters
    ----------
    lattice, analytic : float
        The numerical value and the reference (or bound) of one quantity.
    tolerance : float
        Allowed error, >= 0.
    absolute : bool
        Absolute error (also used when ``analytic == 0``).
    relation : {"==", "<=", ">="}
        Equality within the tolerance, or a bound ``lattice <= analytic``
        / ``lattice >= analytic``.
    expected_failure : bool
        Declare that the relation is expected not to hold (status XFAIL;
        the run does not fail on it).

    A non-finite lattice value never passes.
    """
    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {RELATIONS}, got {relation!r}")
    tolerance = float(tolerance)
    if not (math.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(f"tolerance must be finite and >= 0, got {tolerance}")
    lattice = float(np.real(lattice))
    analytic = float(np.real(analytic))
    diff = {"==": abs(lattice - analytic), "<=": max(0.0, lattice - analytic),
            ">=": max(0.0, analytic - lattice)}[relation]
    if math.isnan(lattice):
        diff = float("nan")
    kind = "absolute" if absolute or analytic == 0 else "relative"
    err = diff if kind == "absolute" else diff / abs(analytic)
    passed = bool(math.isfinite(lattice) and math.isfinite(err) and err <= tolerance)
    return Record(case, quantity, dict(params or {}), lattice, analytic, err,
                  kind, tolerance, passed, bool(expected_failure), relation, note)


def all_ok(records):
    """True iff there are records and each passed or is a declared
    expected failure."""
    return bool(records) and all(r.ok for r in records)


def exit_status(records):
    """Exit status of a validation run: 0 iff :func:`all_ok`."""
    return 0 if all_ok(records) else 1


def available_cases():
    """Names of the validation cases (modules in :mod:`validation.cases`)."""
    from . import cases
    return sorted(m.name for m in pkgutil.iter_modules(cases.__path__)
                  if not m.name.startswith("_"))


def run_cases(names, figdir, json_path=None):
    """Run the named cases; return all their records.

    With ``json_path`` the records so far are written there after every
    case (and before a failing case's exception propagates), so a late
    failure does not lose the finished cases.  Every case runs inside
    :func:`validation.plotting.style`, the figures' shared style.
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
            with figure_style():
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
    """The records as a table; the status column reads PASS, FAIL, XFAIL
    (declared expected failure) or XPASS."""
    head = f"{'case':<16} {'quantity':<34} {'lattice':>12} {'rel':>3} " \
           f"{'analytic':>12} {'error':>9} {'tol':>9}  status"
    lines = [head, "-" * len(head)]
    for r in records:
        kind = "r" if r.error_kind == "relative" else "a"
        lines.append(f"{r.case:<16} {r.quantity:<34.34} {r.lattice:>12.5g} "
                     f"{r.relation:>3} {r.analytic:>12.5g} {r.error:>8.2e}{kind} "
                     f"{r.tolerance:>9.2e}  {r.status}")
    count = {s: sum(r.status == s for r in records)
             for s in ("PASS", "FAIL", "XFAIL", "XPASS")}
    lines.append(f"{count['PASS']} passed, {count['FAIL']} failed, "
                 f"{count['XFAIL']} expected failures, {count['XPASS']} "
                 "unexpected passes (error: r relative, a absolute)")
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
