"""Homogeneous nonequilibrium state of an infinite system (a Kwant lead).

Right movers (group velocity along the lead's symmetry vector) are filled to
``mu_right``, left movers to ``mu_left`` (temperature ``T``): the state deep
inside a long clean conductor, Fig. 2(a) of Balram et al., PRL 123, 246803
(2019).  At energy ``E`` each band crossing ``E_n(k) = E`` contributes
``|u_nk><u_nk| / (2 pi |v_nk|)`` per unit cell and unit energy (``v`` =
dE/dk per cell), exactly the density of Kwant's unit-current modes, so this
agrees with the scattering-state density of :mod:`kwant_noneq.density`
in the middle of a long clean system.

Crossings are found on a k-grid and polished by a few Newton steps with
Hellmann-Feynman velocities, all energies at once (dense ``eigh`` of the cell
Hamiltonian is cheap; Kwant's mode solver is not).
"""
import dataclasses

import numpy as np
import scipy.optimize

from .density import LocalDensity
from .exchange import (check_spin_operators, contact_kernel, exchange_field,
                       spin_density)
from .mixing import solve_fixed_point
from .occupation import K_B, bias_window, check_reservoirs, fermi
from .quadrature import gauss_kronrod_grid, integrate

__all__ = ["LeadBands", "homogeneous_density", "solve_homogeneous_exchange",
           "HomogeneousState", "edge_gap", "EdgeGap", "cell_potential",
           "edge_states"]


class LeadBands:
    """Bloch Hamiltonian of a finalized Kwant lead, with a cell potential.

    ``H(k) = h + t e^{-ik} + t^dagger e^{ik}`` (Kwant's convention, ``k`` per
    unit cell, as in :class:`kwant.physics.Bands`).  ``k > 0`` velocities
    point along the lead's symmetry vector.

    Parameters
    ----------
    lead : kwant.system.InfiniteSystem
    params : dict
    """

    def __init__(self, lead, params=None):
        self.h = np.asarray(lead.cell_hamiltonian(params=params), complex)
        hop = np.asarray(lead.inter_cell_hopping(params=params), complex)
        n = self.h.shape[0]
        self.t = np.zeros((n, n), complex)
        self.t[:, :hop.shape[1]] = hop
        self.sites = lead.sites[:lead.cell_size]
        norbs = {s.family.norbs for s in self.sites}
        if None in norbs or len(norbs) != 1:
            raise ValueError("every site of the lead needs the same, declared norbs")
        self.norbs = norbs.pop()
        self.period = float(np.linalg.norm(np.asarray(lead.symmetry.periods)[0]))
        self.size = n

    def hamiltonian(self, k, potential=None):
        """``H(k)`` for an array of ``k`` (per cell), shape ``k.shape + (n, n)``."""
        k = np.asarray(k, float)[..., None, None]
        th = self.t * np.exp(-1j * k)
        H = self.h + th + np.swapaxes(th.conj(), -1, -2)
        return H if potential is None else H + potential

    def velocity_operator(self, k):
        k = np.asarray(k, float)[..., None, None]
        th = -1j * self.t * np.exp(-1j * k)
        return th + np.swapaxes(th.conj(), -1, -2)

    def eigh(self, k, potential=None):
        return np.linalg.eigh(self.hamiltonian(k, potential))


def cell_potential(field, spin_operators):
    """Dense ``sum_i h_i . sigma_i`` on the cell's orbitals."""
    blocks = np.einsum("ic,cab->iab", np.asarray(field, float), spin_operators)
    n, o, _ = blocks.shape
    pot = np.zeros((n * o, n * o), complex)
    for i in range(n):
        pot[i * o:(i + 1) * o, i * o:(i + 1) * o] = blocks[i]
    return pot


def _crossings(bands, energies, potential, nk, newton_steps=4):
    """All ``(node, k, band)`` with ``E_band(k) = energies[node]``."""
    kk = np.linspace(-np.pi, np.pi, nk, endpoint=False)
    Ek = np.linalg.eigvalsh(bands.hamiltonian(kk, potential))        # (nk, n)
    Ek_next = np.roll(Ek, -1, axis=0)
    found_node, found_k, found_band = [], [], []
    for node, E in enumerate(energies):
        a, b = Ek - E, Ek_next - E
        j, n = np.nonzero((a < 0) != (b < 0))
        t = a[j, n] / (a[j, n] - b[j, n])
        found_node.append(np.full(len(j), node))
        found_k.append(kk[j] + t * (2 * np.pi / nk))
        found_band.append(n)
    node = np.concatenate(found_node)
    k = np.concatenate(found_k)
    band = np.concatenate(found_band)
    if not len(k):
        return node, k, band, None, None, None
    target = energies[node]
    idx = np.arange(len(k))
    for _ in range(newton_steps):
        e, u = bands.eigh(k, potential)
        ub = u[idx, :, band]
        v = np.einsum("ia,iab,ib->i", ub.conj(), bands.velocity_operator(k), ub).real
        k = k - (e[idx, band] - target) / v
    e, u = bands.eigh(k, potential)
    ub = u[idx, :, band]
    v = np.einsum("ia,iab,ib->i", ub.conj(), bands.velocity_operator(k), ub).real
    miss = np.max(np.abs(e[idx, band] - target), initial=0.0)
    if miss > 1e-9 * max(1.0, np.max(np.abs(bands.h))):
        raise RuntimeError(f"band crossings did not converge (|E - E_node| = "
                           f"{miss:.2e}); increase nk")
    return node, k, band, ub, v, e


@dataclasses.dataclass
class HomogeneousDensity(LocalDensity):
    """:class:`LocalDensity` of one unit cell of a lead (per cell)."""

    n_crossings: int = 0


def homogeneous_density(bands, mu_right, mu_left, temperature=0.0,
                        potential=None, n_panels=2, nk=256, boltzmann=K_B):
    """Density matrix per unit cell of the homogeneous nonequilibrium state.

    Parameters
    ----------
    bands : LeadBands
    mu_right, mu_left : float
        Chemical potentials of right and left movers [eV].
    temperature : float
        [K], >= 0.
    potential : ndarray (n, n), optional
        Added to the cell Hamiltonian (e.g. :func:`cell_potential`).
    n_panels : int
        Gauss-Kronrod panels over the window.
    nk : int
        k-grid used to bracket the crossings (per Brillouin zone).

    Returns
    -------
    HomogeneousDensity over the cell's sites, counted above the lower end of
    the window (zero at ``mu_right == mu_left``, T = 0).
    """
    mu, kT = check_reservoirs(2, [mu_right, mu_left], temperature, boltzmann)
    lower, upper, breaks = bias_window(mu, kT)
    ncell, o = len(bands.sites), bands.norbs
    if upper <= lower:
        return HomogeneousDensity(np.zeros((ncell, o, o), complex), 0.0, None, 0)
    grid = gauss_kronrod_grid(breaks, n_panels)
    node, k, band, u, v, _ = _crossings(bands, grid.energies, potential, nk)
    if not len(k):
        raise ValueError(f"no band crosses the window [{lower:.6g}, {upper:.6g}]: "
                         "the bias window lies outside every band of the lead")
    E = grid.energies[node]
    occ = np.where(v > 0, fermi(E, mu[0], kT[0]), fermi(E, mu[1], kT[1]))
    w = occ / (2 * np.pi * np.abs(v))
    samples = np.zeros((len(grid), ncell, o, o), complex)
    ur = u.reshape(len(k), ncell, o)
    np.add.at(samples, node, w[:, None, None, None]
              * np.einsum("cia,cib->ciab", ur, ur.conj()))
    rho, err = integrate(grid, samples)
    return HomogeneousDensity(rho, err, grid, len(k))


@dataclasses.dataclass
class HomogeneousState:
    """Self-consistent homogeneous state of a lead.

    Attributes
    ----------
    exchange_field : ndarray (ncell, 3)
        [eV] on the cell's sites.
    spin_density : ndarray (ncell, 3)
        ``<sigma>/2`` per site (per cell): the density whose exchange field
        is ``exchange_field`` (self-consistent, or for first order the
        density without the field).
    density : HomogeneousDensity
    potential : ndarray
        The cell potential ``sum h . sigma`` (feed to :func:`edge_gap`).
    converged, iterations, residuals : as in :class:`~kwant_noneq.mixing.FixedPoint`
    """

    exchange_field: np.ndarray
    spin_density: np.ndarray
    density: object
    potential: np.ndarray
    converged: bool
    iterations: int
    residuals: np.ndarray


def solve_homogeneous_exchange(bands, spin_operators, mu_right, mu_left,
                               temperature=0.0, *, U=None, kernel=None,
                               initial_field=None, self_consistent=True,
                               method="anderson", tol=1e-12, max_iter=60,
                               mixing=0.7, n_panels=2, nk=256, progress=False,
                               on_failure="raise"):
    """Exchange field on a lead's unit cell in the homogeneous state.

    ``self_consistent=False`` gives the first-order field: the exchange of
    the spin density computed without any field (the paper's Eq. 2-4 level).
    ``kernel`` acts within the cell (a contact interaction by default, from
    ``U`` [eV]); see :func:`~kwant_noneq.scf.solve_exchange` for the others.
    """
    if (U is None) == (kernel is None):
        raise ValueError("give exactly one of U (contact interaction) or kernel")
    if kernel is None:
        kernel = contact_kernel(bands.sites, U)
    ops = check_spin_operators(spin_operators, bands.norbs)
    h0 = (np.zeros((len(bands.sites), 3)) if initial_field is None
          else np.asarray(initial_field, float))

    def density(h):
        return homogeneous_density(bands, mu_right, mu_left, temperature,
                                   cell_potential(h, ops), n_panels, nk)

    def update(h):
        return exchange_field(spin_density(density(h).density_matrix, ops), kernel)

    if self_consistent:
        fp = solve_fixed_point(update, h0, method=method, tol=tol,
                               max_iter=max_iter, mixing=mixing,
                               on_failure=on_failure, progress=progress)
        h, conv, it, res = fp.x, fp.converged, fp.iterations, fp.residuals
        rho = density(h)
    else:
        # First order: the field of the density computed without it (or
        # with initial_field); report that density, which made the field.
        rho = density(h0)
        h = exchange_field(spin_density(rho.density_matrix, ops), kernel)
        conv, it, res = True, 1, np.zeros(0)
    return HomogeneousState(h, spin_density(rho.density_matrix, ops), rho,
                            cell_potential(h, ops), conv, it, res)


@dataclasses.dataclass
class EdgeGap:
    """Direct gap between the two states of one edge nearest an energy.

    Attributes
    ----------
    gap : float
        ``min_k |E_+(k) - E_-(k)|`` [eV].
    k : float
        Where the minimum is (per unit cell).
    center : float
        ``(E_+ + E_-)/2`` there [eV].
    """

    gap: float
    k: float
    center: float


def edge_states(bands, k, energy, mask_orbs, potential=None, n=2):
    """The ``n`` states of one edge nearest ``energy`` at momentum ``k``.

    A ribbon has two edges: the ``2 n`` eigenstates nearest ``energy`` span
    both edges' states (which hybridise weakly and, at degeneracies, are
    arbitrarily mixed by ``eigh``).  Diagonalising the edge weight
    ``mask_orbs`` in that span selects this edge's ``n`` states, and ``H``
    is re-diagonalised within them; the energies are exact up to the
    inter-edge coupling (the finite-width error of the edge picture).
    Returns ``(energies, vectors)`` sorted by energy.
    """
    H = bands.hamiltonian(np.asarray(k, float), potential)
    e, u = np.linalg.eigh(H)
    near = u[:, np.argsort(np.abs(e - energy))[:2 * n]]
    w, rot = np.linalg.eigh(near.conj().T @ (mask_orbs[:, None] * near))
    if not (w[n - 1] < 0.5 < w[n]):
        raise ValueError("the states near the energy are not split evenly "
                         "between the masked edge and the other: is the mask "
                         "one edge, and the energy inside the bulk gap?")
    edge = near @ rot[:, n:]
    he, hv = np.linalg.eigh(edge.conj().T @ H @ edge)
    return he, edge @ hv


def edge_gap(bands, mask, energy, k_window=0.2, potential=None, nk=81,
             k_tol=1e-10):
    """Direct gap of the edge selected by ``mask`` near ``energy``.

    Parameters
    ----------
    bands : LeadBands
    mask : bool array over the cell's sites
        The edge's sites (e.g. the lower half of a ribbon).
    energy : float
        Reference energy inside the bulk gap (the Dirac point) [eV].
    k_window : float
        Search ``|k| <= k_window`` (per cell) around k = 0.
    potential : ndarray, optional
        Cell potential (e.g. ``HomogeneousState.potential``).
    k_tol : float
        Resolution of the minimum in k (per cell): an exact crossing reads
        as a gap of at most ``2 |v| k_tol`` (v = dE/dk per cell).
    """
    mask_orbs = np.repeat(np.asarray(mask, float), bands.norbs)

    def gap_at(k):
        pair = edge_states(bands, k, energy, mask_orbs, potential)[0]
        return pair[1] - pair[0]

    ks = np.linspace(-k_window, k_window, nk)
    gaps = np.array([gap_at(k) for k in ks])
    j = int(np.argmin(gaps))
    lo, hi = ks[max(j - 1, 0)], ks[min(j + 1, nk - 1)]
    res = scipy.optimize.minimize_scalar(gap_at, bounds=(lo, hi), method="bounded",
                                         options=dict(xatol=k_tol))
    k_min = res.x if res.fun <= gaps[j] else ks[j]
    pair = edge_states(bands, k_min, energy, mask_orbs, potential)[0]
    return EdgeGap(float(pair[1] - pair[0]), float(k_min), float(pair.mean()))
