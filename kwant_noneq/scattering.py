"""Scattering states at fixed energies for many scattering-region potentials.

A self-consistent loop solves the same system at the same energies again and
again with a different potential (the exchange field) added to the
scattering region.  Lead modes and the static Hamiltonian do not change, so
they are computed once per energy node here; each later solve only adds a
sparse matrix to the top-left block of Kwant's linear system and factorises
(design.md section 4).  The potential must vanish on the lead interfaces'
lead side, which it does by construction: it lives on the scattering
region's orbitals only.

This uses Kwant's solver internals (``_make_linear_sys``, ``_factorized``,
``_solve_linear_sys``), stable from Kwant 1.4 to 1.5.
"""
import dataclasses

import numpy as np
import scipy.sparse as sp
import kwant
import kwant.system

from .params import check_params

__all__ = ["ScatteringStates", "SMatrixExpansion", "uniform_norbs",
           "onsite_block_matrix"]


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


class ScatteringStates:
    """Scattering wave functions of ``syst`` at fixed ``energies``.

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

    Notes
    -----
    Memory grows with the number of nodes: one sparse linear system each.
    """

    def __init__(self, syst, energies, params=None, check_hermiticity=True):
        if not syst.leads:
            raise ValueError("the system has no leads: scattering states need "
                             "at least one lead (attach leads before finalizing)")
        if any(kwant.system.is_selfenergy_lead(lead) for lead in syst.leads):
            raise ValueError("self-energy leads have no scattering states; "
                             "use leads with modes")
        _check_params(params)
        check_params(syst, params)
        self.syst = syst
        self.norbs = uniform_norbs(syst)
        self.energies = np.asarray(energies, float)
        self.solver = kwant.solvers.default.hidden_instance
        in_leads = list(range(len(syst.leads)))
        self._linsys = []
        self._lead_info = []
        self.nmodes = np.zeros((len(self.energies), len(syst.leads)), int)
        for n, energy in enumerate(self.energies):
            linsys, info = self.solver._make_linear_sys(
                syst, in_leads, energy, (), check_hermiticity, params=params)
            if not np.all(np.isfinite(linsys.lhs.data)):
                raise ValueError(f"the Hamiltonian or the lead modes at energy "
                                 f"{energy} contain NaN or inf: check params")
            self._linsys.append(linsys)
            self._lead_info.append(info)
            self.nmodes[n] = [prop.velocities.size // 2 for prop in info]
            check_hermiticity = False   # the Hamiltonian does not change
        self.num_orb = self._linsys[0].num_orb if self._linsys else 0

    def _lhs(self, linsys, potential):
        """Kwant's left-hand side with ``potential`` added to the scattering
        region's block (the leads' blocks are unchanged)."""
        if potential is None:
            return linsys.lhs
        if potential.shape != (self.num_orb, self.num_orb):
            raise ValueError(f"potential has shape {potential.shape}, the "
                             f"system has {self.num_orb} orbitals")
        pot = potential.tocoo()
        size = linsys.lhs.shape[0]
        lhs = linsys.lhs + sp.coo_matrix((pot.data, (pot.row, pot.col)),
                                         shape=(size, size))
        return getattr(lhs, "to" + self.solver.lhsformat)()

    def wave_functions(self, node, potential=None):
        """Wave functions injected from each lead at energy node ``node``.

        Parameters
        ----------
        node : int
            Index into ``energies``.
        potential : scipy.sparse matrix, optional
            Added to the scattering region's Hamiltonian, shape
            ``(num_orb, num_orb)``.

        Returns
        -------
        list of ndarray, one per lead, shape ``(nmodes, num_orb)`` as
        ``kwant.wave_function``: modes normalised to unit current.
        """
        linsys = self._linsys[node]
        lhs = self._lhs(linsys, potential)
        factorized = self.solver._factorized(lhs)
        kept = slice(self.num_orb)
        return [self.solver._solve_linear_sys(factorized, rhs, kept).T
                for rhs in linsys.rhs]

    def smatrix(self, node, potential=None):
        """Scattering matrix at energy node ``node`` with ``potential`` added.

        The same factorisation as :meth:`wave_functions`; the solution's
        entries beyond the scattering region's ``num_orb`` orbitals are the
        outgoing mode amplitudes of each lead (``linsys.indices``), which is
        how :func:`kwant.smatrix` builds its result.

        Parameters
        ----------
        node : int
            Index into ``energies``.
        potential : scipy.sparse matrix, optional
            Added to the scattering region's Hamiltonian, shape
            ``(num_orb, num_orb)``.

        Returns
        -------
        kwant.solvers.common.SMatrix
            All leads in and out (``.transmission(i, j)``, ``.submatrix``).
        """
        from kwant.solvers.common import SMatrix
        linsys = self._linsys[node]
        lhs = self._lhs(linsys, potential)
        leads = list(range(len(self.syst.leads)))
        kept = np.concatenate(list(linsys.indices))
        if not sum(r.shape[1] for r in linsys.rhs) or not len(kept):
            # no propagating modes at this energy (outside the leads' bands)
            return SMatrix(np.zeros((len(kept), sum(r.shape[1] for r in linsys.rhs))),
                           self._lead_info[node], leads, leads)
        rhs = sp.bmat([[sp.csc_matrix(r) for r in linsys.rhs]],
                      format=self.solver.rhsformat)
        factorized = self.solver._factorized(lhs)
        data = self.solver._solve_linear_sys(factorized, rhs, kept)
        return SMatrix(data, self._lead_info[node], leads, leads)

    def smatrix_expansion(self, node, potential=None):
        """The S-matrix at ``node`` and its first order in a further
        perturbation of the scattering region (Born approximation).

        Kwant solves ``A x = b`` and reads the outgoing amplitudes ``S = P x``.
        Adding ``dH`` to the scattering region's block of ``A`` changes ``x``
        by ``-A^-1 dH x`` to first order, so ``dS = -(P A^-1) dH x``.  The rows
        of ``P A^-1`` solve the transposed system ``A^T y = P^T``: one more
        factorisation.  Restricted to the scattering region, ``x`` holds the
        incoming scattering states (:meth:`wave_functions`) and ``y`` the
        outgoing ones (unit current, ``y_m = conj(psi_m^-)`` for the state
        that leaves in mode m only), so ``dS_mn = -y_m^T dH psi_n``.

        Parameters
        ----------
        node : int
            Index into ``energies``.
        potential : scipy.sparse matrix, optional
            Part of the unperturbed Hamiltonian, as in :meth:`smatrix`.

        Returns
        -------
        SMatrixExpansion
        """
        from kwant.solvers.common import SMatrix
        linsys = self._linsys[node]
        lhs = self._lhs(linsys, potential).tocsc()
        leads = list(range(len(self.syst.leads)))
        kept = np.concatenate(list(linsys.indices))
        if not sum(r.shape[1] for r in linsys.rhs) or not len(kept):
            raise ValueError(f"no propagating modes at energy node {node}")
        rhs = sp.bmat([[sp.csc_matrix(r) for r in linsys.rhs]],
                      format=self.solver.rhsformat)
        fmt = "to" + self.solver.lhsformat
        sol = self.solver._solve_linear_sys(
            self.solver._factorized(getattr(lhs, fmt)()), rhs,
            np.concatenate([np.arange(self.num_orb), kept]))
        size = lhs.shape[0]
        unit = sp.csc_matrix((np.ones(len(kept)), (kept, np.arange(len(kept)))),
                             shape=(size, len(kept)))
        adjoint = self.solver._solve_linear_sys(
            self.solver._factorized(getattr(lhs.T.tocsc(), fmt)()),
            unit.tocsc() if self.solver.rhsformat == "csc" else unit,
            slice(self.num_orb))
        smatrix = SMatrix(sol[self.num_orb:], self._lead_info[node], leads, leads)
        return SMatrixExpansion(smatrix, np.ascontiguousarray(adjoint.T),
                                np.ascontiguousarray(sol[:self.num_orb].T))


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
