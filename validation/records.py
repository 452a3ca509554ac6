"""Validation records (design.md section 7): one per compared quantity."""
import dataclasses
import importlib
import json
import math
import pathlib
import pkgutil
import time

import numpy as np

__all__ = ["Record", "compare", "available_cases", "run_cases", "format_table"]


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


def run_cases(names, figdir):
    """Run the named cases; return all their records."""
    figdir = pathlib.Path(figdir)
    figdir.mkdir(parents=True, exist_ok=True)
    records = []
    for name in names:
        module = importlib.import_module(f"validation.cases.{name}")
        t0 = time.perf_counter()
        print(f"[{name}] running ...", flush=True)
        out = module.run(figdir)
        print(f"[{name}] {len(out)} records in {time.perf_counter() - t0:.1f} s",
              flush=True)
        records.extend(out)
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


def write_json(records, path):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([r.to_json() for r in records], indent=1))
