"""Lattice calculations against the papers' analytic formulas.

Run ``python -m validation [CASE ...] --json FILE``.  Each case is a module in
:mod:`validation.cases` exposing ``run(figdir) -> list[Record]``; a new case is
a new module there, nothing else to register.
"""
from .records import Record, compare, available_cases, run_cases

__all__ = ["Record", "compare", "available_cases", "run_cases"]
