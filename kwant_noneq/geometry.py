"""Band geometry of a Bloch Hamiltonian: Berry curvature, BCP, SBP, spin.

All quantities are gauge invariant and work for any number of bands.
Degenerate bands (e.g. Kramers pairs of a PT-symmetric magnet) are handled
by summing over the degenerate subspace: the per-band value returned for a
member of a degenerate group is the group's trace divided by its size, so a
sum over bands with occupations that are equal within the group (they are,
since the energies are equal) gives the subspace trace.

Definitions (Tan, Matsyshyn, Vignale, Song, "Nonequilibrium exchange
nonlinear Hall effect", seed paper 001)::

    r^a_nm      = i <n|d_a m> = -i v^a_nm / (e_n - e_m)        (n, m not deg.)
    Omega^ab_n  = -2 Im sum_m r^a_nm r^b_mn                  Berry curvature
    G^ab_n      = 2 Re sum_m r^a_nm r^b_mn / (e_n - e_m)     BCP, after Eq. 5
    S^{eta a}_n = 2 Re sum_m s^eta_nm r^a_mn / (e_n - e_m)   SBP, Eq. (5)

with ``v^a = dH/dk_a`` and sums over m outside the degenerate subspace of
n.  ``Omega^xy`` is the usual z-component (Omega = curl A, A = i<n|grad n>).

Units (energies eV, k in 1/nm): Omega nm^2, G nm^2/eV, S nm/eV, velocity
``dE/dk`` eV nm.
"""
import dataclasses

import numpy as np

__all__ = ["BandGeometry", "band_geometry", "geometry_from_eigensystem"]


@dataclasses.dataclass
class BandGeometry:
    """Band-resolved geometry at a set of k-points (leading axes ``...``).

    Attributes
    ----------
    energies : (..., n) eV
    velocity : (..., dim, n)
        Band velocity ``d e_n / d k_a`` (eV nm; divide by hbar for nm/ps).
    berry_curvature : (..., dim, dim, n)
        ``Omega^ab_n`` (nm^2), antisymmetric in a, b.
    bcp : (..., dim, dim, n)
        Berry connection polarizability ``G^ab_n`` (nm^2/eV), symmetric.
    sbp : (..., nspin, dim, n)
        Spin-Berry polarizability ``S^{eta a}_n`` (nm/eV), Eq. (5).
    spin : (..., nspin, n)
        Diagonal spin ``s^eta_nn`` (subspace-averaged for degenerate bands).
    spin_matrix : (..., nspin, n, n)
        ``s^eta_nm`` in the eigenbasis (gauge dependent; ``|s_nm|^2`` is not).
    degenerate : (..., n, n) bool
        Which bands are degenerate with which (within ``degeneracy_tol``).
    """

    energies: np.ndarray
    velocity: np.ndarray
    berry_curvature: np.ndarray
    bcp: np.ndarray
    sbp: np.ndarray
    spin: np.ndarray
    spin_matrix: np.ndarray
    degenerate: np.ndarray


def band_geometry(H, k, spin=None, degeneracy_tol=1e-9):
    """Geometry of all bands of ``H`` at k-points ``k`` (..., dim).

    Parameters
    ----------
    H : kwant_noneq.bloch.BlochHamiltonian
    k : array (..., dim), 1/nm
    spin : array (nspin, n, n), optional
        Spin operators (e.g. Pauli matrices acting on the spin index).
        Default: none (``sbp``, ``spin`` have nspin = 0).
    degeneracy_tol : float
        Energies closer than this (eV) are treated as degenerate.
    """
    k = np.asarray(k, dtype=float)
    energies, vectors = np.linalg.eigh(H(k))
    dH = H.derivative(k)
    return geometry_from_eigensystem(energies, vectors, dH, spin,
                                     degeneracy_tol)


def geometry_from_eigensystem(energies, vectors, dH, spin=None,
                              degeneracy_tol=1e-9):
    """Same as :func:`band_geometry` from eigenpairs and ``dH/dk``.

    ``vectors[..., :, m]`` is eigenvector m, in any gauge (any phase, any
    unitary rotation inside a degenerate subspace): the outputs do not
    depend on it.  ``dH`` has shape (..., dim, n, n).
    """
    n = energies.shape[-1]
    if spin is None:
        spin = np.zeros((0, n, n), dtype=complex)
    spin = np.asarray(spin)
    if spin.ndim == 2:
        spin = spin[None]
    if spin.shape[-2:] != (n, n):
        raise ValueError(f"spin operators must be (nspin, {n}, {n}), "
                         f"got {spin.shape}")
    vh = np.conj(np.swapaxes(vectors, -1, -2))
    v = vh[..., None, :, :] @ dH @ vectors[..., None, :, :]
    s = vh[..., None, :, :] @ spin @ vectors[..., None, :, :]

    gap = energies[..., :, None] - energies[..., None, :]       # e_n - e_m
    deg = np.abs(gap) <= degeneracy_tol
    inv = np.where(deg, 0.0, 1.0 / np.where(deg, 1.0, gap))
    r = -1j * v * inv[..., None, :, :]                         # r^a_nm

    # sum_m r^a_nm r^b_mn (m outside the subspace of n, since r = 0 inside)
    r_inv = r * inv[..., None, :, :]                            # r^a_nm/e_nm
    rr = np.einsum("...anm,...bmn->...abn", r, r)
    rr_inv = np.einsum("...anm,...bmn->...abn", r_inv, r)
    # s_nm r_mn / e_nm = s_nm * (r_mn / e_nm) with r_mn/e_nm = -(r_inv)_mn
    sr_inv = -np.einsum("...enm,...amn->...ean", s, r_inv)
    curvature = -2 * rr.imag
    bcp = 2 * rr_inv.real
    sbp = 2 * sr_inv.real
    velocity = np.einsum("...ann->...an", v).real
    spin_diag = np.einsum("...enn->...en", s).real

    # Degenerate subspaces: replace each band's value by the subspace mean.
    weight = deg / deg.sum(axis=-1, keepdims=True)              # (..., n, n)

    def average(q):
        extra = q.ndim - energies.ndim
        w = weight.reshape(weight.shape[:-2] + (1,) * extra
                           + weight.shape[-2:])
        return (w @ q[..., None])[..., 0]

    return BandGeometry(
        energies=energies,
        velocity=average(velocity),
        berry_curvature=average(curvature),
        bcp=average(bcp),
        sbp=average(sbp),
        spin=average(spin_diag),
        spin_matrix=s,
        degenerate=deg,
    )
