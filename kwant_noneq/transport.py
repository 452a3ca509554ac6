"""Nonlinear transport of a self-consistent mean-field system.

* :func:`landauer_current`: the current between two leads at bias, from the
  Landauer formula over the bias window (finite temperature), for a given
  potential added to the scattering region (e.g. a self-consistent exchange
  field), on the same per-node linear systems as the densities
  (:class:`~kwant_noneq.scattering.ScatteringStates`).
* :func:`iv_sweep`: an I-V curve whose mean-field Hamiltonian is
  self-consistent at every bias (:func:`~kwant_noneq.scf.solve_exchange`),
  each bias warm-started from the previous solution; the differential
  conductance.
* :func:`born_backscattering`: the disorder-averaged backscattering of a
  lead's modes per unit length, to leading order in uncorrelated onsite
  scalar disorder (first Born approximation with the exact lattice Bloch
  states), the lattice counterpart of Eq. (5) of Balram et al.,
  PRL 123, 246803 (2019).
* :func:`kwant_noneq.analytic.backscattering_rate_eq5_shifted`: Eq. (5) with the Dirac-point shift
  included (see its docstring: the printed Eq. 5 keeps only ``<s_x>``).

Units: energies in the Hamiltonian's unit (eV for :mod:`systems`), lengths in
the unit of the site positions (nm), ``hbar = 1``.  Currents are returned as
``I h / e`` [eV]: a current ``x`` eV is ``I = (e^2/h) x / e``, i.e.
``x * 3.874e-5`` A per eV; a ballistic channel carries ``x = e V``.

Bias convention (Fig. 2b of the paper): lead ``source`` (default 0, on the
left, feeding right movers) at ``mu0 - eV/2``, lead ``drain`` (default 1) at
``mu0 + eV/2``; the current is the particle current from ``drain`` into
``source``, positive for ``V > 0``, equal to ``dmu = mu_l - mu_r`` in a
ballistic helical channel (the paper's ``I = (e/h) dmu``).
"""
import dataclasses

import numpy as np

from .bandedges import with_band_edges
from .occupation import K_B, bias_window, check_reservoirs, fermi
from .quadrature import EnergyGrid, gauss_kronrod_grid, integrate
from . import checks
from .params import allow_extra_params as allow_extra, check_params
from .scattering import ScatteringStates, uniform_norbs

__all__ = ["transmission_matrix", "LandauerCurrent", "landauer_current",
           "CurrentSolver", "BiasPoint", "IVCurve", "iv_sweep",
           "differential_conductance", "Backscattering", "born_backscattering"]


def transmission_matrix(smatrix):
    """``T[i, j]``: total transmission probability from lead ``j`` to lead
    ``i`` (``i == j``: reflection, summed over modes)."""
    n = len(smatrix.lead_info)
    T = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            block = smatrix.submatrix(i, j)
            T[i, j] = np.sum(np.abs(block) ** 2)
    return T


@dataclasses.dataclass
class LandauerCurrent:
    """Landauer current at one bias.

    Attributes
    ----------
    current : float
        ``I h / e`` [eV] from ``drain`` into ``source`` (module docstring).
    error : float
        Quadrature error estimate [eV].
    energies : ndarray
        Energy nodes [eV].
    transmission : ndarray
        ``T_{source <- drain}(E)`` at the nodes.
    reflection : ndarray
        Total reflection ``R_source(E) = sum |r|^2`` of the source's modes
        (computed from the reflection block, not as ``N - T``, so that a tiny
        backscattering is not lost to cancellation).
    deficit : float
        ``int dE (f_drain - f_source) R_source(E)`` [eV]: the current missing
        from the ballistic ``N_modes x (f_drain - f_source)`` when only the
        two leads exist.
    """

    current: float
    error: float
    energies: np.ndarray
    transmission: np.ndarray
    reflection: np.ndarray
    deficit: float


class CurrentSolver:
    """Landauer current of ``syst`` at one bias for many added potentials.

    Lead modes are computed once per node of a Gauss-Kronrod grid over the
    bias window; each call factorises once per node.

    Parameters
    ----------
    syst : kwant.system.FiniteSystem
    chemical_potentials : sequence of float
        One per lead [eV].
    temperatures : float or sequence of float
        [K].
    params : dict
    source, drain : int
        The two leads between which the current is computed.
    n_panels : int
        Gauss-Kronrod panels per piece of the window (15 nodes each).
    states : ScatteringStates, optional
        Solve on these nodes (their lead modes, factorisations and cached
        solutions), e.g. those of the self-consistent density at the same
        bias (:attr:`SelfConsistentState.states
        <kwant_noneq.scf.SelfConsistentState.states>`): the current then
        costs no new solve.  Their energies must be this grid's.
    lead_modes : LeadModes, optional
        Lead modes shared with other systems with the same leads.
    allow_extra_params : iterable of str, or True
        Keys of ``params`` deliberately unknown to ``syst``
        (:func:`kwant_noneq.params.check_params`).
    band_edges : bool
        Breakpoints, with the momentum substitution, at the leads' band
        edges inside the window (:func:`~kwant_noneq.bandedges.lead_band_edges`,
        docs/energy_grids.md): where a mode opens the transmission
        has a square-root onset.  Default off (the grid of earlier
        versions).
    grid : EnergyGrid, optional
        Integrate on these nodes instead of building a grid, e.g. the
        adaptive grid of a self-consistent density at the same bias
        (``state.density.grid``, with ``states=state.states``).  It must
        cover the bias window (every node where ``f_drain != f_source``
        belongs to it).  A Gauss grid carries no embedded error estimate:
        the current's ``error`` is then NaN (the density's estimate is in
        ``state.quadrature_estimate``).

    Raises
    ------
    ValueError
        When the bias window (T > 0: with its Fermi tails) lies outside
        every band of the source and the drain.
    """

    def __init__(self, syst, chemical_potentials, temperatures=0.0, params=None,
                 *, source=0, drain=1, n_panels=2, boltzmann=K_B, states=None,
                 lead_modes=None, allow_extra_params=(), band_edges=False,
                 grid=None):
        uniform_norbs(syst)
        n = len(syst.leads)
        self.mu, self.kT = check_reservoirs(n, chemical_potentials, temperatures,
                                            boltzmann)
        _check_leads(n, source, drain)
        n_panels = checks.integer("n_panels", n_panels, minimum=1)
        if allow_extra_params:
            params = allow_extra(params, allow_extra_params)
        check_params(syst, params)
        if not isinstance(band_edges, (bool, np.bool_)):
            raise TypeError(f"band_edges must be True or False, got {band_edges!r}")
        self.source, self.drain = source, drain
        lower, upper, breaks = bias_window(self.mu, self.kT)
        if grid is not None:
            if not isinstance(grid, EnergyGrid):
                raise TypeError(f"grid must be an EnergyGrid (e.g. "
                                f"state.density.grid), got {type(grid).__name__}")
            inside = (grid.energies >= lower) & (grid.energies <= upper)
            covered = grid.kronrod_weights[inside].sum()
            if upper > lower and not np.isclose(covered, upper - lower, rtol=1e-9):
                # Each panel's weights sum to its length: a grid that covers
                # the window has weights summing to the window's width.
                raise ValueError(
                    f"grid covers {covered:.6g} eV of the bias window "
                    f"[{lower:.6g}, {upper:.6g}] eV, not all of it: pass the "
                    f"grid of a density at these chemical potentials and "
                    f"temperatures")
            self.grid = grid if len(grid) else None
        else:
            edges = ()
            if band_edges and upper > lower:
                breaks, edges = with_band_edges(syst, params, breaks)
            self.grid = (gauss_kronrod_grid(breaks, n_panels, edges) if upper > lower
                         else None)
        self._embedded_error = self.grid is not None and not np.array_equal(
            self.grid.kronrod_weights, self.grid.gauss_weights)
        energies = self.grid.energies if self.grid is not None else np.zeros(0)
        if states is None:
            states = ScatteringStates(syst, energies, params, lead_modes=lead_modes)
        elif states.syst is not syst or not np.array_equal(states.energies, energies):
            raise ValueError("states: a ScatteringStates of this system at this "
                             "grid's energies is needed (same bias window, "
                             "temperatures and n_panels)")
        self.states = states
        self.occupation = np.stack([fermi(energies, m, t)
                                    for m, t in zip(self.mu, self.kT)], axis=1)
        if self.grid is not None:
            # Nodes where source or drain is partly occupied and has modes;
            # without any, the "current" would be an exact 0.0 that only
            # says the window misses the bands.
            occupied = (self.occupation > 0)[:, [source, drain]]
            if not np.any(self.states.nmodes[:, [source, drain]] * occupied):
                raise ValueError(
                    f"neither the source (lead {source}) nor the drain (lead "
                    f"{drain}) has propagating modes anywhere in the energy "
                    f"window [{lower:.6g}, {upper:.6g}]: the bias window lies "
                    f"outside every band of the leads; move "
                    f"chemical_potentials into a band")

    def __call__(self, potential=None, rtol=None):
        """The current with ``potential`` added to the scattering region;
        ``rtol`` as in :meth:`ScatteringStates.solution`."""
        if self.grid is None:
            z = np.zeros(0)
            return LandauerCurrent(0.0, 0.0, z, z, z, 0.0)
        s, d = self.source, self.drain
        trans, refl, samples = [], [], []
        for node in range(len(self.grid)):
            S = self.states.smatrix(node, potential, rtol)
            T = transmission_matrix(S)
            trans.append(T[s, d])
            refl.append(T[s, s])
            f = self.occupation[node]
            # Particle current into the source: sum_j T_sj (f_j - f_s).
            samples.append(np.dot(T[s], f - f[s]))
        trans, refl = np.array(trans), np.array(refl)
        current, err = integrate(self.grid, np.array(samples))
        if not self._embedded_error:
            err = np.nan
        df = self.occupation[:, d] - self.occupation[:, s]
        deficit, _ = integrate(self.grid, df * refl)
        return LandauerCurrent(float(current), float(err), self.grid.energies,
                               trans, refl, float(deficit))


def _check_leads(n, source, drain):
    for name, lead in (("source", source), ("drain", drain)):
        checks.integer(name, lead)
    if not (0 <= source < n and 0 <= drain < n and source != drain):
        raise ValueError(f"source and drain must be two different leads of "
                         f"the {n} leads (0 to {n - 1}), got {source}, {drain}")


def landauer_current(syst, chemical_potentials, temperatures=0.0, params=None,
                     potential=None, **kwargs):
    """One-shot :class:`CurrentSolver`; see there for the parameters.

    Examples
    --------
    >>> I = landauer_current(fsyst, [mu0 - eV / 2, mu0 + eV / 2], 4.0, params)
    >>> I.current / eV        # conductance in units of e^2/h
    """
    return CurrentSolver(syst, chemical_potentials, temperatures, params,
                         **kwargs)(potential)


@dataclasses.dataclass
class BiasPoint:
    """One point of a self-consistent I-V curve.

    Attributes
    ----------
    bias : float
        ``eV`` [eV].
    current : LandauerCurrent
        With the self-consistent exchange potential.
    state : SelfConsistentState
        The self-consistent exchange field and density at this bias.  Its
        ``states`` is None: a sweep frees each bias's factorisations and
        linear systems once its current is computed (call
        :func:`~kwant_noneq.scf.solve_exchange` at that bias, with
        ``initial_field=state``, to have them again).
    """

    bias: float
    current: LandauerCurrent
    state: object


@dataclasses.dataclass
class IVCurve:
    """A self-consistent I-V curve.

    Attributes
    ----------
    biases : ndarray
        ``eV`` [eV].
    currents : ndarray
        ``I h / e`` [eV].
    conductance : ndarray
        ``dI/dV`` [e^2/h] (:func:`differential_conductance`).
    iterations : ndarray of int
        SCF iterations at each bias.
    converged : ndarray of bool
    points : list of BiasPoint
    counts : SolverCounts
        Lead-mode computations, factorisations and solves of the whole sweep
        (densities and currents).
    """

    biases: np.ndarray
    currents: np.ndarray
    conductance: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    points: list
    counts: object = None


def differential_conductance(biases, currents):
    """``dI/dV`` [e^2/h] by second-order finite differences on the (possibly
    non-uniform) bias grid (``numpy.gradient``); needs >= 2 biases."""
    biases = np.asarray(biases, float)
    currents = np.asarray(currents, float)
    if biases.shape != currents.shape or biases.ndim != 1 or len(biases) < 2:
        raise ValueError("need matching 1D arrays of at least 2 biases and currents")
    if np.any(np.diff(biases) == 0):
        raise ValueError("biases must be distinct")
    return np.gradient(currents, biases)


def iv_sweep(syst, spin_operators, mu0, biases, temperature=0.0, params=None, *,
             U=None, kernel=None, warm_start="scaled", source=0, drain=1,
             n_panels=1, current_panels=None, tol=1e-9, max_iter=100,
             method="anderson", mixing=0.5, on_failure="raise",
             lead_modes=None, allow_extra_params=(), **density_kwargs):
    """Self-consistent I-V curve of a two-terminal system.

    At each bias ``eV`` the leads sit at ``mu0 -+ eV/2`` (``source``,
    ``drain``; all other leads at ``mu0``), the exchange field is solved to
    self-consistency (:func:`~kwant_noneq.scf.solve_exchange`) and the
    Landauer current is computed with it.

    Parameters
    ----------
    syst : kwant.system.FiniteSystem
    spin_operators : array (3, norbs, norbs)
    mu0 : float
        Equilibrium chemical potential [eV].
    biases : sequence of float
        ``eV`` [eV], swept in the given order.
    temperature : float
        [K], all reservoirs.
    params : dict
        Kwant parameters (disorder included).
    U, kernel :
        The interaction, as in :func:`~kwant_noneq.scf.solve_exchange`.
    warm_start : {'scaled', 'previous', None}
        Initial field at each bias: the previous bias's field times
        ``eV / eV_previous`` ('scaled': the field is linear in the bias to
        leading order, Eq. 2), the previous field unchanged ('previous'), or
        zero (None).
    n_panels : int
        Gauss-Kronrod panels of the SCF density's window.
    current_panels : int, optional
        Panels of the current's window (default ``n_panels``).
    tol, max_iter, method, mixing, on_failure :
        Passed to :func:`~kwant_noneq.scf.solve_exchange` (``tol`` in eV).
    lead_modes : LeadModes, optional
        Store of lead modes (a new one by default): energy nodes that
        coincide between biases (e.g. ``+eV`` and ``-eV``) compute them once.
    allow_extra_params : iterable of str, or True
        Keys of ``params`` deliberately unknown to ``syst``
        (:func:`kwant_noneq.params.check_params`).
    **density_kwargs :
        Passed to :func:`~kwant_noneq.scf.solve_exchange` and on to
        :class:`~kwant_noneq.density.NonequilibriumDensity`, e.g. the
        adaptive grid's ``quadrature_tol``, ``observable``, ``band_edges``
        (docs/energy_grids.md).  With ``quadrature_tol`` each bias's grid is
        refined at its warm-start field, and the current is integrated on
        that same grid and solutions (``current_panels`` is then unused).

    Returns
    -------
    IVCurve

    Notes
    -----
    Per bias: lead modes and one factorisation per energy node (with the
    warm-start field), iterative solves for the SCF iterations, and nothing
    more: the converged density is the last iteration's, and the current
    (when ``current_panels`` equals ``n_panels``) is read from the same
    cached solutions.  ``conductance`` needs two biases or more; with one
    bias it is ``[nan]`` (undefined).  All arguments are checked before the
    first bias is solved.
    """
    from .factorization import SolverCounts
    from .scattering import LeadModes
    from .scf import check_exchange_options, solve_exchange

    checks.choice("warm_start", warm_start, ("scaled", "previous", None))
    raw = np.asarray(biases)
    if raw.dtype.kind not in "iuf":
        raise TypeError(f"biases must be real numbers (eV [eV]), got {biases!r}")
    biases = np.atleast_1d(raw.astype(float))
    if biases.ndim != 1 or not np.all(np.isfinite(biases)):
        raise ValueError("biases must be a 1D array of finite energies [eV]")
    if not len(biases):
        raise ValueError("biases is empty: give at least one bias eV [eV] "
                         "(two or more for the differential conductance)")
    uniform_norbs(syst)
    n = len(syst.leads)
    lead_modes = LeadModes() if lead_modes is None else lead_modes
    counts = SolverCounts()
    mu0 = checks.real_number("mu0", mu0, unit="eV")
    check_reservoirs(n, mu0, temperature)
    checks.real_number("temperature", temperature, unit="K", nonnegative=True)
    _check_leads(n, source, drain)
    n_panels = checks.integer("n_panels", n_panels, minimum=1)
    current_panels = n_panels if current_panels is None else checks.integer(
        "current_panels", current_panels, minimum=1)
    params, kernel = check_exchange_options(
        syst, spin_operators, params, U=U, kernel=kernel, method=method, tol=tol,
        max_iter=max_iter, mixing=mixing, on_failure=on_failure,
        allow_extra_params=allow_extra_params)
    U = None
    points, previous = [], None
    for eV in biases:
        mus = np.full(n, float(mu0))
        mus[source] -= eV / 2
        mus[drain] += eV / 2
        start = None
        if previous is not None and warm_start is not None:
            start = previous.state.exchange_field
            if warm_start == "scaled" and previous.bias != 0:
                start = start * (eV / previous.bias)
        state = solve_exchange(syst, spin_operators, mus, temperature, params,
                               U=U, kernel=kernel, initial_field=start, tol=tol,
                               max_iter=max_iter, method=method, mixing=mixing,
                               n_panels=n_panels, on_failure=on_failure,
                               lead_modes=lead_modes, **density_kwargs)
        counts = counts + state.counts
        potential = _potential(state, spin_operators)
        adaptive = density_kwargs.get("quadrature_tol") is not None
        shared = state.states if adaptive or current_panels == n_panels else None
        before = shared.counts.copy() if shared is not None else SolverCounts()
        solver = CurrentSolver(syst, mus, temperature, params, source=source,
                               drain=drain, n_panels=current_panels,
                               states=shared, lead_modes=lead_modes,
                               grid=state.density.grid if adaptive else None)
        current = solver(potential)
        counts = counts + (solver.states.counts - before)
        # No later bias uses this bias's factorisations (its nodes are its
        # own window's; lead modes are shared through ``lead_modes``): free
        # them, or a long sweep holds every bias's and runs out of memory.
        state.states.release()
        solver.states.release()
        # Nor its linear systems (~1 GB a bias at W = 40, L = 400): the
        # point keeps the field, the density and the current.
        state = dataclasses.replace(state, states=None)
        points.append(BiasPoint(float(eV), current, state))
        previous = points[-1]
    currents = np.array([p.current.current for p in points])
    conductance = (differential_conductance(biases, currents) if len(biases) > 1
                   else np.full(1, np.nan))
    return IVCurve(biases, currents, conductance,
                   np.array([p.state.iterations for p in points]),
                   np.array([p.state.converged for p in points]), points, counts)


def _potential(state, spin_operators):
    from .exchange import exchange_potential
    return exchange_potential(state.exchange_field, spin_operators)


@dataclasses.dataclass
class Backscattering:
    """Disorder-averaged backscattering of a lead's modes at one energy.

    Attributes
    ----------
    per_length : ndarray (n_left, n_right)
        ``<|r_{l r}|^2> / L`` [1/length]: probability per unit length that
        right mover ``r`` is reflected into left mover ``l``, to first order
        in the disorder variance.
    right_weight, left_weight : ndarray
        Weight of each right / left mover on the sites selected by ``mask``
        (1 for all sites when no mask was given): tells which edge a mode
        lives on.
    k_right, k_left, v_right, v_left : ndarray
        Momenta (per cell) and velocities (dE/dk per cell) of the modes.
    """

    per_length: np.ndarray
    right_weight: np.ndarray
    left_weight: np.ndarray
    k_right: np.ndarray
    k_left: np.ndarray
    v_right: np.ndarray
    v_left: np.ndarray

    def on(self, which):
        """Total backscattering per length of the modes living (weight > 1/2)
        where ``which`` is True/False: ``which`` in (True, False) selects the
        masked / unmasked modes."""
        r = (self.right_weight > 0.5) == which
        l = (self.left_weight > 0.5) == which
        return float(self.per_length[np.ix_(l, r)].sum())


def born_backscattering(bands, energy, variance, potential=None, mask=None,
                        nk=256):
    """Disorder-averaged backscattering per unit length, first Born order.

    For uncorrelated onsite scalar disorder ``V_i`` (the same on every
    orbital of site ``i``, ``<V_i V_j> = variance delta_ij``) in a long
    stretch of the lead, the reflection amplitude of unit-current Bloch
    states is ``r_lr = -i sum_i V_i psi_l(i)^dagger psi_r(i)`` (Fisher-Lee,
    hbar = 1), so::

        <|r_lr|^2> / L = variance * sum_{i in cell} |u_l(i)^dagger u_r(i)|^2
                         / (|v_l| |v_r| period),

    with ``u`` the cell-normalised eigenvectors, ``v = dE/dk`` (k per cell)
    and ``i`` running over the sites of one unit cell.  This is Fermi's golden
    rule, Eq. (5) of Balram et al. (``<|r|^2> = L / (v tau)``), evaluated with
    the lattice states: no continuum model, no edge projection.  Valid while
    ``<|r|^2> << 1`` and the disorder does not change the states (variance
    far below the bulk gap squared).

    Parameters
    ----------
    bands : kwant_noneq.bloch.BlochHamiltonian
        Of a lead (:func:`~kwant_noneq.bloch.bloch_hamiltonian`).
    energy : float or array of float
        [eV].
    variance : float
        Onsite disorder variance [eV^2] (``W^2 / 12`` for uniform disorder of
        full width ``W``).
    potential : ndarray, optional
        Cell potential added to the lead (e.g. an exchange field,
        :func:`~kwant_noneq.homogeneous.cell_potential`).
    mask : bool array over the cell sites, optional
        Used only to report the modes' weights there (e.g. one edge).
    nk : int
        k-grid that brackets the band crossings.

    Returns
    -------
    Backscattering, or a list of them for an array of energies.
    """
    checks.real_number("variance", variance, unit="eV^2", nonnegative=True)
    nk = checks.integer("nk", nk, minimum=3)
    energies = np.atleast_1d(np.asarray(energy, float))
    found = bands.crossings(energies, potential, nk)
    node, k, band, u, v = (found.energy_index, found.k, found.band,
                           found.states, found.velocities)
    ncell, o = len(bands.sites), bands.norbs
    m = np.ones(ncell) if mask is None else np.asarray(mask, float)
    if m.shape != (ncell,):
        raise ValueError(f"mask must have one entry per cell site ({ncell})")
    out = []
    for n, E in enumerate(energies):
        at = node == n
        if not np.any(at):
            raise ValueError(f"no band crosses energy {E}: give an energy "
                             f"inside a band of the lead")
        ur = u[at].reshape(-1, ncell, o)
        vn, kn = v[at], k[at]
        ur = _localise_degenerate(ur, kn, vn, m)
        right, left = vn > 0, vn < 0
        overlap = np.einsum("lia,ria->lri", ur[left].conj(), ur[right])
        per_length = (variance * np.sum(np.abs(overlap) ** 2, axis=-1)
                      / np.abs(vn[left][:, None] * vn[right][None, :])
                      / bands.period)
        weight = np.einsum("cia,i->c", np.abs(ur) ** 2, m)
        out.append(Backscattering(per_length, weight[right], weight[left],
                                  kn[right], kn[left], vn[right], vn[left]))
    return out if np.ndim(energy) else out[0]


def _localise_degenerate(ur, k, v, mask, tol=1e-7):
    """Rotate modes degenerate in ``k`` (and hence ``v``) so that they
    diagonalise the weight on ``mask``: e.g. the right movers of the two
    edges of a symmetric ribbon, which ``eigh`` mixes arbitrarily."""
    ur = ur.copy()
    done = np.zeros(len(k), bool)
    for i in range(len(k)):
        if done[i]:
            continue
        group = np.nonzero((np.abs(k - k[i]) < tol) & (np.sign(v) == np.sign(v[i])))[0]
        done[group] = True
        if len(group) > 1:
            w = np.einsum("aio,bio,i->ab", ur[group].conj(), ur[group], mask)
            _, rot = np.linalg.eigh(w)
            ur[group] = np.einsum("ac,aio->cio", rot, ur[group])
    return ur
