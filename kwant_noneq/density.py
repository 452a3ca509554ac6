"""Nonequilibrium local densities from scattering states.

Each lead ``alpha`` is a reservoir with chemical potential ``mu_alpha`` and
temperature ``T_alpha``.  With Kwant's modes normalised to unit current, the
scattering states injected from lead ``alpha`` at energy ``E`` contribute
``sum_modes psi psi^dagger / (2 pi)`` per unit energy to the local density
matrix (as in ``kwant.ldos``), so

    rho_i = sum_alpha  int_{E_ref}^{infinity} dE/(2 pi) f_alpha(E)
            sum_{m in alpha} psi_{m,i}(E) psi_{m,i}(E)^dagger,

the density of electrons in scattering states above ``E_ref`` (bound states
are not included).  By default ``E_ref`` is the lower end of the bias window
(every reservoir full below it), so ``rho`` is the *bias-window part*: zero
at zero bias and T = 0, and the whole current-induced spin density of a
time-reversal-symmetric system (the filled states below carry none).  A
``reference_energy`` below the window adds the states between it and the
window, all leads full.

Expectation values of onsite operators are ``Tr(O_i rho_i)``.
"""
import dataclasses

import kwant
import numpy as np

from .occupation import K_B, bias_window, check_reservoirs, fermi
from .bandedges import with_band_edges
from .quadrature import (EnergyGrid, gauss_grid, gauss_kronrod_grid, integrate,
                         panels_between)
from .refinement import QuadratureEstimate, estimate_panels, refine_panels
from . import checks
from .factorization import SolverCounts
from .params import allow_extra_params as allow_extra, check_params
from .scattering import ScatteringStates, uniform_norbs

__all__ = ["LocalDensity", "NonequilibriumDensity", "local_density",
           "expectation", "check_onsite_operator", "density_operator_blocks"]


#: Kwant's local operators that are not onsite: refused with a remedy.
_NOT_ONSITE = (kwant.operator.Current, kwant.operator.Source)


def density_operator_blocks(operator, syst=None, *, params=None):
    """Onsite matrices of a ``kwant.operator.Density``, one per site.

    Parameters
    ----------
    operator : kwant.operator.Density
        Of a finalized system (or lead); its ``onsite`` may be a matrix or a
        function of the site (and parameters).  Sites outside its ``where`` get zero
        blocks.
    syst : kwant.system.FiniteSystem, optional
        The system the density matrices belong to: ``operator.syst`` must
        be this very object.  Without it only the number of sites and
        orbitals is checked (by the caller).
    params : dict, optional
        Parameters of an ``onsite`` function, as for Kwant's
        ``Density(psi, params=params)``; not for an operator bound with
        ``.bind(params=...)``, whose bound values are used.

    Returns
    -------
    ndarray, shape (nsites, norbs, norbs)
        In the order of ``operator.syst.sites``, complex.
    """
    if isinstance(operator, _NOT_ONSITE):
        raise TypeError(f"{type(operator).__name__} is not an onsite operator: "
                        f"give a kwant.operator.Density or onsite matrices")
    if syst is not None and operator.syst is not syst:
        raise ValueError("this kwant.operator.Density belongs to another "
                         "system: build it from the finalized system whose "
                         "density it measures")
    norbs = {getattr(site.family, "norbs", None) for site in operator.syst.sites}
    if len(norbs) != 1 or None in norbs:
        raise ValueError(f"the kwant.operator.Density's system has sites with "
                         f"orbitals {norbs}: every site family must declare the "
                         f"same norbs")
    norbs = norbs.pop()
    try:
        coo = operator.tocoo(params=params)
    except TypeError as err:
        raise TypeError(
            f"the onsite function of this kwant.operator.Density could not be "
            f"evaluated ({err}): pass its parameters, params=..., or bind them, "
            f"kwant.operator.Density(...).bind(params=...)") from err
    site, row, col = coo.row // norbs, coo.row % norbs, coo.col % norbs
    if np.any(coo.col // norbs != site):       # not expected from a Density
        raise ValueError("the kwant.operator.Density couples different sites")
    blocks = np.zeros((len(operator.syst.sites), norbs, norbs), complex)
    np.add.at(blocks, (site, row, col), coo.data)
    return blocks


def check_onsite_operator(operator, nsites, norbs, *, syst=None, params=None):
    """Return ``operator`` as an array ``(nops, nsites, norbs, norbs)``.

    Parameters
    ----------
    operator : array or kwant.operator.Density, or a sequence of Densities
        One matrix ``(norbs, norbs)`` (the same on every site), a stack of
        them ``(nops, norbs, norbs)``, per-site blocks ``(nops, nsites,
        norbs, norbs)``, or ``kwant.operator.Density`` objects of the system
        (one, or a list for ``nops`` of them; zero outside their ``where``,
        see :func:`density_operator_blocks`).
    nsites, norbs : int
        Sites of the system and orbitals per site.
    syst : kwant.system.FiniteSystem, optional
        The system; a ``kwant.operator.Density`` must be of this one.
    params : dict, optional
        Parameters of a ``kwant.operator.Density``'s onsite function.
    """
    if _is_density_operator(operator):
        operator = [operator]
    if (isinstance(operator, (list, tuple)) and operator
            and all(map(_is_density_operator, operator))):
        blocks = [density_operator_blocks(o, syst, params=params) for o in operator]
        if blocks[0].shape != (nsites, norbs, norbs):
            raise ValueError(
                f"the kwant.operator.Density acts on {blocks[0].shape[0]} sites "
                f"with {blocks[0].shape[1]} orbitals each, the density matrix "
                f"on {nsites} with {norbs}: build it from the same system")
        return np.stack(blocks)
    op = np.asarray(operator)
    if op.dtype == object:
        raise TypeError(f"operator must be onsite matrices or "
                        f"kwant.operator.Density objects, got {operator!r}")
    if op.ndim == 2:
        op = op[None, None]
    elif op.ndim == 3:
        op = op[:, None]
    if op.ndim != 4 or op.shape[-2:] != (norbs, norbs) or op.shape[1] not in (1, nsites):
        raise ValueError(f"operator of shape {np.shape(operator)} does not act "
                         f"on {nsites} sites with {norbs} orbitals each: give "
                         f"({norbs}, {norbs}), (nops, {norbs}, {norbs}) or "
                         f"(nops, {nsites}, {norbs}, {norbs})")
    if not np.all(np.isfinite(op)):
        raise ValueError("operator contains NaN or infinite entries")
    return op


def _is_density_operator(operator):
    return isinstance(operator, (kwant.operator.Density,) + _NOT_ONSITE)


def expectation(density_matrix, operator, *, params=None, syst=None):
    """``Tr(O_i rho_i)`` for each operator and site; real for Hermitian O.

    Parameters
    ----------
    density_matrix : array (nsites, norbs, norbs)
    operator : array or kwant.operator.Density
        Any format of :func:`check_onsite_operator`.  A
        ``kwant.operator.Density`` gives what Kwant's ``Density(psi)`` gives
        for the wave functions, summed over modes and integrated over
        energy: per site in the order of ``syst.sites``, zero outside its
        ``where`` (Kwant returns the ``where`` sites alone), the sum over
        sites when it was made with ``sum=True``.
    params : dict, optional
        Parameters of a ``kwant.operator.Density``'s onsite function (as
        for Kwant's ``Density(psi, params=params)``).
    syst : kwant.system.FiniteSystem, optional
        The system of ``density_matrix``; a Density must be of this one.

    Returns
    -------
    ndarray
        ``(nops, nsites)``; ``(nsites,)`` for one matrix or one Density, a
        float for one Density with ``sum=True`` (``(nops,)`` for several).
    """
    rho = np.asarray(density_matrix)
    op = check_onsite_operator(operator, rho.shape[0], rho.shape[1], syst=syst,
                               params=params)
    values = np.einsum("oiab,iba->oi", np.broadcast_to(
        op, (op.shape[0],) + rho.shape), rho).real
    ops = operator if isinstance(operator, (list, tuple)) else [operator]
    if all(_is_density_operator(o) for o in ops):
        sums = {bool(o.sum) for o in ops}
        if sums == {True}:
            values = values.sum(axis=1)
        elif len(sums) > 1:
            raise ValueError("give kwant.operator.Density objects that all have "
                             "sum=True or all sum=False")
        return values[0] if not isinstance(operator, (list, tuple)) else values
    return values[0] if np.ndim(operator) == 2 else values


@dataclasses.dataclass
class LocalDensity:
    """Result of a nonequilibrium density calculation.

    Attributes
    ----------
    density_matrix : ndarray, shape (nsites, norbs, norbs)
        ``rho_i`` (number of electrons per site, counted above the reference
        energy); site order is ``syst.sites``.
    error : float
        Fixed grid: quadrature error estimate ``max |K15 - G7|`` of the
        entries of ``density_matrix``.  Adaptive grid
        (``quadrature_tol``): the refinement's estimate for those entries
        (``sum_p max |G5(p) - G5(halves)|``) at the refinement potential.
    grid : EnergyGrid
        The energy nodes used.
    counts : SolverCounts, optional
        Factorisations, solves and lead-mode computations of this call.
    observable_error : float, optional
        The error estimate of the observable the grid was built for
        (``observable=``; the density matrix's entries when none was
        given), in its own unit: fixed grid ``max |K15 - G7|`` of
        ``Tr(O_i rho_i)`` at this potential; adaptive grid the refinement's
        estimate (``estimate.error``, at the refinement potential; use
        :meth:`NonequilibriumDensity.estimate_error` at another).
    estimate : QuadratureEstimate, optional
        The adaptive grid's refinement estimate (``None`` on a fixed grid).
    syst : kwant.system.FiniteSystem, optional
        The system (a ``kwant.operator.Density`` passed to
        :meth:`expectation` must be of this one).  Not pickled: a result
        sent to another process keeps its arrays, not the system (whose
        value functions need not pickle); there a Density is checked by
        its number of sites and orbitals only.
    """

    density_matrix: np.ndarray
    error: float
    grid: EnergyGrid
    counts: SolverCounts = None
    observable_error: float = None
    estimate: QuadratureEstimate = None
    syst: object = dataclasses.field(default=None, repr=False)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["syst"] = None
        return state

    def expectation(self, operator, *, params=None):
        """``Tr(O_i rho_i)`` per site; see :func:`expectation`.

        Parameters
        ----------
        operator : array or kwant.operator.Density
            Onsite matrices, or a ``kwant.operator.Density`` of this
            system (zero outside its ``where``).
        params : dict, optional
            Parameters of a Density's onsite function, as for Kwant's
            ``Density(psi, params=params)``.

        Examples
        --------
        >>> rho = local_density(fsyst, [0.095, 0.105], 0.0, params=params)
        >>> s_z = rho.expectation(kwant.operator.Density(fsyst, sigma_z / 2))
        """
        return expectation(self.density_matrix, operator, params=params,
                           syst=self.syst)

    @property
    def charge(self):
        """Electrons per site, ``Tr rho_i``."""
        return np.trace(self.density_matrix, axis1=1, axis2=2).real


class NonequilibriumDensity:
    """Density of the nonequilibrium steady state, for many potentials.

    Lead modes and the linear system are prepared once per energy node and
    each node keeps one factorisation (:class:`ScatteringStates`): calling the
    object with a new potential costs a few multi-column solves per node,
    not a factorisation (all leads share them).

    The energy grid is fixed at construction.  By default it is the
    composite Gauss-Kronrod grid of ``n_panels`` panels with breakpoints at
    the chemical potentials.  With ``quadrature_tol`` it is refined
    adaptively, once, here, at ``refinement_potential``, to that tolerance
    on ``observable`` (docs/energy_grids.md), with breakpoints and
    the momentum substitution at the leads' band edges.

    Parameters
    ----------
    syst : kwant.system.FiniteSystem
        Finalized system with leads; every site must have the same ``norbs``.
    chemical_potentials : sequence of float
        One per lead [energy unit of the Hamiltonian, eV for :mod:`systems`].
    temperatures : float or sequence of float
        Kelvin (one for all leads, or one per lead), ``>= 0``.
    params : dict, optional
        Kwant parameters.
    reference_energy : float, optional
        Count electrons from here up (see the module docstring); default:
        the lower end of the bias window.
    n_panels : int
        Gauss-Kronrod panels over the bias window (15 nodes each); with
        ``quadrature_tol``, the starting Gauss-Legendre panels (5 nodes
        each).
    sea_panels : int
        Panels between ``reference_energy`` and the window (starting panels
        with ``quadrature_tol``).
    boltzmann : float
        ``k_B`` in the Hamiltonian's energy unit per kelvin (default eV/K).
    states : ScatteringStates, optional
        Reuse these nodes (lead modes and factorisations), e.g. along a
        sweep in the interaction; their energies must be this grid's (fixed
        grid only: an adaptive grid is refined anew, share ``lead_modes``).
    lead_modes : LeadModes, optional
        Lead modes shared with other systems with the same leads.
    ordering, max_factor_memory, iterative :
        See :class:`~kwant_noneq.scattering.ScatteringStates`.
    allow_extra_params : iterable of str, or True
        Keys of ``params`` that no value function of ``syst`` takes but that
        are there on purpose; any other unknown key is an error
        (:func:`kwant_noneq.params.check_params`).
    quadrature_tol : float, optional
        Refine the grid adaptively until the error estimate of the
        observable's energy integral is below ``quadrature_tol`` times its
        largest component ``max |Tr(O_i rho_i)|`` (relative, ``>= 0``).
        ``None`` (default): the fixed Gauss-Kronrod grid.
    quadrature_atol : float
        Absolute tolerance in the observable's unit (per site, e.g.
        electrons); the target is ``max(quadrature_atol, quadrature_tol *
        scale)``.  Needs ``quadrature_tol``.
    observable : array, optional
        Onsite operator(s) whose expectation values steer the refinement
        and :attr:`LocalDensity.observable_error`, in any format of
        :func:`check_onsite_operator` (e.g. ``sigma / 2`` for the spin
        density, or ``kwant.operator.Density`` objects of ``syst``, with
        their bound parameters or none).  Default: every entry of the density matrix (so the spin
        components count, not the charge alone).
    band_edges : bool, optional
        Breakpoints, with the momentum substitution ``E = E_b +- u^2``, at
        every lead band edge ``E_b`` in the integration range
        (:func:`~kwant_noneq.bandedges.lead_band_edges`).  Default: on with
        ``quadrature_tol``, off on the fixed grid (which is then the grid of
        earlier versions, node for node); ``True`` adds them to the fixed
        grid too.
    max_panels : int
        Most panels the refinement may use; beyond, :class:`QuadratureError`.
    refinement_potential : scipy.sparse matrix, optional
        Potential [eV] added to the scattering region while the grid is
        refined (as for :meth:`__call__`); a self-consistent loop passes its
        starting field.  Default: none.
    allow_no_modes : bool
        Return a zero density, instead of raising, when no lead has
        propagating modes in the energy window (one node of a momentum
        integral, :mod:`kwant_noneq.transverse`, may lie outside every
        band).

    Attributes
    ----------
    grid : EnergyGrid
    panels : list of Panel or None
        The adaptive grid's panels.
    estimate : QuadratureEstimate or None
        The refinement's estimate at ``refinement_potential``.
    has_modes : bool
        Whether some lead has propagating modes at a node of nonzero weight
        (else the density is zero).
    band_edges : ndarray
        The band edges used as breakpoints [eV] (empty when off).
    """

    def __init__(self, syst, chemical_potentials, temperatures=0.0, params=None,
                 *, reference_energy=None, n_panels=4, sea_panels=8,
                 boltzmann=K_B, check_hermiticity=True, states=None,
                 lead_modes=None, ordering="pord", max_factor_memory=None,
                 iterative=True, allow_extra_params=(), quadrature_tol=None,
                 quadrature_atol=0.0, observable=None, band_edges=None,
                 max_panels=200, refinement_potential=None,
                 allow_no_modes=False):
        # Every cheap check before the lead modes are computed.
        norbs = uniform_norbs(syst)
        self.mu, self.kT = check_reservoirs(len(syst.leads), chemical_potentials,
                                            temperatures, boltzmann)
        n_panels = checks.integer("n_panels", n_panels, minimum=1)
        sea_panels = checks.integer("sea_panels", sea_panels, minimum=1)
        reference_energy = checks.real_number("reference_energy", reference_energy,
                                              unit="eV", allow_none=True)
        checks.real_number("boltzmann", boltzmann, positive=True)
        if allow_extra_params:
            params = allow_extra(params, allow_extra_params)
        check_params(syst, params)
        self.nsites = len(syst.sites)
        adaptive = _check_grid_options(
            quadrature_tol, quadrature_atol, band_edges, max_panels,
            refinement_potential, states, self.nsites * norbs)
        self.observable = (None if observable is None else
                           check_onsite_operator(observable, self.nsites, norbs,
                                                 syst=syst))
        self.tolerances = ((checks.real_number("quadrature_tol", quadrature_tol),
                            float(quadrature_atol)) if adaptive else None)
        band_edges = adaptive if band_edges is None else bool(band_edges)
        lower, upper, breaks = bias_window(self.mu, self.kT)
        self.window = (lower, upper)
        if reference_energy is not None and reference_energy >= lower:
            raise ValueError(f"reference_energy {reference_energy} must lie "
                             f"below the bias window [{lower}, {upper}]")
        intervals = []                     # (breakpoints, panels)
        if upper > lower:
            intervals.append((breaks, n_panels))
        if reference_energy is not None:
            intervals.append((np.array([reference_energy, lower]), sea_panels))
        self.band_edges = np.zeros(0)
        if band_edges and intervals:
            # One search over the whole range; each interval gets its own.
            _, self.band_edges = with_band_edges(
                syst, params, np.concatenate([b for b, _ in intervals]))
            intervals = [(_with_edges(b, self.band_edges), n)
                         for b, n in intervals]
        self.panels, self.estimate = None, None
        if adaptive:
            self.panels = [p for b, n in intervals
                           for p in panels_between(b, n, self.band_edges)]
            if len(self.panels) > max_panels:
                raise ValueError(f"max_panels={max_panels} is below the "
                                 f"{len(self.panels)} starting panels: raise it "
                                 f"or lower n_panels / sea_panels")
            grids = []
        else:
            grids = [gauss_kronrod_grid(b, n, _inside(self.band_edges, b))
                     for b, n in intervals]
        if not grids:
            self.grid = EnergyGrid(*(np.zeros(0),) * 3, np.zeros(0, int))
        else:
            self.grid = EnergyGrid(*(np.concatenate([getattr(g, f.name) for g in grids])
                                     for f in dataclasses.fields(EnergyGrid)))
        if states is None:
            states = ScatteringStates(syst, self.grid.energies, params,
                                      check_hermiticity, ordering=ordering,
                                      max_factor_memory=max_factor_memory,
                                      lead_modes=lead_modes, iterative=iterative)
        elif states.syst is not syst or not np.array_equal(states.energies,
                                                           self.grid.energies):
            raise ValueError("states: a ScatteringStates of this system at this "
                             "grid's energies is needed (same bias window, "
                             "temperatures and panels)")
        self.states = states
        self.norbs = self.states.norbs
        if adaptive and self.panels:
            self._refine(refinement_potential, max_panels)
        # Occupation weight of each lead at each node, divided by 2 pi.
        self.weights = self._weights(self.grid.energies)
        self.has_modes = bool(np.any(self.states.nmodes * (self.weights > 0)))
        if len(self.grid) and not self.has_modes and not allow_no_modes:
            raise ValueError(
                f"no lead has propagating modes anywhere in the energy window "
                f"[{self.grid.energies.min():.6g}, {self.grid.energies.max():.6g}]:"
                " the bias window lies outside every band of the leads; move "
                "chemical_potentials into a band")

    @property
    def adaptive(self):
        """Whether the grid was refined to a tolerance (``quadrature_tol``)."""
        return self.tolerances is not None

    def _weights(self, energies):
        E = np.asarray(energies, float)
        return np.stack([fermi(E, m, t) for m, t in zip(self.mu, self.kT)],
                        axis=1).reshape(len(E), len(self.mu)) / (2 * np.pi)

    def _integrand(self, potential, rtol, lookup):
        """``energies -> (control, tracked)`` samples at ``potential``; new
        energies become nodes of ``self.states`` (``lookup``: energy ->
        node, extended here)."""
        def integrand(energies):
            new = [e for e in dict.fromkeys(energies.tolist()) if e not in lookup]
            if new:
                lookup.update(zip(new, self.states.add_energies(new).tolist()))
            nodes = [lookup[e] for e in energies.tolist()]
            samples = self._accumulate(
                lambda node: (self.states.wave_functions(node, potential, rtol),
                              None), nodes, self._weights(energies))
            if self.observable is None:
                return samples, None
            return self._observe(samples), samples
        return integrand

    def _observe(self, samples):
        """``Tr(O_i rho_i)`` per node: ``(n, nops, nsites)``."""
        op = np.broadcast_to(self.observable, (self.observable.shape[0],)
                             + samples.shape[1:])
        return np.einsum("oiab,niba->noi", op, samples).real

    def _refine(self, potential, max_panels):
        lookup = {}
        rtol, atol = self.tolerances
        result = refine_panels(self.panels, self._integrand(potential, None, lookup),
                               rtol=rtol, atol=atol, max_panels=max_panels)
        self.panels, self.estimate = result.panels, result.estimate
        self.grid = gauss_grid(self.panels)
        # Keep the accepted panels' own nodes; drop the halves' and the
        # bisected panels' (their factorisations are freed).
        self.states.keep([lookup[e] for e in self.grid.energies.tolist()])

    def estimate_error(self, potential=None, rtol=None):
        """Re-evaluate the adaptive grid's error estimate at ``potential``.

        Each panel's halves are evaluated anew (their lead modes, one
        factorisation each: ``2 * GAUSS_POINTS`` extra nodes per panel) and
        dropped again; the grid and its nodes do not change.

        Parameters
        ----------
        potential : scipy.sparse matrix, optional
            As for :meth:`__call__` (e.g. a converged self-consistent field).
        rtol : float, optional
            Accuracy of the iterative solves on the grid's own nodes.

        Returns
        -------
        QuadratureEstimate
            ``error`` and ``tolerance`` in the observable's unit at
            ``potential``; compare them (``.converged``).
        """
        if not self.adaptive:
            raise ValueError("estimate_error needs an adaptive grid "
                             "(quadrature_tol); a fixed grid's estimate is "
                             "LocalDensity.error / observable_error")
        n = len(self.states)
        lookup = dict(zip(self.grid.energies.tolist(), range(n)))
        if not self.panels:
            return self.estimate
        rtol_q, atol_q = self.tolerances
        try:
            return estimate_panels(self.panels,
                                   self._integrand(potential, rtol, lookup),
                                   rtol=rtol_q, atol=atol_q)
        finally:
            self.states.keep(np.arange(n))

    def _accumulate(self, wave_functions, nodes=None, weights=None):
        """``sum_nodes sum_leads w psi psi^dagger`` samples of each node, from
        ``wave_functions(node) -> (list of psi, list of d psi or None)``;
        default all nodes of the grid with their weights."""
        n, o = self.nsites, self.norbs
        nodes = range(len(self.grid)) if nodes is None else nodes
        weights = self.weights if weights is None else weights
        samples = np.zeros((len(nodes), n, o, o), complex)
        for i, node in enumerate(nodes):
            wfs, dwfs = wave_functions(node)
            for lead, psi in enumerate(wfs):
                w = weights[i, lead]
                if w == 0 or psi.shape[0] == 0:
                    continue
                psi = psi.reshape(psi.shape[0], n, o)
                if dwfs is None:
                    samples[i] += w * np.einsum("mia,mib->iab", psi, psi.conj())
                else:
                    dpsi = dwfs[lead].reshape(psi.shape)
                    d = np.einsum("mia,mib->iab", dpsi, psi.conj())
                    samples[i] += w * (d + d.conj().transpose(0, 2, 1))
        return samples

    def __call__(self, potential=None, rtol=None):
        """Local density matrix with ``potential`` (sparse, scattering
        region's orbitals) added to the Hamiltonian.

        ``rtol``: relative accuracy of the wave functions' iterative solves
        (default that of :class:`ScatteringStates`, 1e-12).
        """
        before = self.states.counts.copy()
        samples = self._accumulate(
            lambda node: (self.states.wave_functions(node, potential, rtol), None))
        rho, err = integrate(self.grid, samples)
        if not len(self.grid):
            rho = np.zeros((self.nsites, self.norbs, self.norbs), complex)
        if self.adaptive:
            est = self.estimate
            err = est.density_matrix_error
            obs_err = est.error
        elif self.observable is None or not len(self.grid):
            obs_err = err
        else:
            gauss = np.tensordot(self.grid.gauss_weights, samples, axes=1)
            obs_err = float(np.max(np.abs(self._observe((rho - gauss)[None])),
                                   initial=0.0))
        return LocalDensity(rho, err, self.grid, self.states.counts - before,
                            obs_err, self.estimate, self.states.syst)

    def response(self, potential, perturbation, rtol=None):
        """Linear response ``d rho / d V [perturbation]`` at ``potential``:
        the first-order change of the local density matrix
        ``(nsites, norbs, norbs)`` when ``perturbation`` (sparse, onsite
        blocks) is added, on the same energy grid and factorisations."""
        samples = self._accumulate(lambda node: (
            self.states.wave_functions(node, potential, rtol),
            self.states.wave_function_response(node, potential, perturbation, rtol)))
        if not len(self.grid):
            return np.zeros((self.nsites, self.norbs, self.norbs), complex)
        return integrate(self.grid, samples)[0]


def _check_grid_options(tol, atol, band_edges, max_panels, refinement_potential,
                        states, num_orb):
    """The cheap checks of the energy-grid keywords; returns whether the
    grid is adaptive."""
    tol = checks.real_number("quadrature_tol", tol, nonnegative=True,
                             allow_none=True)
    atol = checks.real_number("quadrature_atol", atol, nonnegative=True)
    checks.integer("max_panels", max_panels, minimum=1,
                   remedy="the most panels the adaptive grid may use")
    if band_edges is not None and not isinstance(band_edges, (bool, np.bool_)):
        raise TypeError(f"band_edges must be True, False or None, got "
                        f"{band_edges!r}")
    if tol is None:
        if atol:
            raise ValueError("quadrature_atol needs quadrature_tol (None means "
                             "the fixed grid): give quadrature_tol=0 for an "
                             "absolute tolerance alone")
        if refinement_potential is not None:
            raise ValueError("refinement_potential needs quadrature_tol: the "
                             "fixed grid is not refined")
        return False
    if tol == 0 and atol == 0:
        raise ValueError("quadrature_tol=0 needs quadrature_atol > 0")
    if states is not None:
        raise ValueError("states= cannot be combined with quadrature_tol: the "
                         "adaptive grid is refined anew at construction; share "
                         "lead_modes= instead")
    shape = getattr(refinement_potential, "shape", None)
    if refinement_potential is not None and shape != (num_orb, num_orb):
        raise ValueError(f"refinement_potential must be a ({num_orb}, {num_orb}) "
                         f"sparse matrix on the scattering region's orbitals, "
                         f"got shape {shape}")
    return True


def _inside(edges, breakpoints):
    return edges[(edges >= breakpoints.min()) & (edges <= breakpoints.max())]


def _with_edges(breakpoints, edges):
    return np.unique(np.concatenate([breakpoints, _inside(edges, breakpoints)]))


def local_density(syst, chemical_potentials, temperatures=0.0, params=None,
                  potential=None, **kwargs):
    """One-shot nonequilibrium local density matrix; see
    :class:`NonequilibriumDensity` for the parameters.

    Examples
    --------
    >>> rho = local_density(fsyst, [0.095, 0.105], 0.0, params)
    >>> spin_z = rho.expectation(sigma_z / 2)     # per site
    """
    return NonequilibriumDensity(syst, chemical_potentials, temperatures, params,
                                 **kwargs)(potential)
