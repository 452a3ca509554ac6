"""Self-consistent mean field of a finite system driven by its leads.

:func:`solve_mean_field` iterates ``phi -> s V (n[phi] - n^ref)`` for any
onsite channels (:mod:`kwant_noneq.meanfield`: charge, spin, ...): the
nonequilibrium density of the scattering states (:mod:`kwant_noneq.density`)
with the channels' fields in the Hamiltonian, and each channel's field of
that density, to the fixed point (:mod:`kwant_noneq.mixing`).
:func:`solve_exchange` is its one spin channel, ``h -> -V s[h]`` with the
exchange field of :mod:`kwant_noneq.exchange` (docs/mean_field.md).
The energy grid is frozen while iterating (an adaptive grid inside a
fixed-point loop breaks convergence); with ``refine=True`` the grid is then
doubled and the loop converged again from the first solution, and the change
is reported.  With ``quadrature_tol`` (passed to
:class:`~kwant_noneq.density.NonequilibriumDensity`) the grid is refined
adaptively once, at the initial field, before the loop starts; after
convergence its error estimate is evaluated again at the converged field
(:meth:`~kwant_noneq.density.NonequilibriumDensity.estimate_error`) and a
:class:`~kwant_noneq.quadrature.QuadratureWarning` is issued when it exceeds
the tolerance.

Cost: each energy node is factorised once, with the starting field; every
later iteration solves on that factorisation iteratively
(:class:`~kwant_noneq.scattering.ScatteringStates`), to an accuracy tied to
``tol``.  ``method='newton'`` takes Newton steps whose Jacobian is the
density's exact linear response to the field (GMRES, each product one more
solve per node on the same factorisation): two or three evaluations of the
map where mixing needs four to fourteen.
"""
import dataclasses
import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

from .density import NonequilibriumDensity
from .exchange import check_initial_field, check_spin_operators, contact_kernel
from .meanfield import (channel_densities, channel_fields, check_channels,
                        check_initial_fields, mean_field_potential, spin_channel)
from . import checks
from .factorization import SolverCounts
from .mixing import (FixedPoint, check_fixed_point_options,
                     report_nonconvergence, solve_fixed_point)
from .occupation import K_B, check_reservoirs
from .params import allow_extra_params as allow_extra, check_params
from .quadrature import QuadratureWarning
from .scattering import uniform_norbs

__all__ = ["SelfConsistentState", "solve_exchange", "check_exchange_options",
           "solve_accuracy", "MeanFieldState", "solve_mean_field"]


@dataclasses.dataclass
class SelfConsistentState:
    """Self-consistent nonequilibrium state of a finite system.

    Attributes
    ----------
    exchange_field : ndarray, shape (nsites, 3)
        ``h_i`` [eV], in ``syst.sites`` order.
    spin_density : ndarray, shape (nsites, 3)
        ``s_i = <sigma_i>/2`` of the self-consistent state.
    density : LocalDensity
        The full local density matrix (``.expectation(O)`` for any onsite O).
    converged : bool
    iterations : int
    residuals : ndarray
        ``max_i |h_new - h|`` [eV] per iteration.
    quadrature_error : float
        Energy-quadrature error estimate of the density matrix's entries
        (adaptive grid: at the converged field).
    refinement_change : float or None
        ``max |h(refined grid) - h(grid)|`` [eV] when ``refine=True``.
    counts : SolverCounts
        Lead-mode computations, analyses, factorisations and solves of the
        whole calculation (set-up included).
    response_evaluations : int
        Jacobian-vector products (linear responses) of ``method='newton'``.
    factor_memory : int
        Bytes held by the kept factorisations at the end.
    states : ScatteringStates
        The energy nodes (lead modes, kept factorisations, last solutions):
        pass them as ``states=`` to a later call at the same bias window
        (e.g. a sweep in U) or to :class:`~kwant_noneq.transport.CurrentSolver`
        to reuse all of it.
    """

    exchange_field: np.ndarray
    spin_density: np.ndarray
    density: object
    converged: bool
    iterations: int
    residuals: np.ndarray
    quadrature_error: float
    refinement_change: float = None
    counts: SolverCounts = None
    response_evaluations: int = 0
    factor_memory: int = 0
    states: object = None
    quadrature_estimate: object = None


def solve_exchange(syst, spin_operators, chemical_potentials=None,
                   temperatures=None, params=None, *, U=None, kernel=None,
                   initial_field=None, method="anderson", tol=1e-9,
                   max_iter=100, mixing=0.5, n_panels=None, refine=False,
                   on_failure="raise", progress=False, allow_extra_params=(),
                   density=None, **density_kwargs):
    """Self-consistent exchange field of ``syst`` at the given bias.

    The one spin channel of :func:`solve_mean_field`,
    ``[spin_channel(spin_operators, kernel)]``
    (:func:`~kwant_noneq.meanfield.spin_channel`), with the results of
    :class:`SelfConsistentState`.

    Parameters
    ----------
    syst : kwant.system.FiniteSystem
        Finalized system with leads (every site the same ``norbs``).
    spin_operators : array (3, norbs, norbs)
        Pauli matrices in the site basis; the spin density is ``<sigma>/2``.
    chemical_potentials, temperatures :
        Per lead [eV], [K] (default 0 K); see
        :class:`~kwant_noneq.density.NonequilibriumDensity`.  Not with
        ``density``.
    params : dict
        Kwant parameters of the static Hamiltonian.
    U : float, optional
        Contact interaction [eV]: ``h_i = -U s_i``.
    kernel : sparse matrix (nsites, nsites), optional
        Any interaction ``V_ij`` [eV] instead of ``U`` (see
        :func:`~kwant_noneq.exchange.range_kernel`).
    initial_field : array (nsites, 3) or SelfConsistentState, optional
        Warm start; default zero field.
    method : str
        ``'newton'`` (Newton-Krylov on the exact linear response), or a
        mixing method of :func:`~kwant_noneq.mixing.solve_fixed_point`
        (``'anderson'``, ``'linear'``, SciPy root methods).
    tol, max_iter, mixing, on_failure, progress :
        See :func:`~kwant_noneq.mixing.solve_fixed_point`; ``tol`` in eV,
        ``max_iter`` bounds the evaluations of the map (for ``'newton'``, the
        Newton steps plus one).
    n_panels : int
        Gauss-Kronrod panels over the bias window (default 2).
    refine : bool
        After convergence, double the panels and converge again.
    density : object, optional
        A prepared density to iterate on instead of building a
        :class:`~kwant_noneq.density.NonequilibriumDensity`: any object
        with ``density(potential, rtol) -> LocalDensity`` for ``syst``'s
        sites (e.g. :class:`~kwant_noneq.transverse.TransverseDensity`, the
        average over a transverse momentum), and ``response(potential,
        perturbation, rtol)`` for ``method='newton'``.  Its bias, grid and
        ``params`` are its own: ``chemical_potentials``, ``temperatures``,
        ``params``, ``n_panels``, ``refine`` and ``**density_kwargs`` must
        not be given.  ``counts``, ``factor_memory`` and ``states`` of the
        result are the density's (``.counts``, ``.factor_memory``,
        ``.states`` when it has them).
    **density_kwargs :
        Passed to :class:`~kwant_noneq.density.NonequilibriumDensity`
        (``states``, ``lead_modes``, ``reference_energy``, and the energy
        grid's ``quadrature_tol``, ``quadrature_atol``, ``observable``,
        ``band_edges``, ``max_panels``).  With ``quadrature_tol`` the grid is
        refined at the initial field (``refinement_potential``, unless
        given) and checked at the converged one: a
        :class:`~kwant_noneq.quadrature.QuadratureWarning` names the remedy
        when the estimate there exceeds the tolerance.
    allow_extra_params : iterable of str, or True
        Keys of ``params`` deliberately unknown to ``syst``
        (:func:`kwant_noneq.params.check_params`).

    Notes
    -----
    The wave functions are solved iteratively to a relative accuracy
    ``rtol = tol / (20 max|h|)`` (clipped to [1e-14, 1e-6]): to first order
    the field then carries an error ``~ 2 rtol max|h| = tol / 10``, a tenth
    of the convergence criterion.

    All arguments are checked before the energy grid's lead modes are
    computed.
    """
    # Every cheap check here, before the lead modes of the energy grid are
    # computed (a minute for a large ribbon).
    uniform_norbs(syst)
    temperatures, n_panels = _check_bias(
        syst, density, method, chemical_potentials, temperatures, params,
        n_panels, refine, density_kwargs)
    params, kernel = check_exchange_options(
        syst, spin_operators, params, U=U, kernel=kernel, method=method, tol=tol,
        max_iter=max_iter, mixing=mixing, on_failure=on_failure,
        allow_extra_params=allow_extra_params)
    if getattr(kernel, "shape", None) != (len(syst.sites),) * 2:
        raise ValueError(f"kernel has shape {getattr(kernel, 'shape', None)}, "
                         f"the system has {len(syst.sites)} sites: give a "
                         f"(nsites, nsites) matrix V_ij [eV]")
    if isinstance(initial_field, SelfConsistentState):
        initial_field = initial_field.exchange_field
    h0 = check_initial_field(initial_field, len(syst.sites), "site of syst")

    channel, = check_channels([spin_channel(spin_operators, kernel)],
                              len(syst.sites), uniform_norbs(syst))
    loop = _iterate(syst, (channel,), [h0], chemical_potentials, temperatures,
                    params, method=method, tol=tol, max_iter=max_iter,
                    mixing=mixing, n_panels=n_panels, refine=refine,
                    on_failure=on_failure, progress=progress, density=density,
                    density_kwargs=density_kwargs)
    return SelfConsistentState(loop.fields[0], loop.densities[0], loop.density,
                               loop.converged, loop.iterations, loop.residuals,
                               loop.quadrature_error, loop.refinement_change,
                               loop.counts, loop.response_evaluations,
                               loop.factor_memory, loop.states,
                               loop.quadrature_estimate)


@dataclasses.dataclass(frozen=True, eq=False)
class MeanFieldState:
    """Self-consistent state of :func:`solve_mean_field`.

    Attributes
    ----------
    channels : tuple of MeanFieldChannel
        The checked channels (operators as arrays, kernels, references).
    fields : tuple of ndarray (nsites, nops)
        ``phi_{i,a}`` [eV] of each channel, in ``syst.sites`` order.
    densities : tuple of ndarray (nsites, nops)
        ``n_{i,a} = Tr(D_a rho_i)`` of each channel at ``fields`` [per
        site], the reference *not* subtracted (the field they make differs
        from ``fields`` by at most the last residual).
    density : LocalDensity
        The local density matrix (``.expectation(O)`` for any onsite O).
    converged : bool
    iterations : int
    residuals : ndarray
        ``max |phi_new - phi|`` [eV] over all channels, per iteration.
    quadrature_error : float
        Energy-quadrature error estimate of the density matrix's entries
        (adaptive grid: at the converged field).
    quadrature_estimate : QuadratureEstimate or None
        The adaptive grid's estimate at the converged field.
    refinement_change : float or None
        ``max |phi(refined grid) - phi(grid)|`` [eV] when ``refine=True``.
    counts : SolverCounts
        Lead modes, analyses, factorisations and solves of the whole
        calculation.
    response_evaluations : int
        Jacobian-vector products of ``method='newton'``.
    factor_memory : int
        Bytes held by the kept factorisations at the end.
    states : ScatteringStates or None
        The energy nodes, for ``states=`` of a later call.
    """

    channels: tuple
    fields: tuple
    densities: tuple
    density: object
    converged: bool
    iterations: int
    residuals: np.ndarray
    quadrature_error: float
    quadrature_estimate: object = None
    refinement_change: float = None
    counts: SolverCounts = None
    response_evaluations: int = 0
    factor_memory: int = 0
    states: object = None

    @property
    def potential(self):
        """The mean field ``H_MF`` [eV] as a sparse matrix on the scattering
        region's orbitals (e.g. for ``density(potential)`` or a current)."""
        return mean_field_potential(self.fields, self.channels)


def solve_mean_field(syst, channels, chemical_potentials=None,
                     temperatures=None, params=None, *, initial_fields=None,
                     method="anderson", tol=1e-9, max_iter=100, mixing=0.5,
                     n_panels=None, refine=False, on_failure="raise",
                     progress=False, allow_extra_params=(), density=None,
                     **density_kwargs):
    """Self-consistent onsite mean field of any channels at the given bias.

    Iterates ``phi -> s V (n[phi] - n^ref)`` for every channel together
    (:mod:`kwant_noneq.meanfield`): the density of the scattering states
    with ``H_MF[phi]`` in the Hamiltonian, then each channel's field of
    that density, to the fixed point.  :func:`solve_exchange` is the one
    spin channel.

    Parameters
    ----------
    syst : kwant.system.FiniteSystem
        Finalized system with leads (every site the same ``norbs``).
    channels : MeanFieldChannel or sequence of them
        E.g. ``[charge_channel(V_gate, norbs, reference=n0),
        spin_channel(SPIN, contact_kernel(syst.sites, U))]``; a tuple
        ``(operators, kernel, sign)`` is a channel too
        (:func:`~kwant_noneq.meanfield.check_channels`).
    chemical_potentials, temperatures :
        Per lead [eV], [K] (default 0 K); see
        :class:`~kwant_noneq.density.NonequilibriumDensity`.  Not with
        ``density``.
    params : dict
        Kwant parameters of the static Hamiltonian.
    initial_fields : list of arrays (nsites, nops), or MeanFieldState
        Warm start, one field [eV] per channel (None entries: zero).
    method, tol, max_iter, mixing, on_failure, progress, n_panels, refine,
    allow_extra_params, density, **density_kwargs :
        As for :func:`solve_exchange`; ``tol`` [eV] bounds ``max |phi_new -
        phi|`` over every channel.

    Returns
    -------
    MeanFieldState

    Notes
    -----
    What the density counts is the reference of the charge: the default
    density counts the electrons in the bias window only (above its lower
    end), a ``reference_energy`` below the leads' bands (with
    ``sea_panels`` and ``band_edges=True`` for the band edge) counts every
    electron in a scattering state.  A Hartree potential acts on every
    filled state, so a charge channel needs the latter, with a background
    ``reference`` such as the neutral density; the bias-window density
    alone is the charge only where the states below the window do not
    respond (docs/mean_field.md).  Bound states are not counted: an
    attractive potential that binds states below the leads' bands (in 1D,
    any) makes the density wrong.

    All arguments are checked before the energy grid's lead modes are
    computed.
    """
    norbs = uniform_norbs(syst)
    temperatures, n_panels = _check_bias(
        syst, density, method, chemical_potentials, temperatures, params,
        n_panels, refine, density_kwargs)
    check_fixed_point_options("anderson" if method == "newton" else method,
                              tol, max_iter, mixing, on_failure=on_failure)
    if allow_extra_params:
        params = allow_extra(params, allow_extra_params)
    check_params(syst, params)
    channels = check_channels(channels, len(syst.sites), norbs, syst=syst,
                              params=params)
    if isinstance(initial_fields, MeanFieldState):
        initial_fields = list(initial_fields.fields)
    start = check_initial_fields(initial_fields, channels, len(syst.sites))
    return _iterate(syst, channels, start, chemical_potentials, temperatures,
                    params, method=method, tol=tol, max_iter=max_iter,
                    mixing=mixing, n_panels=n_panels, refine=refine,
                    on_failure=on_failure, progress=progress, density=density,
                    density_kwargs=density_kwargs)


def _iterate(syst, channels, start, chemical_potentials, temperatures, params,
             *, method, tol, max_iter, mixing, n_panels, refine, on_failure,
             progress, density, density_kwargs):
    """The loop of :func:`solve_mean_field` on checked arguments; ``start``
    one field per channel.  The fixed-point variable is the channels'
    fields side by side, ``(nsites, sum nops)``."""
    nsites = len(syst.sites)
    widths = [c.n_operators for c in channels]
    cuts = np.cumsum(widths)[:-1]

    def split(x):
        # One channel: the variable itself (no copy), as solve_exchange
        # iterated before channels existed.
        return [x] if len(channels) == 1 else np.split(x, cuts, axis=1)

    def join(fields):
        return fields[0] if len(fields) == 1 else np.concatenate(fields, axis=1)

    def potential(x):
        return mean_field_potential(split(x), channels)

    prepared = density

    def run(panels, start):
        if prepared is not None:
            density = prepared
            before = _density_counts(density).copy()
        else:
            shared = density_kwargs.get("states")
            before = shared.counts.copy() if shared is not None else SolverCounts()
            kwargs = dict(density_kwargs)
            if (kwargs.get("quadrature_tol") is not None
                    and kwargs.get("refinement_potential") is None):
                # Refined once, here, at the field the loop starts from: the
                # loop never sees the grid change.
                kwargs["refinement_potential"] = potential(start)
            density = NonequilibriumDensity(syst, chemical_potentials,
                                            temperatures, params,
                                            n_panels=panels, **kwargs)
        last = {"scale": float(np.max(np.abs(start), initial=0.0))}

        def rtol():
            return solve_accuracy(tol, last["scale"])

        def update(x):
            rho = density(potential(x), rtol())
            _check_shape(rho, nsites)
            n = channel_densities(rho.density_matrix, channels)
            out = join(channel_fields(n, channels))
            last.update(x=np.array(x), rho=rho,
                        scale=max(float(np.max(np.abs(out), initial=0.0)),
                                  _unreferenced_scale(n, channels), tol))
            return out

        def jacobian(x, v):
            # GMRES needs the products only to its forcing term (1e-4): a
            # looser solve than the map's.
            drho = density.response(potential(x), potential(v),
                                    max(rtol(), 1e-7))
            return join(channel_fields(channel_densities(drho, channels),
                                       channels, reference=False))

        if method == "newton":
            fp, products = _newton(update, jacobian, start, tol=tol,
                                   max_iter=max_iter, on_failure=on_failure,
                                   progress=progress)
        else:
            fp = solve_fixed_point(update, start, method=method, tol=tol,
                                   max_iter=max_iter, mixing=mixing,
                                   on_failure=on_failure, progress=progress)
            products = 0
        if "x" in last and np.array_equal(last["x"], fp.x):
            rho = last["rho"]          # the converged density: no new solve
        else:
            rho = density(potential(fp.x), rtol())
        estimate = None
        if getattr(density, "adaptive", False):
            estimate = density.estimate_error(potential(fp.x), rtol())
            _warn_quadrature(estimate)
        return (fp, rho, density, products, _density_counts(density) - before,
                estimate)

    fp, rho, density, products, counts, estimate = run(n_panels, join(start))
    change = None
    if refine and fp.converged:
        fp2, rho2, density, products2, counts2, estimate = run(2 * n_panels, fp.x)
        change = float(np.max(np.abs(fp2.x - fp.x), initial=0.0))
        fp = dataclasses.replace(fp2, iterations=fp.iterations + fp2.iterations,
                                 residuals=np.concatenate([fp.residuals, fp2.residuals]))
        rho, products, counts = rho2, products + products2, counts + counts2
    error = rho.error
    if estimate is not None:
        error = estimate.density_matrix_error
    return MeanFieldState(
        channels, tuple(split(fp.x)),
        tuple(channel_densities(rho.density_matrix, channels)), rho,
        fp.converged, fp.iterations, fp.residuals, error,
        quadrature_estimate=estimate, refinement_change=change, counts=counts,
        response_evaluations=products,
        factor_memory=_density_attribute(density, "factor_memory", 0),
        states=_density_attribute(density, "states", None))


def _unreferenced_scale(densities, channels):
    """``max_i sum_j |V_ij| |n_j|`` [eV] over the channels with a reference
    density: the solves' relative error is one of ``n``, not of ``n -
    n^ref``, so a field that is a small difference of large densities (a
    Hartree potential against a background) needs the solves' accuracy
    tied to this scale (0 without references)."""
    scale = 0.0
    for n, c in zip(densities, channels):
        if c.reference is not None:
            kernel = abs(c.kernel) if sp.issparse(c.kernel) else np.abs(c.kernel)
            scale = max(scale, float(np.max(kernel @ np.abs(n), initial=0.0)))
    return scale


def solve_accuracy(tol, field):
    """Relative accuracy of the wave functions' iterative solves for a loop
    converging to ``tol`` [eV] at a field of the size of ``field`` [eV]
    (array or its largest magnitude): ``tol / (20 max|h|)``, clipped to
    [1e-14, 1e-6] (see the Notes of :func:`solve_exchange`)."""
    scale = float(np.max(np.abs(field), initial=0.0))
    return float(np.clip(tol / (20 * max(scale, 1e-300)), 1e-14, 1e-6))


def _check_bias(syst, density, method, chemical_potentials, temperatures,
                params, n_panels, refine, density_kwargs):
    """The cheap checks of the bias (or of a prepared ``density=`` and what
    may not come with it); returns ``(temperatures, n_panels)`` with their
    defaults, 0 K and 2 panels."""
    if density is not None:
        _check_density(density, method, chemical_potentials=chemical_potentials,
                       temperatures=temperatures, params=params,
                       n_panels=n_panels, refine=refine or None,
                       **density_kwargs)
        return temperatures, n_panels
    if chemical_potentials is None:
        raise TypeError("give chemical_potentials (one per lead [eV]) or a "
                        "prepared density=")
    temperatures = 0.0 if temperatures is None else temperatures
    n_panels = 2 if n_panels is None else n_panels
    check_reservoirs(len(syst.leads), chemical_potentials, temperatures,
                     density_kwargs.get("boltzmann", K_B))
    return temperatures, checks.integer("n_panels", n_panels, minimum=1)


def _check_density(density, method, **not_with):
    """The checks of a prepared ``density=`` for :func:`solve_exchange`."""
    if not callable(density):
        raise TypeError(f"density must be callable as density(potential, rtol) "
                        f"-> LocalDensity, got {type(density).__name__}")
    given = sorted(k for k, v in not_with.items() if v is not None)
    if given:
        raise ValueError(f"{', '.join(given)} cannot be given with density=: "
                         f"the prepared density has its own bias, grid and "
                         f"params")
    if method == "newton" and not callable(getattr(density, "response", None)):
        raise ValueError("method='newton' needs density.response(potential, "
                         "perturbation, rtol); use a mixing method")


def _check_shape(rho, nsites):
    shape = np.shape(rho.density_matrix)
    if len(shape) != 3 or shape[0] != nsites:
        raise ValueError(f"the density returned a density matrix of shape "
                         f"{shape}; the system has {nsites} sites")


def _density_counts(density):
    """Solver counts since construction: ``.counts`` or ``.states.counts``."""
    counts = getattr(density, "counts", None)
    if counts is None:
        states = getattr(density, "states", None)
        counts = getattr(states, "counts", None)
    return SolverCounts() if counts is None else counts


def _density_attribute(density, name, default):
    if name == "factor_memory" and not hasattr(density, name):
        return getattr(getattr(density, "states", None), name, default)
    return getattr(density, name, default)


def _warn_quadrature(estimate):
    """:class:`QuadratureWarning` when the converged field's estimate
    exceeds the tolerance the grid was refined to (never silent)."""
    if estimate.converged:
        return
    warnings.warn(QuadratureWarning(
        f"the energy grid was refined at the initial field to tolerance "
        f"{estimate.tolerance:.3g}; at the converged field its error estimate "
        f"is {estimate.error:.3g} (over {estimate.n_panels} panels).  Solve "
        f"again with initial_field=<this result> (the grid is then refined "
        f"at the converged field) or tighten quadrature_tol"), stacklevel=5)


def check_exchange_options(syst, spin_operators, params, *, U, kernel, method,
                           tol, max_iter, mixing, on_failure,
                           allow_extra_params=()):
    """The cheap checks of :func:`solve_exchange`'s interaction, loop and
    ``params`` (also run by sweeps before their first point).  Returns
    ``(params, kernel)``: ``params`` with the declared extras allowed and
    the interaction as a kernel (``U`` becomes ``contact_kernel``)."""
    # 'newton' is this module's; the rest are the mixing module's methods.
    check_fixed_point_options("anderson" if method == "newton" else method,
                              tol, max_iter, mixing, on_failure=on_failure)
    check_spin_operators(spin_operators, uniform_norbs(syst))
    if allow_extra_params:
        params = allow_extra(params, allow_extra_params)
    check_params(syst, params)
    if (U is None) == (kernel is None):
        raise ValueError("give exactly one of U (contact interaction) or kernel")
    if kernel is None:
        kernel = contact_kernel(syst.sites, checks.real_number("U", U, unit="eV"))
    return params, kernel


def _newton(F, jacobian, x0, *, tol, max_iter, on_failure, progress,
            forcing=1e-4):
    """Newton-Krylov for ``x = F(x)``: solve ``(1 - J) dx = F(x) - x`` by
    GMRES to relative residual ``forcing``, ``J v = jacobian(x, v)``.

    Returns ``(FixedPoint, number of Jacobian products)``.  ``max_iter``
    bounds the evaluations of ``F``.
    """
    import sys
    x = np.array(x0, float)
    shape, residuals, products = x.shape, [], 0
    converged = False
    for _ in range(int(max_iter)):
        r = np.asarray(F(x), float) - x
        res = float(np.max(np.abs(r), initial=0.0))
        if not np.isfinite(res):
            raise FloatingPointError("the self-consistent map returned NaN/inf")
        residuals.append(res)
        if progress:
            print(f"  Newton iteration {len(residuals):3d}: max|F(x)-x| = "
                  f"{res:.3e} ({products} Jacobian products)", file=sys.stderr,
                  flush=True)
        if res <= tol:
            converged = True
            break
        if len(residuals) == int(max_iter):
            break

        def matvec(v, x=x):
            nonlocal products
            products += 1
            v = np.asarray(v, float).reshape(shape)
            return (v - np.asarray(jacobian(x, v), float)).ravel()

        op = sla.LinearOperator((r.size, r.size), matvec=matvec, dtype=float)
        dx, _ = sla.gmres(op, r.ravel(), rtol=forcing, atol=0.0, restart=30,
                          maxiter=3)
        x = x + dx.reshape(shape)
    result = FixedPoint(x, converged, len(residuals), np.array(residuals), "newton")
    report_nonconvergence(result, tol, on_failure, stacklevel=3)
    return result, products
