"""One edge of a 2D topological-insulator ribbon, from the lead's bands.

Model-agnostic: works on the bands of any Kwant lead (a
:class:`~kwant_noneq.bloch.BlochHamiltonian`, ``bloch_hamiltonian(lead,
params)``) with a boolean mask selecting the sites of one edge.  Provides

* :func:`edge_parameters`: the edge's velocity ``v``, spin-rotation rate
  ``lambda`` and the part of the spin rotation linear in energy, fitted from
  the spin direction ``theta(E)`` of the edge's right mover.  For Eq. (1) of
  Balram et al. (PRL 123, 246803), ``tan theta = lambda k^2 / v =
  lambda E^2 / v^3``; generic models add ``c_1 E`` (docs/architecture.md, section 6.1).
* :func:`dirac_pair` and :func:`projected_field`: the exchange potential
  projected on the edge's Kramers pair at the Dirac point, in the basis of
  right/left movers.  Its off-diagonal part ``b_perp`` opens the gap
  ``2 |b_perp|``, its diagonal part shifts the Dirac point: the generalised
  Eq. (4), with the site-resolved spin texture of the edge state.  For Eq. (1)
  it reduces to ``2 |g <s_x>|``.
* :func:`edge_coupling`: ``g_1D = U * period * sum_i P_i^2`` for a contact
  interaction ``U`` (docs/architecture.md, section 6.2).
"""
import dataclasses

import numpy as np

from . import checks
from .bloch import BlochHamiltonian
from .homogeneous import check_in_edge_gap, edge_states

__all__ = ["EdgeParameters", "edge_parameters", "dirac_pair", "projected_field",
           "edge_coupling", "generalized_gap"]


def _mask_orbs(bands, mask):
    if not (isinstance(bands, BlochHamiltonian) and bands.is_lead):
        raise TypeError(f"bands must be the bands of a finalized Kwant lead, "
                        f"bloch_hamiltonian(lead, params) (or LeadBands(lead, "
                        f"params)), got {type(bands).__name__}")
    mask = np.asarray(mask)
    if mask.dtype.kind not in "biuf":
        raise TypeError(f"mask must be booleans, one per cell site, got dtype "
                        f"{mask.dtype}")
    mask = mask.astype(bool)
    if mask.shape != (len(bands.sites),):
        raise ValueError(f"mask must have one entry per cell site "
                         f"({len(bands.sites)}), got shape {mask.shape}")
    return np.repeat(mask.astype(float), bands.norbs)


def dirac_pair(bands, mask, energy=0.0, k=0.0):
    """Kramers pair of the edge at its Dirac point, as (right, left) movers.

    Parameters
    ----------
    bands : BlochHamiltonian of a lead (zero exchange field)
    mask : bool array over the cell sites of the edge
    energy : float
        Guess of the Dirac energy inside the bulk gap [eV].
    k : float
        Dirac momentum (per cell; 0 for a time-reversal-invariant edge).

    Returns
    -------
    dirac_energy : float
    states : ndarray (norb_cell, 2), columns (right mover, left mover),
        orthonormal, diagonalising the velocity operator.
    velocities : ndarray (2,), dE/dk per cell.
    """
    m = _mask_orbs(bands, mask)
    energy = checks.real_number("energy", energy, unit="eV")
    k = checks.real_number("k", k)
    check_in_edge_gap(bands, energy)
    e, states = edge_states(bands, k, energy, m)
    vop = bands.derivative(np.asarray(k, float)[..., None])[0]
    v, rot = np.linalg.eigh(states.conj().T @ vop @ states)
    states = states @ rot[:, ::-1]            # right mover (v > 0) first
    return float(e.mean()), states, v[::-1]


def projected_field(pair_states, potential):
    """``<a|V|b>`` for the (right, left) Dirac pair: 2x2 Hermitian [eV]."""
    return pair_states.conj().T @ potential @ pair_states


def generalized_gap(pair_states, potential):
    """Gap opened by ``potential`` at the edge's Dirac point, to first order:
    ``2 |<R|V|L>|`` [eV] (the generalised Eq. 4)."""
    return 2 * abs(projected_field(pair_states, potential)[0, 1])


def edge_coupling(bands, pair_states, U):
    """``g_1D = U * period * sum_i P_i^2`` [energy x length] for a contact
    interaction ``U``, with ``P_i`` the site weight of the Dirac-point state
    (normalised over the cell)."""
    U = checks.real_number("U", U, unit="eV")
    P = (np.abs(pair_states[:, 0]) ** 2).reshape(len(bands.sites), bands.norbs).sum(1)
    return U * bands.period * np.sum(P**2)


@dataclasses.dataclass
class EdgeParameters:
    """Low-energy parameters of one helical edge (hbar = 1).

    Attributes
    ----------
    velocity : float
        ``hbar v`` [eV nm] of the right mover at the Dirac point.
    spin_rotation_rate : float
        ``lambda`` [eV nm^3] from ``theta(E) ~ lambda (E - E_D)^2 / v^3``.
    linear_rotation : float
        ``c_1`` [1/eV], the part of ``theta`` linear in ``E - E_D`` (zero for
        Eq. 1; nonzero for generic models).
    dirac_energy : float
        [eV].
    helicity : int
        Sign of the right mover's spin along the Dirac-point spin axis of
        the Hamiltonian's ``sigma_z`` (+1: right movers spin up).
    energies, theta : ndarray
        The fitted data.
    """

    velocity: float
    spin_rotation_rate: float
    linear_rotation: float
    dirac_energy: float
    helicity: int
    energies: np.ndarray
    theta: np.ndarray


def _spin_vector(bands, psi, spin_operators, mask):
    psi = psi.reshape(len(bands.sites), bands.norbs)[np.asarray(mask, bool)]
    return np.einsum("ia,cab,ib->c", psi.conj(), spin_operators, psi).real


def edge_parameters(bands, mask, spin_operators, energy=0.0, window=0.1, n=21):
    """Fit ``v``, ``lambda`` and the linear spin rotation of one edge.

    Parameters
    ----------
    bands : BlochHamiltonian of a lead (no exchange field)
    mask : bool array over the cell sites of the edge
    spin_operators : (3, norbs, norbs) Pauli matrices in the site basis
    energy : float
        Guess of the Dirac energy [eV].
    window : float
        Fit ``|E - E_D| <= window`` [eV]; small enough that
        ``lambda E^2 / v^3 << 1`` and the lattice dispersion is linear.
    n : int
        Number of energies in the fit.
    """
    m = _mask_orbs(bands, mask)
    energy = checks.real_number("energy", energy, unit="eV")
    window = checks.real_number("window", window, unit="eV", positive=True)
    n = checks.integer("n", n, minimum=5, remedy="the cubic fit of theta(E) "
                       "needs at least 4 energies besides E_D")
    E_D, pair, vel = dirac_pair(bands, mask, energy)
    v = vel[0] * bands.period
    s_D = _spin_vector(bands, pair[:, 0], spin_operators, mask)
    helicity = int(np.sign(s_D[2])) if abs(s_D[2]) > 1e-8 else 0
    s_D = s_D / np.linalg.norm(s_D)
    energies = E_D + np.linspace(-window, window, n)
    energies = energies[np.abs(energies - E_D) > 1e-3 * window]
    found = bands.crossings(energies, None, nk=256)
    node, k, vv = found.energy_index, found.k, found.velocities
    counts = np.bincount(node, minlength=len(energies))
    if counts.max() > 4:
        j = int(np.argmax(counts))
        raise ValueError(
            f"the fit window reaches bulk subbands: {counts[j]} bands cross "
            f"E = {energies[j]:.4g} eV, not the 4 of one helical pair per "
            f"edge; use a smaller window (now {window} eV around E_D = "
            f"{E_D:.4g} eV), inside the bulk gap")
    spins = []
    for j, E in enumerate(energies):
        right = (node == j) & (vv > 0)
        if not np.any(right):
            raise ValueError(f"no right mover at E = {E:.4g}: the window "
                             "reaches outside the edge band")
        kk = k[right].mean()
        # The edge's eigenstate at energy E (its partner at this k is the
        # left mover at another energy; mixing them, e.g. by diagonalising
        # the velocity, would tilt the spin by 3 lambda k^2 / v instead).
        he, states = edge_states(bands, kk, E, m)
        psi = states[:, np.argmin(np.abs(he - E))]
        spins.append(_spin_vector(bands, psi, spin_operators, mask))
    spins = np.array(spins)
    along = spins @ s_D
    perp = spins - along[:, None] * s_D
    ref = perp[np.argmax(energies)]
    e2 = ref / np.linalg.norm(ref)
    theta = np.arctan2(perp @ e2, along)
    x = energies - E_D
    c3, c2, c1, c0 = np.polyfit(x, theta, 3)
    return EdgeParameters(float(v), float(c2 * abs(v) ** 3), float(c1),
                          E_D, helicity, energies, theta)
