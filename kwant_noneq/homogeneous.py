"""Homogeneous nonequilibrium state of an infinite system (a Kwant lead).

Right movers (group velocity along the lead's symmetry vector) are filled to
``mu_right``, left movers to ``mu_left`` (temperature ``T``): the state deep
inside a long clean conductor, Fig. 2(a) of Balram et al., PRL 123, 246803
(2019).  At energy ``E`` each band crossing ``E_n(k) = E`` contributes
``|u_nk><u_nk| / (2 pi |v_nk|)`` per unit cell and unit energy (``v`` =
dE/dk per cell), exactly the density of Kwant's unit-current modes, so this
agrees with the scattering-state density of :mod:`kwant_noneq.density`
in the middle of a long clean system.

The lead's bands are a :class:`~kwant_noneq.bloch.BlochHamiltonian`
(``bloch_hamiltonian(lead, params)``, or its alias :func:`LeadBands`); its
:meth:`~kwant_noneq.bloch.BlochHamiltonian.crossings` finds the crossings on
a k-grid and polishes them by a few Newton steps with Hellmann-Feynman
velocities, all energies at once (dense ``eigh`` of the cell Hamiltonian is
cheap; Kwant's mode solver is not).
"""
import dataclasses
import warnings

import kwant.system
import numpy as np
import scipy.optimize

from . import checks
from .checks import RegimeWarning
from .bloch import BandCrossingError, BlochHamiltonian, bloch_hamiltonian
from .density import LocalDensity
from .exchange import (check_initial_field, check_spin_operators,
                       contact_kernel, exchange_field, spin_density)
from .mixing import (ConvergenceError, FixedPoint, check_fixed_point_options,
                     solve_fixed_point)
from .occupation import K_B, bias_window, check_reservoirs
from .quadrature import gauss_kronrod_grid, integrate
from .thermal import fermi

__all__ = ["LeadBands", "homogeneous_density", "solve_homogeneous_exchange",
           "HomogeneousState", "edge_gap", "EdgeGap", "cell_potential",
           "edge_states", "check_edge_window", "check_in_edge_gap",
           "NoBandInWindow"]


def LeadBands(lead, params=None, *, allow_extra_params=()):
    """The bands of a finalized Kwant lead: an alias of
    :func:`kwant_noneq.bloch.bloch_hamiltonian` for a lead, kept for existing
    callers.

    Parameters
    ----------
    lead : kwant.system.InfiniteSystem
        A finalized lead (e.g. ``builder.finalized()`` of a builder with a
        1D ``TranslationalSymmetry``, or ``fsyst.leads[i]``).
    params : dict
    allow_extra_params : iterable of str, or True
        Keys of ``params`` deliberately unknown to the lead
        (:func:`kwant_noneq.params.check_params`).

    Returns
    -------
    kwant_noneq.bloch.BlochHamiltonian
        ``H(k) = h + t e^{-ik} + t^dagger e^{ik}`` with ``k`` per unit cell
        (Kwant's convention for leads); ``k > 0`` velocities point along the
        lead's symmetry vector.
    """
    if not isinstance(lead, kwant.system.InfiniteSystem):
        raise TypeError(f"lead must be a finalized Kwant lead "
                        f"(kwant.system.InfiniteSystem: call .finalized() "
                        f"on the builder), got {type(lead).__name__}")
    return bloch_hamiltonian(lead, params, allow_extra_params=allow_extra_params)


def cell_potential(field, spin_operators):
    """Dense ``sum_i h_i.sigma_i`` on the cell's orbitals."""
    blocks = np.einsum("ic,cab->iab", np.asarray(field, float), spin_operators)
    n, o, _ = blocks.shape
    pot = np.zeros((n * o, n * o), complex)
    for i in range(n):
        pot[i * o:(i + 1) * o, i * o:(i + 1) * o] = blocks[i]
    return pot


@dataclasses.dataclass
class HomogeneousDensity(LocalDensity):
    """:class:`LocalDensity` of one unit cell of a lead (per cell).

    ``n_crossings``: band crossings at all nodes together;
    ``max_crossings``: the most at one energy node (4 for one helical pair
    on each edge of a ribbon, more once the window reaches bulk subbands).
    """

    n_crossings: int = 0
    max_crossings: int = 0


def homogeneous_density(bands, mu_right, mu_left, temperature=0.0,
                        potential=None, n_panels=2, nk=256, boltzmann=K_B):
    """Density matrix per unit cell of the homogeneous nonequilibrium state.

    Parameters
    ----------
    bands : kwant_noneq.bloch.BlochHamiltonian
        Of a lead (:func:`~kwant_noneq.bloch.bloch_hamiltonian`).
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
    _check_bands(bands)
    mu, kT = check_reservoirs(2, [mu_right, mu_left], temperature, boltzmann)
    n_panels = checks.integer("n_panels", n_panels, minimum=1)
    nk = checks.integer("nk", nk, minimum=3)
    lower, upper, breaks = bias_window(mu, kT)
    ncell, o = len(bands.sites), bands.norbs
    if upper <= lower:
        return HomogeneousDensity(np.zeros((ncell, o, o), complex), 0.0, None,
                                  n_crossings=0)
    grid = gauss_kronrod_grid(breaks, n_panels)
    found = bands.crossings(grid.energies, potential, nk)
    node, k, band, u, v = (found.energy_index, found.k, found.band,
                           found.states, found.velocities)
    if not len(k):
        raise NoBandInWindow(
            f"no band crosses the window [{lower:.6g}, {upper:.6g}]: the bias "
            f"window lies outside every band of the lead; move mu_right, "
            f"mu_left into a band")
    E = grid.energies[node]
    occ = np.where(v > 0, fermi(E, mu[0], kT[0]), fermi(E, mu[1], kT[1]))
    w = occ / (2 * np.pi * np.abs(v))
    samples = np.zeros((len(grid), ncell, o, o), complex)
    ur = u.reshape(len(k), ncell, o)
    np.add.at(samples, node, w[:, None, None, None]
              * np.einsum("cia,cib->ciab", ur, ur.conj()))
    rho, err = integrate(grid, samples)
    return HomogeneousDensity(rho, err, grid, n_crossings=len(k),
                              max_crossings=int(np.bincount(
                                  node, minlength=len(grid)).max()))


class NoBandInWindow(ValueError):
    """No band of the lead crosses the bias window."""


def _check_bands(bands):
    if not (isinstance(bands, BlochHamiltonian) and bands.is_lead):
        raise TypeError(f"bands must be the bands of a finalized Kwant lead, "
                        f"bloch_hamiltonian(lead, params) (or LeadBands(lead, "
                        f"params)), got {type(bands).__name__}")


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
    max_crossings : int
        Most band crossings at one energy of the window (``density``'s):
        4 on a ribbon whose window holds only one helical pair per edge.
    """

    exchange_field: np.ndarray
    spin_density: np.ndarray
    density: object
    potential: np.ndarray
    converged: bool
    iterations: int
    residuals: np.ndarray

    @property
    def max_crossings(self):
        return self.density.max_crossings


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

    ``on_failure`` ('raise', 'warn', 'return') also covers a loop that
    diverges so far that the field pushes every band out of the window:
    with 'warn' or 'return' the last field whose density could be computed
    comes back with ``converged=False``.
    """
    # Every cheap check first.
    _check_bands(bands)
    check_reservoirs(2, [mu_right, mu_left], temperature)
    tol, max_iter, mixing, _ = check_fixed_point_options(
        method, tol, max_iter, mixing, on_failure=on_failure)
    n_panels = checks.integer("n_panels", n_panels, minimum=1)
    nk = checks.integer("nk", nk, minimum=3)
    if (U is None) == (kernel is None):
        raise ValueError("give exactly one of U (contact interaction) or kernel")
    if kernel is None:
        kernel = contact_kernel(bands.sites, checks.real_number("U", U, unit="eV"))
    ncell = len(bands.sites)
    if getattr(kernel, "shape", None) != (ncell, ncell):
        raise ValueError(f"kernel must be ({ncell}, {ncell}) (the cell's sites), "
                         f"got shape {getattr(kernel, 'shape', None)}")
    ops = check_spin_operators(spin_operators, bands.norbs)
    if isinstance(initial_field, HomogeneousState):
        initial_field = initial_field.exchange_field
    h0 = check_initial_field(initial_field, ncell, "site of the lead's cell")

    def density(h):
        return homogeneous_density(bands, mu_right, mu_left, temperature,
                                   cell_potential(h, ops), n_panels, nk)

    last = {"residuals": []}

    def record(iteration, x, residual):
        last["residuals"].append(residual)

    def update(h):
        try:
            rho = density(h)
        except (NoBandInWindow, BandCrossingError) as err:
            if not np.any(h):
                raise                  # the zero-field bands: not the loop's doing
            raise _FieldBrokeDensity(h, err) from err
        last["h"], last["rho"] = h, rho
        return exchange_field(spin_density(rho.density_matrix, ops), kernel)

    if self_consistent:
        try:
            fp = solve_fixed_point(update, h0, method=method, tol=tol,
                                   max_iter=max_iter, mixing=mixing,
                                   on_failure=on_failure, progress=progress,
                                   callback=record)
        except _FieldBrokeDensity as out:
            fp = _field_broke_density(out, last, method, U, mixing, on_failure)
        h, conv, it, res = fp.x, fp.converged, fp.iterations, fp.residuals
        rho = (last["rho"] if "h" in last and np.array_equal(last["h"], h)
               else density(h))
    else:
        # First order: the field of the density computed without it (or
        # with initial_field); report that density, which made the field.
        rho = density(h0)
        h = exchange_field(spin_density(rho.density_matrix, ops), kernel)
        conv, it, res = True, 1, np.zeros(0)
    return HomogeneousState(h, spin_density(rho.density_matrix, ops), rho,
                            cell_potential(h, ops), conv, it, res)


class _FieldBrokeDensity(Exception):
    def __init__(self, field, error):
        super().__init__()
        self.field, self.error = field, error


def _field_broke_density(out, last, method, U, mixing, on_failure):
    """The loop's field made the density incomputable: it moved every band
    out of the window, or tore the bands into near-degeneracies."""
    size = float(np.max(np.abs(out.field)))
    what = f"U = {U} eV" if U is not None else "the kernel"
    if isinstance(out.error, NoBandInWindow):
        effect = ("pushed every band out of the bias window, so the window "
                  "itself is not the problem")
    else:
        effect = f"made the band crossings ill-defined ({out.error})"
    msg = (f"self-consistent loop ({method}) diverged: the exchange field "
           f"(max |h| = {size:.3g} eV, iteration {len(last['residuals']) + 1}) "
           f"{effect}; the interaction ({what}) is too strong for this mixing "
           f"({mixing}): use a smaller U, a smaller mixing, or warm-start "
           f"from a solution at smaller U")
    if "h" not in last:
        raise ConvergenceError(msg, None)
    residuals = np.array(last["residuals"])
    result = FixedPoint(last["h"], False, len(residuals), residuals, method)
    if on_failure == "raise":
        raise ConvergenceError(msg, result)
    if on_failure == "warn":
        warnings.warn(msg, RuntimeWarning, stacklevel=3)
    return result


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


def check_edge_window(state, helical_pairs=2, *, stacklevel=2):
    """Warn (:class:`~kwant_noneq.checks.RegimeWarning`) unless the window
    of ``state`` (a HomogeneousState or HomogeneousDensity) crosses at most
    ``2 helical_pairs`` bands at every energy: one right and one left mover
    per helical pair.  Returns the largest number of crossings at one
    energy."""
    density = getattr(state, "density", state)
    most = int(getattr(density, "max_crossings", 0))
    if most > 2 * helical_pairs:
        warnings.warn(
            f"the bias window crosses {most} bands at one energy, not the "
            f"{2 * helical_pairs} of {helical_pairs} helical pair(s): the "
            f"chemical potentials reach the bulk subbands, so the exchange "
            f"field includes their spin density and the gap is not the "
            f"edge-only gap of Eq. (4); move mu_right, mu_left into the bulk "
            f"gap", RegimeWarning, stacklevel=stacklevel + 1)
    return most


def check_in_edge_gap(bands, energy, potential=None, helical_pairs=2, nk=64):
    """``ValueError`` unless at most the ``2 helical_pairs`` edge bands cross
    ``energy`` (a coarse k-grid count: cheap, no Newton polishing)."""
    count = bands.crossing_count(energy, potential, nk)
    if count > 2 * helical_pairs:
        raise ValueError(f"energy {energy:.6g} eV is not inside the bulk gap: "
                         f"{count} bands cross it, not the {2 * helical_pairs} "
                         f"edge bands; give an energy between the bulk bands "
                         f"(the Dirac point)")


def _edge_mask(bands, mask):
    mask = np.asarray(mask)
    if mask.shape != (len(bands.sites),) or mask.dtype.kind not in "biuf":
        raise ValueError(f"mask must be one boolean per cell site "
                         f"({len(bands.sites)},), got shape {mask.shape} "
                         f"(dtype {mask.dtype})")
    return np.repeat(mask.astype(float), bands.norbs)


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
    H = bands(np.asarray(k, float)[..., None], potential)
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
             k_tol=1e-10, *, state=None, helical_pairs=2):
    """Direct gap of the edge selected by ``mask`` near ``energy``.

    Parameters
    ----------
    bands : kwant_noneq.bloch.BlochHamiltonian
        Of a lead (:func:`~kwant_noneq.bloch.bloch_hamiltonian`).
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
    state : HomogeneousState, optional
        Instead of ``potential``: the state whose field opens the gap.  Its
        window is then checked to be edge-only.
    helical_pairs : int
        Helical pairs in an edge-only window (2 for a ribbon: one per edge).

    Warns
    -----
    RegimeWarning
        When ``state``'s window crosses more than the ``2 helical_pairs``
        bands of the edges at some energy (the chemical potentials reach the
        bulk subbands): the field then holds the bulk subbands' spin
        density, and the gap is not the edge-only gap of Eq. (4).  A warning,
        not an error: the result is the lattice model's mean-field gap at
        that filling, which a scan across the bulk band edge may want.
    """
    _check_bands(bands)
    mask_orbs = _edge_mask(bands, mask)
    energy = checks.real_number("energy", energy, unit="eV")
    k_window = checks.real_number("k_window", k_window, positive=True)
    nk = checks.integer("nk", nk, minimum=2)
    k_tol = checks.real_number("k_tol", k_tol, positive=True)
    if state is not None:
        if potential is not None:
            raise ValueError("give potential or state, not both")
        potential = state.potential
        check_edge_window(state, helical_pairs, stacklevel=3)
    bands.check_potential(potential)
    check_in_edge_gap(bands, energy, potential, helical_pairs)

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
