"""Sparse LU factorisations that keep their analysis and their factors.

Kwant's solvers analyse (order) and factorise the linear system anew at
every call.  A self-consistent loop, a bias sweep or a disorder ensemble
solves matrices of one sparsity pattern again and again, so here the MUMPS
analysis is done once per pattern and each numerical factorisation reuses it
(``MUMPSContext.factor(..., reuse_analysis=True)``).  The ordering defaults
to ``'pord'``, a nested dissection that repeats bit for bit; SCOTCH (MUMPS's
choice here) can round differently from one call to the next, which breaks
the bit-reproducibility of ensembles.  On BHZ ribbons PORD factorises
10-15 % faster than SCOTCH with 5-10 % less memory; its analysis is slower,
but is done once.

Without MUMPS, SciPy's SuperLU (``scipy.sparse.linalg.splu``) takes its
place, with the same interface.
"""
import dataclasses

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

try:
    from kwant.linalg import mumps as _kwant_mumps
except ImportError:            # Kwant built without MUMPS
    _kwant_mumps = None

__all__ = ["SolverCounts", "SparseLU", "have_mumps", "DETERMINISTIC_ORDERINGS"]

#: MUMPS orderings whose repeated factorisations are bit-identical here.
DETERMINISTIC_ORDERINGS = ("amd", "amf", "qamd", "pord")


def have_mumps():
    """Whether Kwant's MUMPS wrapper is available."""
    return _kwant_mumps is not None


@dataclasses.dataclass
class SolverCounts:
    """Work done by the sparse solver, for reports and benchmarks.

    Attributes
    ----------
    lead_modes : int
        Energy nodes at which the leads' modes were computed (all leads).
    analyses : int
        Symbolic analyses (orderings) of a sparsity pattern.
    factorizations : int
        Numerical LU factorisations.
    solves : int
        Calls of the triangular solves (each may carry many columns).
    solve_columns : int
        Right-hand-side columns solved, over all calls.
    refactorizations : int
        Factorisations forced because the iterative update stalled (part of
        ``factorizations``).
    """

    lead_modes: int = 0
    analyses: int = 0
    factorizations: int = 0
    solves: int = 0
    solve_columns: int = 0
    refactorizations: int = 0

    def copy(self):
        return dataclasses.replace(self)

    def __sub__(self, other):
        return SolverCounts(*(getattr(self, f.name) - getattr(other, f.name)
                              for f in dataclasses.fields(self)))

    def __add__(self, other):
        return SolverCounts(*(getattr(self, f.name) + getattr(other, f.name)
                              for f in dataclasses.fields(self)))

    def as_dict(self):
        return dataclasses.asdict(self)


class SparseLU:
    """LU factorisation of square sparse matrices sharing one pattern.

    Parameters
    ----------
    ordering : str
        MUMPS fill-reducing ordering (``'amd'``, ``'amf'``, ``'qamd'``,
        ``'pord'``, ``'scotch'``, ``'auto'``); ignored by SuperLU.
    counts : SolverCounts
        Updated in place.

    Notes
    -----
    The first :meth:`factor` analyses the pattern, unless :meth:`analyze`
    did; later calls reuse that analysis.  The caller guarantees that the
    pattern (the coordinates of the COO matrix, in order; explicit zeros
    count) does not change, or calls :meth:`factor` with ``new_pattern=True``.
    MUMPS's analysis may use the matrix's values (column matching, scaling);
    analyse one fixed matrix of the pattern (:meth:`analyze`) when the
    factorisations must not depend on which matrix came first.
    """

    def __init__(self, ordering="pord", counts=None):
        if have_mumps() and ordering not in _kwant_mumps.orderings:
            raise ValueError(f"unknown MUMPS ordering {ordering!r}; choose one "
                             f"of {sorted(_kwant_mumps.orderings)}")
        self.ordering = ordering
        self.counts = SolverCounts() if counts is None else counts
        self._ctx = None
        self._lu = None
        self._analysed = False    # SuperLU: the pattern was counted as analysed
        self.memory = 0           # bytes held by the factors (estimate)

    @property
    def factored(self):
        return (self._ctx is not None and self._ctx.factored) or self._lu is not None

    @property
    def analysed(self):
        """Whether a pattern's analysis is held (reused by :meth:`factor`)."""
        return self._ctx is not None if have_mumps() else self._analysed

    def analyze(self, a):
        """Analyse the pattern of ``a`` (COO, complex) from ``a``'s values;
        later factorisations reuse this analysis.  Drops the factors."""
        a = sp.coo_matrix(a, dtype=complex)
        if have_mumps():
            self._analyze(a)
        else:
            self._lu = None
            self._analysed = True
            self.counts.analyses += 1
        self.memory = 0

    def estimate_memory(self, a):
        """Bytes the factors of ``a`` will take (MUMPS analysis estimate);
        analyses ``a`` if needed (counted)."""
        if not have_mumps():
            return 16 * a.nnz * 10   # SuperLU: no estimate before factorising
        if self._ctx is None:
            self._analyze(a)
        return int(self._ctx.analysis_stats.est_mem_incore) * 10**6

    def _analyze(self, a):
        self._ctx = _kwant_mumps.MUMPSContext()
        self._ctx.analyze(a, ordering=self.ordering)
        self.counts.analyses += 1

    def factor(self, a, new_pattern=False):
        """Factorise ``a`` (COO, complex), reusing the analysis of the pattern."""
        a = sp.coo_matrix(a, dtype=complex)
        if have_mumps():
            if self._ctx is None or new_pattern:
                self._analyze(a)
            self._ctx.factor(a, ordering=self.ordering, reuse_analysis=True)
            self.memory = int(self._ctx.factor_stats.memory) * 10**6
        else:
            if new_pattern or not self._analysed:
                self.counts.analyses += 1
                self._analysed = True
            self._lu = sla.splu(a.tocsc())
            self.memory = 16 * (self._lu.L.nnz + self._lu.U.nnz)
        self.counts.factorizations += 1

    def solve(self, b, transpose=False):
        """Solve ``a x = b`` (or ``a^T x = b``) for dense ``b`` (n, m)."""
        b = np.asarray(b, complex)
        self.counts.solves += 1
        self.counts.solve_columns += b.shape[1] if b.ndim == 2 else 1
        if self._lu is not None:
            return self._lu.solve(b, trans="T" if transpose else "N")
        inst = self._ctx.mumps_instance
        if transpose:
            # ICNTL(9) != 1 makes MUMPS solve with the transposed matrix.
            inst.icntl[9] = 2
            try:
                return self._ctx.solve(np.array(b, order="F"))
            finally:
                inst.icntl[9] = 1
        return self._ctx.solve(np.array(b, order="F"))

    def release(self):
        """Drop the factors and the analysis (memory back)."""
        self._ctx = None
        self._lu = None
        self._analysed = False
        self.memory = 0
