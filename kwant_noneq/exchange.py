"""Mean-field exchange field from a spin density.

With spin density ``s_i = <sigma_i> / 2`` per site (hbar = 1) the
Hartree-Fock exchange of an interaction ``V(r_ij)`` between equal spins is
the Zeeman-like field

    h_i = - sum_j V_ij s_j,        H_int = sum_i h_i . sigma_i,

Eq. (3) of Balram et al., PRL 123, 246803 (2019), ``H_MF = -g <s> . sigma``,
on a lattice.  A contact interaction ``g delta(r)`` in 2D is the onsite
coupling ``U = g / a^2`` (``V_ij = U delta_ij``); the 1D coupling an edge
state feels is ``g_1D = U a sum_i P_i^2`` with ``P_i`` the edge state's site
weight (docs/architecture.md, section 6.2).  Energies in eV, distances in the units of the
site positions (nm for :mod:`kwant_noneq.systems`).
"""
import kwant
import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from . import checks
from .density import density_operator_blocks, expectation
from .scattering import onsite_block_matrix

__all__ = ["contact_kernel", "range_kernel", "line_range_kernel", "exchange_field",
           "exchange_potential", "spin_density", "check_spin_operators",
           "check_initial_field"]


def _positions(sites):
    return np.array([s.pos for s in sites], float)


def contact_kernel(sites, U, where=None):
    """``V_ij = U delta_ij`` [eV] on ``sites`` (optionally only where the
    boolean mask ``where`` is True)."""
    n = len(sites)
    if not np.isfinite(U):
        raise ValueError(f"interaction U must be finite, got {U}")
    diag = np.full(n, float(U))
    if where is not None:
        diag = diag * np.asarray(where, bool)
    return sp.diags(diag).tocsr()


def range_kernel(sites, V, cutoff, where=None):
    """``V_ij = V(|r_i - r_j|)`` for ``|r_i - r_j| <= cutoff``, sparse.

    Parameters
    ----------
    sites : sequence of kwant sites
    V : callable
        ``V(r) -> eV``, vectorised over ``r`` (e.g. a screened Coulomb
        ``g exp(-r / l) / sqrt(r^2 + a^2)`` scaled to the lattice).
    cutoff : float
        Pairs further apart are dropped [units of ``site.pos``].
    """
    if not (np.isfinite(cutoff) and cutoff >= 0):
        raise ValueError(f"cutoff must be >= 0 and finite, got {cutoff}")
    pos = _positions(sites)
    pairs = cKDTree(pos).query_pairs(cutoff, output_type="ndarray")
    i = np.concatenate([np.arange(len(pos)), pairs[:, 0], pairs[:, 1]])
    j = np.concatenate([np.arange(len(pos)), pairs[:, 1], pairs[:, 0]])
    r = np.linalg.norm(pos[i] - pos[j], axis=1)
    values = np.asarray(V(r), float)
    if not np.all(np.isfinite(values)):
        raise ValueError("V(r) returned NaN or infinite values within the cutoff")
    kernel = sp.coo_matrix((values, (i, j)), shape=(len(pos),) * 2).tocsr()
    if where is not None:
        m = sp.diags(np.asarray(where, float))
        kernel = m @ kernel @ m
    return kernel


def line_range_kernel(sites, U, xi, axis=0, cutoff=5.0):
    """A contact interaction smeared along one direction (an edge):

        ``V_ij = U exp(-(x_i - x_j)^2 / 2 xi^2) / (sqrt(2 pi) xi)``

    between sites on the same line parallel to ``axis`` (all other
    coordinates equal), ``|x_i - x_j| <= cutoff xi``, zero otherwise.

    Its integral along the line is ``U`` times the lattice constant, so a
    field smooth on the scale ``xi`` feels the same 1D coupling ``g_1D`` as
    with the contact interaction (docs/architecture.md, section 6.2), while
    the field's ``2 k_F`` component is suppressed by ``exp(-(2 k_F xi)^2 /
    2)``: an interaction too long-ranged to follow disorder on the ``2 k_F``
    scale, the premise of Eq. (5) of Balram et al., PRL 123, 246803 (2019).

    Parameters
    ----------
    sites : sequence of kwant sites
    U : float
        Contact coupling [eV] (onsite ``U = g / a^2``).
    xi : float
        Gaussian range along ``axis`` [units of ``site.pos``, nm], > 0.
    axis : int
        The coordinate the interaction is smeared along (0: x).
    cutoff : float
        Pairs further apart than ``cutoff * xi`` are dropped (5: the dropped
        tail weighs < 6e-7).

    Returns
    -------
    scipy.sparse.csr_matrix, shape (nsites, nsites) [eV]
    """
    U = checks.real_number("U", U, unit="eV")
    xi = checks.real_number("xi", xi, unit="nm", positive=True)
    cutoff = checks.real_number("cutoff", cutoff, positive=True)
    pos = _positions(sites)
    if pos.ndim != 2 or not 0 <= axis < pos.shape[1]:
        raise ValueError(f"axis must index a coordinate of the site positions "
                         f"(0..{pos.shape[1] - 1 if pos.ndim == 2 else 0}), got {axis}")
    along = pos[:, axis]
    others = np.delete(pos, axis, axis=1)
    _, line = np.unique(others, axis=0, return_inverse=True)
    line = np.ravel(line)
    rows, cols, vals = [], [], []
    for n in range(line.max() + 1 if len(line) else 0):
        idx = np.nonzero(line == n)[0]
        dx = along[idx][:, None] - along[idx][None, :]
        values = U * (np.exp(-dx**2 / (2 * xi**2)) / (np.sqrt(2 * np.pi) * xi))
        keep = (np.abs(dx) <= cutoff * xi) & (values != 0)
        i, j = np.nonzero(keep)
        rows.append(idx[i]), cols.append(idx[j]), vals.append(values[keep])
    n = len(pos)
    if not rows:
        return sp.csr_matrix((n, n))
    kernel = sp.csr_matrix((np.concatenate(vals),
                            (np.concatenate(rows), np.concatenate(cols))),
                           shape=(n, n))
    kernel.sort_indices()
    return kernel


def check_spin_operators(spin_operators, norbs):
    """The three Pauli-like spin matrices ``(3, norbs, norbs)``.

    Parameters
    ----------
    spin_operators : array (3, norbs, norbs), or three kwant.operator.Density
        ``sigma_x, sigma_y, sigma_z`` in the site basis, the same on every
        site: matrices, or Kwant Densities whose onsite is one matrix on
        every site of their system (no ``where`` restriction; an onsite
        function is evaluated with its bound parameters or none).
    norbs : int
        Orbitals per site.
    """
    if (isinstance(spin_operators, (list, tuple))
            and any(isinstance(o, kwant.operator.Density) for o in spin_operators)):
        spin_operators = [_uniform_matrix(o) for o in spin_operators]
    ops = np.asarray(spin_operators)
    if ops.shape != (3, norbs, norbs):
        raise ValueError(f"spin_operators must have shape (3, {norbs}, {norbs}) "
                         f"(sigma_x, sigma_y, sigma_z in the site basis), got "
                         f"{ops.shape}")
    if not np.allclose(ops, ops.conj().transpose(0, 2, 1)):
        raise ValueError("spin operators must be Hermitian")
    return ops


def _uniform_matrix(operator):
    """The one onsite matrix of a ``kwant.operator.Density`` (or
    ``operator`` itself when it is a matrix already)."""
    if not isinstance(operator, kwant.operator.Density):
        return operator
    blocks = density_operator_blocks(operator)
    if not np.all(blocks == blocks[:1]):
        raise ValueError("a spin operator given as kwant.operator.Density must "
                         "be the same on every site (no where=, no site-"
                         "dependent onsite): the exchange field couples to "
                         "one sigma per site")
    return blocks[0]


def check_initial_field(initial_field, nsites, sites_are="sites"):
    """A starting exchange field as a float array ``(nsites, 3)`` [eV]:
    zeros for None; real, finite, of that shape (``sites_are`` says which
    sites, for the message)."""
    if initial_field is None:
        return np.zeros((nsites, 3))
    h0 = np.asarray(initial_field)
    if h0.dtype.kind not in "iuf":
        raise TypeError(f"initial_field must be real numbers [eV], got dtype "
                        f"{h0.dtype}")
    h0 = h0.astype(float)
    if h0.shape != (nsites, 3):
        raise ValueError(f"initial_field must have shape ({nsites}, 3) (one "
                         f"field [eV] per {sites_are}), got {h0.shape}")
    if not np.all(np.isfinite(h0)):
        raise ValueError("initial_field contains NaN or infinite values")
    return h0


def spin_density(density_matrix, spin_operators):
    """``s_i = Tr(sigma rho_i) / 2``, shape ``(nsites, 3)``."""
    rho = np.asarray(density_matrix)
    ops = check_spin_operators(spin_operators, rho.shape[1])
    return expectation(rho, ops / 2).T


def exchange_field(spin, kernel):
    """``h_i = -sum_j V_ij s_j`` [eV], shape ``(nsites, 3)``."""
    return -(kernel @ np.asarray(spin))


def exchange_potential(field, spin_operators):
    """Sparse ``sum_i h_i.sigma_i`` over the sites' orbitals.

    Parameters
    ----------
    field : array (nsites, 3)
        ``h_i`` [eV].
    spin_operators : array (3, norbs, norbs), or three kwant.operator.Density
        See :func:`check_spin_operators`.
    """
    field = np.asarray(field, float)
    ops = np.asarray([_uniform_matrix(o) for o in spin_operators])
    blocks = np.einsum("ic,cab->iab", field, ops)
    return onsite_block_matrix(blocks).tocsr()
