"""Scattering states at fixed energies for many scattering-region potentials.

A self-consistent loop solves the same system at the same energies again and
again with a different potential (the exchange field) added to the
scattering region.  Lead modes and the static Hamiltonian do not change, so
they are computed once per energy node; the sparsity pattern does not change
either, so its MUMPS analysis is done once per node
(:mod:`kwant_noneq.factorization`).  Each node keeps one numerical
factorisation, of the matrix with the first potential it was asked for
(``A_ref``); a later potential ``V`` is solved iteratively on it,

    x <- x + A_ref^-1 (b - (A_ref + dV) x),      dV = V - V_ref,

one multi-column solve per step for all leads' modes (block-preconditioned
Richardson).  A mean field of a few meV against bands of an eV contracts
this by orders of magnitude per step; when the contraction is poor (strong
fields), the node is refactorised with ``V`` as its new reference, reusing
the analysis.  Potentials live on the onsite blocks of the scattering
region, a fixed pattern, and must vanish on the lead side of the interfaces
(they do: they act on the scattering region's orbitals only).

The iteration stops at a relative accuracy ``rtol``, so a solution depends,
below ``rtol``, on the reference and on the warm start (the node's last
solution): on the potentials solved before.  :meth:`ScatteringStates.reset`
forgets them (references, last solutions, measured contractions) and keeps
what does not depend on them (lead modes, linear systems, MUMPS analyses,
which are made from the potential-free matrix): after it, results depend only
on the potentials asked for since, bit for bit.  A disorder ensemble that
keeps one object per worker calls it at the start of each realisation, so a
realisation's bits do not depend on which realisations the worker ran
before.

This uses Kwant's solver internals (``_make_linear_sys``), stable from
Kwant 1.4 to 1.5.
"""
import copy
import dataclasses
import hashlib
import os

import numpy as np
import scipy.sparse as sp
import kwant
import kwant.system

from .factorization import SolverCounts, SparseLU
from .params import check_params

__all__ = ["ScatteringStates", "SMatrixExpansion", "LeadModes", "uniform_norbs",
           "onsite_block_matrix", "default_factor_memory"]


def uniform_norbs(syst):
    """Number of orbitals per site; ``ValueError`` unless all sites agree."""
    if not isinstance(syst, kwant.system.FiniteSystem):
        raise TypeError("expected a finalized Kwant system "
                        f"(kwant.system.FiniteSystem), got {type(syst).__name__}")
    norbs = {getattr(site.family, "norbs", None) for site in syst.sites}
    if None in norbs:
        raise ValueError("the site families must declare norbs (e.g. "
                         "kwant.lattice.square(a, norbs=4))")
    if len(norbs) != 1:
        raise ValueError(f"sites with different numbers of orbitals {norbs} "
                         "are not supported")
    return norbs.pop()


def onsite_block_matrix(blocks):
    """Sparse block-diagonal matrix from per-site blocks ``(nsites, n, n)``."""
    blocks = np.asarray(blocks)
    nsites, n, _ = blocks.shape
    base = np.arange(nsites)[:, None, None] * n
    rows = np.broadcast_to(base + np.arange(n)[None, :, None], blocks.shape)
    cols = np.broadcast_to(base + np.arange(n)[None, None, :], blocks.shape)
    return sp.coo_matrix((blocks.ravel(), (rows.ravel(), cols.ravel())),
                         shape=(nsites * n, nsites * n))


def _check_params(params):
    """``ValueError`` for NaN or infinite numbers among Kwant parameters."""
    for name, value in (params or {}).items():
        if isinstance(value, (int, float, complex, np.number)) and not np.isfinite(value):
            raise ValueError(f"parameter {name!r} is {value}: parameters must be finite")


def default_factor_memory():
    """Default bound on the memory of kept factorisations [bytes]: half the
    memory available when it is called (``MemAvailable`` of
    ``/proc/meminfo``, which already excludes the factorisations that other
    objects of this process keep), else half the physical memory
    (``os.sysconf``), 4 GiB where neither is known."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 // 2
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2)
    except (ValueError, OSError, AttributeError):
        return 4 * 2**30


class LeadModes:
    """Lead modes shared by every :class:`ScatteringStates` built with it.

    The modes of a lead depend on its Hamiltonian and the energy only, not on
    the scattering region: the realisations of a disorder ensemble (disorder
    in the scattering region), the points of a sweep in the interaction or of
    repeated solves at the same energies all need the same modes.  Pass one
    ``LeadModes`` to each of them and each energy's modes are computed once.

    A stored entry is used only where the lead's cell Hamiltonian and
    inter-cell hopping (evaluated with the caller's ``params``) are equal to
    the stored ones, element by element; otherwise the modes are computed
    anew and the entry is replaced, so a changed lead is never served stale
    modes.

    Attributes
    ----------
    computed : int
        Lead-mode computations (per energy, all leads together).
    reused : int
        Energies served from the store.
    """

    def __init__(self):
        self._store = {}
        self.computed = 0
        self.reused = 0

    def __len__(self):
        return len(self._store)

    @staticmethod
    def _fingerprint(lead, params):
        return (np.asarray(lead.cell_hamiltonian(params=params)),
                np.asarray(lead.inter_cell_hopping(params=params)))

    def system_at(self, syst, energy, params):
        """``syst`` with its leads' modes at ``energy`` precalculated (a
        shallow copy, as :meth:`kwant.system.FiniteSystem.precalculate`)."""
        prints = [self._fingerprint(lead, params) for lead in syst.leads]
        entry = self._store.get(float(energy))
        if entry is not None and len(entry) == len(prints) and all(
                np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
                for (a, _), b in zip(entry, prints)):
            self.reused += 1
            modes = [m for _, m in entry]
        else:
            modes = [lead.modes(energy, params=params) for lead in syst.leads]
            self._store[float(energy)] = list(zip(prints, modes))
            self.computed += 1
        result = copy.copy(syst)
        result.leads = [kwant.system.PrecalculatedLead(m) for m in modes]
        return result


class _Node:
    """One energy node: Kwant's linear system and its kept factorisation."""

    def __init__(self, energy, linsys, lead_info, ordering, counts):
        self.energy = energy
        self.lead_info = lead_info
        self.nmodes = [prop.velocities.size // 2 for prop in lead_info]
        self.lhs = linsys.lhs.tocoo()
        self.lhs_csr = self.lhs.tocsr()
        cols = np.cumsum([0] + [r.shape[1] for r in linsys.rhs])
        self.columns = [slice(a, b) for a, b in zip(cols[:-1], cols[1:])]
        # Kwant gives a dense (n, 0) block for a lead without propagating
        # modes at this energy (e.g. below a subband bottom that lies inside
        # the window), a sparse one otherwise.
        self.rhs = (np.hstack([r.toarray() if hasattr(r, "toarray") else
                               np.asarray(r) for r in linsys.rhs]).astype(complex)
                    if cols[-1] else np.zeros((self.lhs.shape[0], 0), complex))
        # Kwant's own copies of the matrix and right-hand sides are not kept:
        # at W = 40, L = 400 they are ~50 MB a node besides the two above.
        self.linsys = linsys._replace(lhs=None, rhs=None)
        self.lu = SparseLU(ordering, counts)
        self.reference = None       # potential blocks of the factorised matrix
        self.transient = False      # factors dropped after each use (memory)
        self.solution = None        # (key, x) of the last solve
        self.contraction = None     # last measured Richardson contraction


class ScatteringStates:
    """Scattering wave functions of ``syst`` at fixed ``energies``, for any
    potential added to the scattering region's onsite blocks.

    Parameters
    ----------
    syst : kwant.system.FiniteSystem
        With at least one lead that has modes (self-energy leads are not
        supported: their scattering states are undefined).
    energies : array of float
        Energy nodes [the Hamiltonian's unit].
    params : dict
        Kwant parameters, evaluated once per node.
    check_hermiticity : bool
    ordering : str
        MUMPS ordering.  The default ``'pord'`` (nested dissection) repeats
        bit for bit (so do ``'amd'``, ``'amf'``, ``'qamd'``), and on ribbons
        factorises faster and with less fill than ``'scotch'``, MUMPS's own
        choice here, which is not bit-reproducible.
    max_factor_memory : int, optional
        Bound on the memory of kept factorisations [bytes] (default
        :func:`default_factor_memory`, half the memory available at
        construction).  Nodes beyond it drop their factors after each use
        and factorise the same reference matrix again at the next (slower,
        bounded, and the same bits as a kept factorisation, so results do not
        depend on the memory that was free).
    rtol : float
        Default relative accuracy of the iterative solves (per column,
        ``||dx|| / ||x||`` extrapolated with the measured contraction).
    counts : SolverCounts, optional
        Shared counter (e.g. by several solvers in a sweep).
    lead_modes : LeadModes, optional
        Store of lead modes shared with other systems that have the same
        leads (ensembles, sweeps); default: compute them here.
    iterative : bool
        Solve a new potential iteratively on the kept factorisation (default)
        or factorise anew for each (the reference behaviour, analysis still
        reused).

    Notes
    -----
    Results depend on the potentials solved since construction or the last
    :meth:`reset` (the reference factorisation and the warm start), by less
    than ``rtol``; for a given sequence of potentials they are the same bits
    every time.

    Attributes
    ----------
    counts : SolverCounts
        Lead-mode computations, analyses, factorisations, solves.
    factor_memory : int
        Bytes held by the kept factorisations now.
    nmodes : ndarray (nodes, leads)
    """

    #: Richardson steps beyond which, or contraction above which, a node is
    #: refactorised with the current potential as its reference.
    max_steps = 30
    max_contraction = 0.5

    def __init__(self, syst, energies, params=None, check_hermiticity=True, *,
                 ordering="pord", max_factor_memory=None, rtol=1e-12,
                 counts=None, lead_modes=None, iterative=True):
        if not syst.leads:
            raise ValueError("the system has no leads: scattering states need "
                             "at least one lead (attach leads before finalizing)")
        if any(kwant.system.is_selfenergy_lead(lead) for lead in syst.leads):
            raise ValueError("self-energy leads have no scattering states; "
                             "use leads with modes")
        _check_params(params)
        if not (np.isfinite(rtol) and 0 < rtol < 1):
            raise ValueError(f"rtol must lie in (0, 1), got {rtol}")
        check_params(syst, params)
        self.syst = syst
        self.params = params
        self.norbs = uniform_norbs(syst)
        self.ordering = ordering
        self.rtol = float(rtol)
        self.max_factor_memory = (default_factor_memory() if max_factor_memory is None
                                  else int(max_factor_memory))
        self.counts = SolverCounts() if counts is None else counts
        self.solver = kwant.solvers.default.hidden_instance
        self._check_hermiticity = check_hermiticity
        self.lead_modes = lead_modes
        self.iterative = bool(iterative)
        self._nodes = []
        self.num_orb = None
        self.add_energies(energies)
        if self.num_orb is None:
            self.num_orb = self.norbs * len(syst.sites)
        # The potential's fixed pattern: every onsite block of the region.
        n, o = len(syst.sites), self.norbs
        base = np.arange(n)[:, None, None] * o
        self._block_rows = np.broadcast_to(base + np.arange(o)[None, :, None],
                                           (n, o, o)).ravel()
        self._block_cols = np.broadcast_to(base + np.arange(o)[None, None, :],
                                           (n, o, o)).ravel()

    # -- nodes -------------------------------------------------------------

    @property
    def energies(self):
        return np.array([nd.energy for nd in self._nodes], float)

    @property
    def nmodes(self):
        return np.array([nd.nmodes for nd in self._nodes], int).reshape(
            len(self._nodes), len(self.syst.leads))

    @property
    def factor_memory(self):
        return sum(nd.lu.memory for nd in self._nodes if not nd.transient)

    def __len__(self):
        return len(self._nodes)

    def system_matrix(self, node):
        """The static linear system's matrix at ``node`` (sparse, the one
        Kwant's solver factorises: scattering region plus lead modes), e.g.
        to time one factorisation of it."""
        return self._nodes[int(node)].lhs_csr

    def add_energies(self, energies):
        """Compute the lead modes at new ``energies`` and append them as
        nodes; returns their node indices."""
        energies = np.atleast_1d(np.asarray(energies, float))
        if energies.ndim != 1 or not np.all(np.isfinite(energies)):
            raise ValueError("energies must be a 1D array of finite numbers")
        in_leads = list(range(len(self.syst.leads)))
        first = len(self._nodes)
        for energy in energies:
            syst = self.syst
            if self.lead_modes is not None:
                before = self.lead_modes.computed
                syst = self.lead_modes.system_at(syst, energy, self.params)
                self.counts.lead_modes += self.lead_modes.computed - before
            else:
                self.counts.lead_modes += 1
            linsys, info = self.solver._make_linear_sys(
                syst, in_leads, energy, (), self._check_hermiticity,
                params=self.params)
            if not np.all(np.isfinite(linsys.lhs.data)):
                raise ValueError(f"the Hamiltonian or the lead modes at energy "
                                 f"{energy} contain NaN or inf: check params")
            self._nodes.append(_Node(float(energy), linsys, info, self.ordering,
                                     self.counts))
            self.num_orb = linsys.num_orb
            self._check_hermiticity = False   # the Hamiltonian does not change
        return np.arange(first, len(self._nodes))

    def keep(self, nodes):
        """Keep only ``nodes`` (in the given order, reindexed from 0); the
        others' factorisations are freed."""
        nodes = [int(i) for i in np.atleast_1d(nodes)]
        kept = [self._nodes[i] for i in nodes]
        for i, nd in enumerate(self._nodes):
            if i not in nodes:
                nd.lu.release()
        self._nodes = kept

    def release(self):
        """Free every kept factorisation (lead modes stay); forgets the
        potentials solved so far, as :meth:`reset`."""
        for nd in self._nodes:
            nd.lu.release()
        self.reset()

    def reset(self):
        """Forget the potentials solved so far: each node's reference
        potential, last solution (the warm start) and measured contraction.

        The lead modes, the linear systems and the MUMPS analyses stay (they
        do not depend on any potential), as does the factors' memory: the
        next potential asked for at a node is factorised anew (one numerical
        factorisation, analysis reused) and becomes its reference.  After a
        reset, results depend only on the potentials asked for since, bit for
        bit, not on what this object solved before: call it at the start of
        each realisation of an ensemble whose workers keep this object
        between realisations.
        """
        for nd in self._nodes:
            nd.reference = None
            nd.solution = None
            nd.contraction = None

    # -- potentials --------------------------------------------------------

    def _blocks(self, potential):
        """Onsite blocks ``(nsites, norbs, norbs)`` of ``potential``, or
        ``None`` where it has entries between different sites."""
        n, o = len(self.syst.sites), self.norbs
        if potential is None:
            return np.zeros((n, o, o), complex)
        if potential.shape != (self.num_orb, self.num_orb):
            raise ValueError(f"potential has shape {potential.shape}, the "
                             f"system has {self.num_orb} orbitals")
        pot = sp.coo_matrix(potential)
        if np.any(pot.row // o != pot.col // o):
            return None
        blocks = np.zeros(n * o * o, complex)
        np.add.at(blocks, pot.row * o + pot.col % o, pot.data)
        if not np.all(np.isfinite(blocks)):
            raise ValueError("potential contains NaN or infinite entries")
        return blocks.reshape(n, o, o)

    def _matrix(self, nd, blocks):
        """Kwant's left-hand side with onsite ``blocks`` added, on the fixed
        pattern (explicit zeros kept; MUMPS sums duplicates)."""
        lhs = nd.lhs
        return sp.coo_matrix(
            (np.concatenate([lhs.data, blocks.ravel()]),
             (np.concatenate([lhs.row, self._block_rows]),
              np.concatenate([lhs.col, self._block_cols]))), shape=lhs.shape)

    def _apply(self, nd, blocks, x, transpose=False):
        """``(A0 + P(blocks)) x`` (or its transpose)."""
        n, o, m = len(self.syst.sites), self.norbs, x.shape[1]
        a0 = nd.lhs_csr.T if transpose else nd.lhs_csr
        y = a0 @ x
        b = blocks.transpose(0, 2, 1) if transpose else blocks
        y[:self.num_orb] += np.einsum("iab,ibm->iam", b,
                                      x[:self.num_orb].reshape(n, o, m)
                                      ).reshape(n * o, m)
        return y

    def _factor(self, nd, blocks):
        if not nd.lu.analysed:
            # The analysis is made from the potential-free matrix, not from
            # whichever potential comes first: MUMPS may use the values
            # (matching, scaling), and a reused analysis must not carry the
            # history of the node into later factorisations.
            static = self._matrix(nd, np.zeros_like(blocks))
            nd.lu.analyze(static)
            if nd.reference is None and not nd.transient:
                estimate = nd.lu.estimate_memory(static)
                if self.factor_memory + estimate > self.max_factor_memory:
                    nd.transient = True
        nd.lu.factor(self._matrix(nd, blocks))
        nd.reference = blocks.copy()
        nd.contraction = None

    def _release_transient(self, nd):
        """Drop a transient node's factors; its reference stays, and is
        factorised again at the next use (the same bits as keeping it)."""
        if nd.transient:
            nd.lu.release()

    def _solve(self, nd, blocks, b, x0, rtol, transpose=False):
        """Solve ``(A0 + P(blocks)) x = b`` on the kept factorisation."""
        if b.shape[1] == 0:
            return np.zeros_like(b)
        if nd.reference is None:
            self._factor(nd, blocks)
            return nd.lu.solve(b, transpose)
        if not nd.lu.factored:  # a transient node: its reference again
            contraction = nd.contraction
            self._factor(nd, nd.reference)
            nd.contraction = contraction
        delta = blocks - nd.reference
        if not np.any(delta):
            return nd.lu.solve(b, transpose)
        if not self.iterative:
            self._factor(nd, blocks)
            return nd.lu.solve(b, transpose)
        x = nd.lu.solve(b, transpose) if x0 is None else x0.copy()
        previous = None
        for step in range(self.max_steps):
            r = b - self._apply(nd, blocks, x, transpose)
            dx = nd.lu.solve(r, transpose)
            x += dx
            size = np.max(np.linalg.norm(dx, axis=0)
                          / np.maximum(np.linalg.norm(x, axis=0), 1e-300))
            q = nd.contraction if previous is None else size / max(previous, 1e-300)
            previous = size
            if q is None:
                if size == 0:
                    break
                continue
            nd.contraction = q
            if q >= self.max_contraction:
                break
            if size * q / (1 - q) <= rtol or size == 0:
                return x
        # Stalled or slow: refactorise with this potential as the reference.
        self.counts.refactorizations += 1
        self._factor(nd, blocks)
        return nd.lu.solve(b, transpose)

    def solution(self, node, potential=None, rtol=None):
        """Kwant's solution vector at node ``node`` for every incoming mode,
        shape ``(size, modes)``: the scattering region's orbitals first, then
        the leads' outgoing amplitudes (``linsys.indices``).  The last
        solution is cached, so asking again with the same potential costs
        nothing, and it warm-starts the next potential's iteration (until
        :meth:`reset`)."""
        nd = self._nodes[node]
        rtol = self.rtol if rtol is None else float(rtol)
        blocks = self._blocks(potential)
        if blocks is None:
            return self._solve_offblock(nd, potential)
        key = hashlib.blake2b(blocks.tobytes(), digest_size=16).digest()
        if nd.solution is not None and nd.solution[0] == key and nd.solution[2] <= rtol:
            return nd.solution[1]
        x0 = nd.solution[1] if nd.solution is not None else None
        x = self._solve(nd, blocks, nd.rhs, x0, rtol)
        nd.solution = (key, x, rtol)
        self._release_transient(nd)
        return x

    def _solve_offblock(self, nd, potential):
        """A potential with inter-site entries: a factorisation of its own
        (pattern analysed anew)."""
        pot = potential.tocoo()
        lhs = nd.lhs
        a = sp.coo_matrix((np.concatenate([lhs.data, pot.data]),
                           (np.concatenate([lhs.row, pot.row]),
                            np.concatenate([lhs.col, pot.col]))), shape=lhs.shape)
        lu = SparseLU(self.ordering, self.counts)
        lu.factor(a)
        return lu.solve(nd.rhs) if nd.rhs.shape[1] else np.zeros_like(nd.rhs)

    # -- results -----------------------------------------------------------

    def wave_functions(self, node, potential=None, rtol=None):
        """Wave functions injected from each lead at energy node ``node``.

        Parameters
        ----------
        node : int
            Index into ``energies``.
        potential : scipy.sparse matrix, optional
            Added to the scattering region's Hamiltonian, shape
            ``(num_orb, num_orb)``.
        rtol : float, optional
            Relative accuracy of the iterative solve (default ``self.rtol``).

        Returns
        -------
        list of ndarray, one per lead, shape ``(nmodes, num_orb)`` as
        ``kwant.wave_function``: modes normalised to unit current.
        """
        x = self.solution(node, potential, rtol)
        nd = self._nodes[node]
        return [x[:self.num_orb, cols].T for cols in nd.columns]

    def wave_function_response(self, node, potential, perturbation, rtol=None):
        """First-order change of :meth:`wave_functions` when ``perturbation``
        is added to ``potential``: ``d psi = -A^-1 (dV psi)``, solved on the
        node's kept factorisation (the linear response that a Newton step of
        a self-consistent loop needs).

        Returns
        -------
        list of ndarray, one per lead, shape ``(nmodes, num_orb)``.
        """
        nd = self._nodes[node]
        x = self.solution(node, potential, rtol)
        if x.shape[1] == 0:
            return [x[:self.num_orb, cols].T for cols in nd.columns]
        blocks, dblocks = self._blocks(potential), self._blocks(perturbation)
        if blocks is None or dblocks is None:
            raise ValueError("the linear response needs potentials on the "
                             "onsite blocks")
        n, o, m = len(self.syst.sites), self.norbs, x.shape[1]
        rhs = np.zeros_like(x)
        rhs[:self.num_orb] = -np.einsum("iab,ibm->iam", dblocks,
                                        x[:self.num_orb].reshape(n, o, m)
                                        ).reshape(n * o, m)
        rtol = self.rtol if rtol is None else float(rtol)
        dx = self._solve(nd, blocks, rhs, None, rtol)
        self._release_transient(nd)
        return [dx[:self.num_orb, cols].T for cols in nd.columns]

    def smatrix(self, node, potential=None, rtol=None):
        """Scattering matrix at energy node ``node`` with ``potential`` added.

        The same solve as :meth:`wave_functions` (cached): the solution's
        entries beyond the scattering region's ``num_orb`` orbitals are the
        outgoing mode amplitudes of each lead (``linsys.indices``), which is
        how :func:`kwant.smatrix` builds its result.

        Returns
        -------
        kwant.solvers.common.SMatrix
            All leads in and out (``.transmission(i, j)``, ``.submatrix``).
        """
        from kwant.solvers.common import SMatrix
        nd = self._nodes[node]
        leads = list(range(len(self.syst.leads)))
        kept = np.concatenate(list(nd.linsys.indices))
        if not nd.rhs.shape[1] or not len(kept):
            # no propagating modes at this energy (outside the leads' bands)
            return SMatrix(np.zeros((len(kept), nd.rhs.shape[1])),
                           nd.lead_info, leads, leads)
        x = self.solution(node, potential, rtol)
        return SMatrix(x[kept], nd.lead_info, leads, leads)

    def smatrix_expansion(self, node, potential=None, rtol=None):
        """The S-matrix at ``node`` and its first order in a further
        perturbation of the scattering region (Born approximation).

        Kwant solves ``A x = b`` and reads the outgoing amplitudes ``S = P x``.
        Adding ``dH`` to the scattering region's block of ``A`` changes ``x``
        by ``-A^-1 dH x`` to first order, so ``dS = -(P A^-1) dH x``.  The rows
        of ``P A^-1`` solve the transposed system ``A^T y = P^T``, on the same
        factorisation (MUMPS solves with the transpose).  Restricted to the
        scattering region, ``x`` holds the incoming scattering states
        (:meth:`wave_functions`) and ``y`` the outgoing ones (unit current,
        ``y_m = conj(psi_m^-)`` for the state that leaves in mode m only), so
        ``dS_mn = -y_m^T dH psi_n``.

        Returns
        -------
        SMatrixExpansion
        """
        from kwant.solvers.common import SMatrix
        nd = self._nodes[node]
        leads = list(range(len(self.syst.leads)))
        kept = np.concatenate(list(nd.linsys.indices))
        if not nd.rhs.shape[1] or not len(kept):
            raise ValueError(f"no propagating modes at energy node {node}")
        x = self.solution(node, potential, rtol)
        blocks = self._blocks(potential)
        if blocks is None:
            raise ValueError("smatrix_expansion needs a potential on the "
                             "onsite blocks")
        unit = np.zeros((x.shape[0], len(kept)), complex)
        unit[kept, np.arange(len(kept))] = 1
        rtol = self.rtol if rtol is None else float(rtol)
        adjoint = self._solve(nd, blocks, unit, None, rtol, transpose=True)
        self._release_transient(nd)
        smatrix = SMatrix(x[kept], nd.lead_info, leads, leads)
        return SMatrixExpansion(smatrix,
                                np.ascontiguousarray(adjoint[:self.num_orb].T),
                                np.ascontiguousarray(x[:self.num_orb].T))


@dataclasses.dataclass
class SMatrixExpansion:
    """S-matrix to first order in a perturbation ``dH`` of the scattering
    region: ``S(dH) = S + dS + O(dH^2)``, ``dS = -outgoing dH incoming^T``.

    Attributes
    ----------
    smatrix : kwant.solvers.common.SMatrix
        The unperturbed S-matrix (all leads in and out).
    outgoing : ndarray (n_out, num_orb)
        One row per outgoing mode (the rows of ``smatrix.data``):
        ``conj`` of the scattering state that leaves through that mode only.
    incoming : ndarray (n_in, num_orb)
        One row per incoming mode (its columns): the usual scattering states,
        unit current (``kwant.wave_function``).
    """
    smatrix: object
    outgoing: np.ndarray
    incoming: np.ndarray

    def first_order(self, perturbation, out_lead=None, in_lead=None):
        """``dS`` (dense), optionally only the block ``(out_lead, in_lead)``."""
        out, inc = self.outgoing, self.incoming
        if out_lead is not None:
            out = out[self.smatrix.out_block_coords(out_lead)]
        if in_lead is not None:
            inc = inc[self.smatrix.in_block_coords(in_lead)]
        return -out @ (perturbation @ inc.T)
