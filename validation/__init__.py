"""Lattice calculations against the papers' analytic formulas.

Run ``python -m validation [CASE ...] --json FILE``.  Each case is a module in
:mod:`validation.cases` exposing ``run(figdir) -> list[Record]``; a new case is
a new module there, nothing else to register.
"""
from .records import Record, all_ok, available_cases, compare, exit_status, run_cases

__all__ = ["Record", "compare", "all_ok", "exit_status", "available_cases", "run_cases"]
