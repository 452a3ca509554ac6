"""Nonequilibrium densities integrated over a transverse Bloch momentum.

A system periodic in a direction transverse to the current (made with
:func:`kwant.wraparound.wraparound`) has a Bloch phase ``k`` per transverse
period as a Kwant parameter (``k_y`` by default).  The density per
transverse period is the average over the Brillouin zone,

    rho_i = (1 / 2 pi) int_{k_min}^{k_max} dk  rho_i(k),

with ``rho_i(k)`` the bias-window density of
:class:`~kwant_noneq.density.NonequilibriumDensity` at that ``k`` (units:
electrons per site of the supercell, i.e. per site and per transverse
period).  The default range is the whole zone ``[-pi, pi]``; a narrower one
is right only where ``rho(k)`` vanishes outside it (no propagating lead mode
there in the window).

Rules (docs/transverse.md):

* ``'uniform'`` (default): the trapezoid rule of spacing
  ``h = (k_max - k_min) / n``.  On the whole zone (``k_max - k_min =
  2 pi``, the ends are one point) its ``n`` nodes are ``k_j = k_min + j h``
  with weights ``h / 2 pi``: the periodic trapezoid rule, which converges
  spectrally (exponentially in ``n``) for a smooth periodic integrand.  On
  a narrower range it has ``n + 1`` nodes, the two ends with half weight;
  it is spectral there only where ``rho(k)`` vanishes smoothly at both
  ends.  Estimate (even ``n``): the nodes of even ``j`` are the rule of
  spacing ``2 h`` (nested, no extra node); ``|Q_n - Q_{n/2}|`` is the error
  of the coarser rule, an upper estimate of that of ``Q_n`` (by far, once
  the convergence is spectral).  Odd ``n`` has no estimate (``inf``).
  At T = 0 the bias window has sharp edges: ``rho(k)`` has a square-root
  point wherever a lead mode opens at a chemical potential (the Fermi
  points of the transverse band), and the convergence is algebraic,
  ``~ n^-1.5``; a temperature smooths it.
* ``'gauss'``: Gauss-Legendre on ``[k_min, k_max]``; the estimate is the
  difference from the ``n // 2``-point Gauss rule, whose nodes are computed
  too (``n // 2`` more nodes, each with its lead modes and factorisations).
* ``'panels'``: composite Gauss-Legendre with breakpoints at the momenta
  where ``rho(k)`` has square-root points (:func:`mode_momenta` finds them
  from the lead: where its number of propagating modes at a chemical
  potential changes).  ``n`` is the number of panels (each
  :data:`~kwant_noneq.quadrature.GAUSS_POINTS` nodes), spread over the
  intervals between breakpoints by length; an interval ending at a
  square-root point is parametrised by ``k = b +- u^2`` (the substitution
  of :func:`kwant_noneq.quadrature.panels_between` at energy band edges),
  which makes ``sqrt(|k - b|)`` smooth in ``u``: the convergence in ``n``
  is exponential again at T = 0.  The estimate is the difference from the
  rule with ``n // 2`` panels (companion nodes, as for ``'gauss'``).

Both rules are symmetric about ``k = 0`` on a symmetric range, so time
reversal (``k -> -k``) cancels node by node.

Cost: every node is a :class:`~kwant_noneq.density.NonequilibriumDensity`
with its own lead modes (they differ per ``k``) and one kept factorisation
per energy node: ``n`` times the memory and the set-up of one density; a
call costs ``n`` times a call of one density.
"""
import dataclasses

import kwant.system
import numpy as np

from . import checks
from .quadrature import GAUSS_POINTS, gauss_nodes, panels_between
from .density import LocalDensity, NonequilibriumDensity, check_onsite_operator
from .factorization import SolverCounts
from .occupation import K_B, check_reservoirs
from .params import allow_extra_params as allow_extra, check_params, system_parameters
from .scattering import uniform_norbs

__all__ = ["TransverseDensity", "TransverseLocalDensity", "momentum_rule",
           "coarse_rule_average", "momentum_panels", "mode_momenta",
           "companion_rule", "check_momentum"]

RULES = ("uniform", "gauss", "panels")


def momentum_rule(n, rule="uniform", momentum_range=(-np.pi, np.pi), *,
                  breakpoints=(), edges=None):
    """Nodes and weights of a rule for ``(1 / 2 pi) int dk``.

    Parameters
    ----------
    n : int
        Number of nodes, ``>= 1``; for ``'panels'`` the number of panels.
    rule : {'uniform', 'gauss', 'panels'}
        Trapezoid, Gauss-Legendre, or composite Gauss-Legendre with
        breakpoints (see the module docstring and :func:`momentum_panels`).
    momentum_range : (float, float)
        ``(k_min, k_max)``, Bloch phase per transverse period
        (dimensionless).
    breakpoints, edges :
        ``'panels'`` only (:func:`momentum_panels`).

    Returns
    -------
    momenta, weights : ndarray
        The weights sum to ``(k_max - k_min) / 2 pi`` (1 on the whole zone).
        ``n`` nodes, except ``'uniform'`` on a range narrower than the zone
        (``n + 1``: both ends) and ``'panels'`` (``GAUSS_POINTS`` per panel).
    """
    n = checks.integer("n_momenta", n, minimum=1)
    checks.choice("rule", rule, RULES)
    if rule == "panels":
        return momentum_panels(n, momentum_range, breakpoints, edges)
    if len(breakpoints) or edges is not None:
        raise ValueError(f"breakpoints= and edges= belong to rule='panels', "
                         f"got rule={rule!r}")
    lo, hi = momentum_range
    if rule == "uniform":
        h = (hi - lo) / n
        if _whole_zone(lo, hi):
            return lo + h * np.arange(n), np.full(n, h / (2 * np.pi))
        w = np.full(n + 1, h / (2 * np.pi))
        w[[0, -1]] /= 2
        return lo + h * np.arange(n + 1), w
    x, w = np.polynomial.legendre.leggauss(n)
    return (0.5 * (hi + lo) + 0.5 * (hi - lo) * x,
            0.5 * (hi - lo) * w / (2 * np.pi))


def coarse_rule_average(values, extra, weights, rule="uniform",
                        momentum_range=(-np.pi, np.pi), *, breakpoints=(),
                        edges=None):
    """The coarser rule's average, for the momentum-quadrature estimate.

    Parameters
    ----------
    values : array (n_nodes, ...)
        The integrand at the nodes of :func:`momentum_rule` (any unit).
    extra : array (n_extra, ...)
        ``'gauss'``, ``'panels'``: the integrand at the nodes of
        :func:`companion_rule`; ignored for ``'uniform'``.
    weights : array (n_nodes,)
        The rule's weights.
    rule, momentum_range, breakpoints, edges :
        As for :func:`momentum_rule`.

    Returns
    -------
    ndarray or None
        ``'uniform'`` with an even number of intervals: the nested rule of
        twice the spacing (the even-numbered nodes, no extra evaluation);
        ``'gauss'``: the ``n // 2``-point rule on ``extra``; ``'panels'``:
        the ``n // 2``-panel rule on ``extra``.  ``None`` where
        the rule has no estimate (odd ``n``, or ``n = 1``; ``'panels'``
        with one panel per interval, where the companion is the rule).  The estimate
        of the finer rule's error is ``|average - coarse|``.
    """
    values = np.asarray(values)
    if rule == "uniform":
        n = len(weights) if _whole_zone(*momentum_range) else len(weights) - 1
        if n % 2:
            return None
        return 2 * np.tensordot(np.asarray(weights)[0::2], values[0::2], axes=1)
    if not len(extra):
        return None
    if rule == "panels":
        _, w = companion_rule(len(weights) // GAUSS_POINTS, rule, momentum_range,
                              breakpoints=breakpoints, edges=edges)
        if len(w) == len(weights):
            return None     # one panel per interval: the companion is the rule
        return np.tensordot(w, np.asarray(extra), axes=1)
    _, w = momentum_rule(len(extra), "gauss", momentum_range)
    return np.tensordot(w, np.asarray(extra), axes=1)


def companion_rule(n, rule="uniform", momentum_range=(-np.pi, np.pi), *,
                   breakpoints=(), edges=None):
    """The extra nodes (and their weights) of a rule's error estimate.

    ``'gauss'``: the ``n // 2``-point rule; ``'panels'``: the rule with
    ``n // 2`` panels (at least one per interval between breakpoints);
    ``'uniform'``: none (its estimate is nested).  ``n`` as for
    :func:`momentum_rule` (for ``'panels'``: the finer rule's panels).

    Returns
    -------
    momenta, weights : ndarray
        Empty where the rule has no companion (``'uniform'``; ``'gauss'``
        with ``n = 1``).  For ``'panels'`` with one panel per interval the
        companion is the rule itself and :func:`coarse_rule_average` gives
        no estimate (``inf``): use two panels per interval or more.
    """
    if rule == "gauss" and n >= 2:
        return momentum_rule(n // 2, rule, momentum_range)
    if rule == "panels":
        return momentum_rule(max(n // 2, 1), rule, momentum_range,
                             breakpoints=breakpoints, edges=edges)
    return np.zeros(0), np.zeros(0)


def momentum_panels(n_panels, momentum_range=(-np.pi, np.pi), breakpoints=(),
                    edges=None):
    """Composite Gauss-Legendre rule for ``(1 / 2 pi) int dk`` with
    breakpoints and the square-root substitution at them.

    At T = 0 the bias-window density ``rho(k)`` of a transversely periodic
    system has square-root points where a lead mode opens or closes at a
    chemical potential (:func:`mode_momenta`).  The range is split there;
    an interval with a square-root point ``b`` at one end is parametrised
    by ``k = b +- u^2`` (``dk = 2 u du``), in which ``sqrt(|k - b|)`` is
    smooth, and an interval with one at both ends is first split at its
    midpoint: exactly the energy panels of
    :func:`kwant_noneq.quadrature.panels_between` at band edges, here in
    ``k``.  Each panel carries the :data:`~kwant_noneq.quadrature.GAUSS_POINTS`
    Gauss-Legendre nodes of its variable.

    Parameters
    ----------
    n_panels : int
        Total panels (``>= 1``), the same number on every interval between
        breakpoints (the remainder on the longest), at least one each: the
        actual number is ``len(momenta) // GAUSS_POINTS``.
    momentum_range : (float, float)
        ``(k_min, k_max)``, Bloch phase per transverse period
        (dimensionless).  A range end may itself be a square-root point
        (e.g. the largest Fermi momentum, beyond which ``rho = 0``).
    breakpoints : sequence of float
        Momenta (Bloch phase per period) in ``[k_min, k_max]`` where
        ``rho(k)`` is not smooth; panels never straddle one.
    edges : sequence of float, optional
        The breakpoints (or range ends) that are square-root points; default
        all of ``breakpoints``.  Pass ``()`` for plain Gauss panels (a kink).

    Returns
    -------
    momenta, weights : ndarray
        Increasing nodes; weights (``dk / 2 pi``, Jacobian included) sum to
        ``(k_max - k_min) / 2 pi``.
    """
    n_panels = checks.integer("n_panels", n_panels, minimum=1,
                              remedy="the number of momentum panels")
    lo, hi = _check_range(momentum_range)
    b = np.asarray(breakpoints, float).ravel()
    if not np.all(np.isfinite(b)):
        raise ValueError(f"breakpoints must be finite momenta (rad), got {b}")
    tol = 1e-12 * (hi - lo)
    if np.any((b < lo - tol) | (b > hi + tol)):
        raise ValueError(f"breakpoints {b} must lie in momentum_range "
                         f"({lo}, {hi}) (rad)")
    e = b if edges is None else np.asarray(edges, float).ravel()
    if np.any((e < lo - tol) | (e > hi + tol)):
        raise ValueError(f"edges {e} must lie in momentum_range ({lo}, {hi}) "
                         f"(rad)")
    # Breakpoints within rounding of a range end become that end.
    b = np.where(np.abs(b - lo) <= tol, lo, np.where(np.abs(b - hi) <= tol, hi, b))
    e = np.where(np.abs(e - lo) <= tol, lo, np.where(np.abs(e - hi) <= tol, hi, e))
    missing = e[~np.isin(e, np.concatenate([b, [lo, hi]]))]
    if len(missing):
        raise ValueError(f"edges {missing} are neither breakpoints nor range "
                         f"ends")
    panels = []
    for a, z, count in _panel_counts(np.concatenate([[lo, hi], b]), e, n_panels):
        panels.extend(panels_between([a, z], count, [x for x in (a, z) if x in e]))
    k, w = zip(*(gauss_nodes(p) for p in panels))
    k, w = np.concatenate(k), np.concatenate(w)
    order = np.argsort(k, kind="stable")
    return k[order], w[order] / (2 * np.pi)


def _panel_counts(breakpoints, edges, n_panels):
    """``(lo, hi, panels)`` per interval.  An interval with a square-root
    point at both ends is split at its midpoint (as ``panels_between``
    does).  Every interval gets the same number of panels (the remainder
    to the longest): between breakpoints the integrand is smooth in its
    Gauss variable on the scale of the interval itself, whatever its
    length, so a narrow shell between two Fermi momenta needs as many
    panels as a wide one (by length it would keep one panel however large
    ``n_panels``, and bound the accuracy: measured, 3e-10 of 1.4e-2 on the
    strip of tests/test_transverse.py)."""
    b = np.unique(breakpoints)
    is_edge = np.isin(b, edges)
    both = np.nonzero(is_edge[:-1] & is_edge[1:])[0]
    b = np.unique(np.concatenate([b, (b[both] + b[both + 1]) / 2]))
    m = len(b) - 1
    counts = np.full(m, max(n_panels // m, 1))
    extra = max(n_panels - counts.sum(), 0)
    counts[np.argsort(-np.diff(b), kind="stable")[:extra]] += 1
    return list(zip(b[:-1], b[1:], counts))


def mode_momenta(lead, energies, params=None, *, momentum="k_y",
                 momentum_range=(-np.pi, np.pi), n_scan=64, xtol=1e-11):
    """Transverse momenta where a lead's number of propagating modes at one
    of ``energies`` changes: the square-root points of the T = 0 bias-window
    density (breakpoints of :func:`momentum_panels`).

    The mode count of ``lead`` (Kwant's mode solver, exact at each ``k``)
    is sampled at ``n_scan + 1`` momenta across ``momentum_range``, and
    every change between neighbours is located by bisection.

    Parameters
    ----------
    lead : kwant.system.InfiniteSystem
        A finalized lead taking ``momentum`` (e.g. ``fsyst.leads[0]`` of a
        wrapped system).
    energies : sequence of float
        The chemical potentials [eV] (at T = 0 the window's ends).
    params : dict, optional
        Kwant parameters without ``momentum``.
    momentum : str
        Name of the transverse-momentum parameter.
    momentum_range : (float, float)
        Where to look (Bloch phase per period, rad).
    n_scan : int
        Intervals of the scan; a pocket of modes narrower than
        ``(k_max - k_min) / n_scan`` (two changes in one interval) is missed.
    xtol : float
        Bisection tolerance [rad].

    Returns
    -------
    ndarray
        Sorted distinct momenta (rad) strictly inside ``momentum_range``.
    """
    if not isinstance(lead, kwant.system.InfiniteSystem):
        raise TypeError(f"lead must be a finalized Kwant lead "
                        f"(kwant.system.InfiniteSystem), got "
                        f"{type(lead).__name__}")
    if params is not None and momentum in params:
        raise ValueError(f"params contains {momentum!r}: leave it out, it is "
                         f"scanned")
    energies = np.atleast_1d(np.asarray(energies, float))
    if not energies.size or not np.all(np.isfinite(energies)):
        raise ValueError(f"energies must be finite [eV], got {energies}")
    n_scan = checks.integer("n_scan", n_scan, minimum=1)
    xtol = checks.real_number("xtol", xtol, unit="rad", positive=True)
    lo, hi = _check_range(momentum_range)
    base = dict(params or {})

    def count(energy, k):
        p = dict(base)
        p[momentum] = float(k)
        return len(lead.modes(energy=float(energy), params=p)[0].velocities) // 2

    found = []
    grid = np.linspace(lo, hi, n_scan + 1)
    for energy in np.unique(energies):
        c = [count(energy, k) for k in grid]
        for j in np.nonzero(np.diff(c))[0]:
            a, z, ca = grid[j], grid[j + 1], c[j]
            while z - a > xtol:
                m = 0.5 * (a + z)
                if count(energy, m) == ca:
                    a = m
                else:
                    z = m
            found.append(0.5 * (a + z))
    found = np.unique(np.array(found, float))
    if len(found) > 1:
        found = found[np.concatenate([[True], np.diff(found) > 4 * xtol])]
    return found


def _companion_momenta(n, n_nodes, rule, momentum_range, breakpoints, edges):
    """The companion nodes of the densities' estimate (the finer rule has
    ``n_nodes`` nodes from ``n`` requested)."""
    if rule == "panels":
        n = n_nodes // GAUSS_POINTS
    extra = companion_rule(n, rule, momentum_range, breakpoints=breakpoints,
                           edges=edges)[0]
    # one panel per interval: the companion is the rule (no estimate), not
    # worth a second set of lead modes
    return np.zeros(0) if len(extra) == n_nodes and rule == "panels" else extra


def _whole_zone(lo, hi):
    return abs((hi - lo) - 2 * np.pi) <= 1e-12 * 2 * np.pi


def check_momentum(system, momentum, params, n_momenta, rule, momentum_range):
    """The transverse-momentum arguments of a k-averaged density, checked.

    Shared by :class:`TransverseDensity` and
    :class:`kwant_noneq.transverse_homogeneous.TransverseHomogeneousDensity`,
    before any expensive work.

    Parameters
    ----------
    system : kwant.system.System
        The finalized system or lead whose parameter ``momentum`` is.
    momentum : str
        Name of the wraparound momentum parameter (e.g. ``'k_y'``).
    params : dict or None
        Must not contain ``momentum`` (it is set per node).
    n_momenta : int
        Number of momentum nodes (or panels), >= 1.
    rule : str
        One of :data:`RULES`.
    momentum_range : (float, float) or None
        ``(k_min, k_max)`` [rad], at most the zone; None: the whole zone.

    Returns
    -------
    n_momenta : int
    rule : str
    momentum_range : (float, float)
    """
    if not isinstance(momentum, str):
        raise TypeError(f"momentum must be the name (str) of the system's "
                        f"transverse-momentum parameter, got {momentum!r}")
    known = system_parameters(system)
    if known is not None and momentum not in known:
        raise ValueError(f"momentum={momentum!r} is not a parameter of the "
                         f"system or its leads (they take {sorted(known)}): "
                         f"name the wraparound momentum, e.g. 'k_y'")
    if params is not None and momentum in params:
        raise ValueError(f"params contains {momentum!r}, the momentum "
                         f"integrated over: leave it out, it is set per node")
    n = checks.integer("n_momenta", n_momenta, minimum=1,
                       remedy="the number of transverse-momentum nodes")
    return n, checks.choice("rule", rule, RULES), _check_range(momentum_range)


def _check_range(momentum_range):
    if momentum_range is None:
        return (-np.pi, np.pi)
    try:
        lo, hi = momentum_range
    except (TypeError, ValueError):
        raise TypeError(f"momentum_range must be (k_min, k_max), got "
                        f"{momentum_range!r}") from None
    lo = checks.real_number("momentum_range[0]", lo, unit="rad")
    hi = checks.real_number("momentum_range[1]", hi, unit="rad")
    if not lo < hi:
        raise ValueError(f"momentum_range must have k_min < k_max, got "
                         f"({lo}, {hi})")
    if hi - lo > 2 * np.pi * (1 + 1e-12):
        raise ValueError(f"momentum_range ({lo}, {hi}) is longer than the "
                         f"Brillouin zone (2 pi): a Bloch phase is periodic")
    return (lo, hi)


@dataclasses.dataclass
class TransverseLocalDensity(LocalDensity):
    """A :class:`~kwant_noneq.density.LocalDensity` averaged over the
    transverse momentum, per transverse period.

    ``density_matrix`` is ``(1/2pi) int dk rho(k)`` (electrons per site of
    the supercell); ``error = energy_error + momentum_error``; ``grid`` is
    the energy grid when every momentum has the same one, else ``None``;
    ``counts`` is summed over the momenta (companion nodes included).

    Attributes
    ----------
    energy_error : float
        ``sum_j w_j error_j``: the weighted energy-quadrature estimates of
        the momenta, a bound for the error of the weighted sum.
    momentum_error : float
        Estimate of the momentum quadrature's error, ``max`` over the
        density matrix's entries (``inf`` where the rule has none: odd
        ``n`` for ``'uniform'``, ``n = 1`` for ``'gauss'``).
    momenta, weights : ndarray
        The rule's nodes (Bloch phase per period) and weights.
    per_momentum : list of LocalDensity
        The density at each node (the weights not applied).
    """

    energy_error: float = 0.0
    momentum_error: float = 0.0
    momenta: np.ndarray = None
    weights: np.ndarray = None
    per_momentum: list = None


class TransverseDensity:
    """Bias-window density integrated over a transverse Bloch momentum.

    Holds one :class:`~kwant_noneq.density.NonequilibriumDensity` per
    momentum node (each with its own lead modes and kept factorisations);
    calling it with a potential returns the momentum average
    ``(1/2pi) int dk rho(k)`` (:class:`TransverseLocalDensity`).  It has the
    call interface of a density (``__call__(potential, rtol)``,
    :meth:`response`), so :func:`kwant_noneq.scf.solve_exchange` iterates on
    it with ``density=``.

    Parameters
    ----------
    syst : kwant.system.FiniteSystem
        Finalized system with leads whose value functions take ``momentum``
        (e.g. from :func:`kwant.wraparound.wraparound`).
    chemical_potentials : sequence of float
        One per lead [eV].
    temperatures : float or sequence of float
        [K], ``>= 0``.
    params : dict, optional
        Kwant parameters without ``momentum`` (set here per node).
    momentum : str
        Name of the transverse-momentum parameter (default ``'k_y'``, the
        Bloch phase per transverse period, dimensionless).
    n_momenta : int
        Nodes of the rule (``>= 1``; even for the ``'uniform'`` estimate;
        ``'uniform'`` on a range narrower than the zone has ``n + 1``);
        panels for ``'panels'``.
    rule : {'uniform', 'gauss', 'panels'}
        See :func:`momentum_rule` and the module docstring.
    breakpoints, edges : optional
        ``'panels'`` only: the momenta where ``rho(k)`` has square-root
        points (:func:`mode_momenta`), see :func:`momentum_panels`.
    momentum_range : (float, float), optional
        Default the whole zone ``(-pi, pi)``; a narrower range only where
        the density vanishes outside it.
    allow_extra_params : iterable of str, or True
        As for :class:`~kwant_noneq.density.NonequilibriumDensity`.
    lead_modes : sequence of LeadModes, optional
        One store per node (e.g. shared by the realisations of a disorder
        ensemble), in node order, companions last.
    **density_kwargs :
        Passed to every :class:`~kwant_noneq.density.NonequilibriumDensity`
        (``n_panels``, ``reference_energy``, ``band_edges``, ``observable``,
        ``boltzmann``, ``ordering``, ``iterative``, ...).  Not ``states``
        (each node has its own) nor ``quadrature_tol`` (an adaptive grid
        per node is not supported here).

    Attributes
    ----------
    momenta, weights : ndarray
        The rule's nodes and weights.
    densities : list of NonequilibriumDensity
        One per node.
    companions : list of NonequilibriumDensity
        The ``'gauss'`` / ``'panels'`` estimate's extra nodes
        (:func:`companion_rule`; empty for ``'uniform'``).
    """

    def __init__(self, syst, chemical_potentials, temperatures=0.0, params=None,
                 *, momentum="k_y", n_momenta=8, rule="uniform",
                 momentum_range=None, allow_extra_params=(), lead_modes=None,
                 breakpoints=(), edges=None, **density_kwargs):
        # Every cheap check before the first node's lead modes.
        norbs = uniform_norbs(syst)
        check_reservoirs(len(syst.leads), chemical_potentials, temperatures,
                         density_kwargs.get("boltzmann", K_B))
        n, self.rule, self.momentum_range = check_momentum(
            syst, momentum, params, n_momenta, rule, momentum_range)
        for key, why in (("states", "every momentum has its own nodes"),
                         ("quadrature_tol", "an adaptive energy grid per "
                          "momentum is not supported; use a fixed grid "
                          "(n_panels, band_edges=True)"),
                         ("refinement_potential", "the grids are fixed")):
            if density_kwargs.get(key) is not None:
                raise ValueError(f"{key}= cannot be given to TransverseDensity: "
                                 f"{why}")
        self.momentum = momentum
        self.n_momenta = n
        self.breakpoints, self.edges = breakpoints, edges
        self.momenta, self.weights = momentum_rule(
            n, rule, self.momentum_range, breakpoints=breakpoints, edges=edges)
        extra = _companion_momenta(n, len(self.momenta), rule,
                                   self.momentum_range, breakpoints, edges)
        base = allow_extra(params, allow_extra_params or ())
        probe = allow_extra(base, ())
        probe[momentum] = 0.0
        check_params(syst, probe)
        nodes = len(self.momenta) + len(extra)
        if lead_modes is not None and len(lead_modes) != nodes:
            raise ValueError(f"lead_modes must hold one LeadModes per node "
                             f"({nodes}), got {len(lead_modes)}")
        self.nsites, self.norbs = len(syst.sites), norbs
        obs = density_kwargs.get("observable")
        self.observable = (None if obs is None
                           else check_onsite_operator(obs, self.nsites, norbs))

        def make(j, k):
            p = allow_extra(base, ())
            p[momentum] = float(k)
            return NonequilibriumDensity(
                syst, chemical_potentials, temperatures, p, allow_no_modes=True,
                lead_modes=None if lead_modes is None else lead_modes[j],
                **density_kwargs)

        self.densities = [make(j, k) for j, k in enumerate(self.momenta)]
        self.companions = [make(len(self.momenta) + j, k)
                           for j, k in enumerate(extra)]
        first = self.densities[0]
        self.window = first.window
        if len(first.grid) and not any(d.has_modes for d in self.densities):
            lo, hi = self.window
            raise ValueError(
                f"no lead has propagating modes in the energy window [{lo:.6g}, "
                f"{hi:.6g}] at any of the {len(self.momenta)} momenta {momentum} in "
                f"{self.momentum_range}: move chemical_potentials into a band "
                f"or add momenta")

    # -- bookkeeping ---------------------------------------------------------

    @property
    def all_densities(self):
        return self.densities + self.companions

    @property
    def states(self):
        """The :class:`~kwant_noneq.scattering.ScatteringStates` of every
        node (companions last)."""
        return [d.states for d in self.all_densities]

    @property
    def counts(self):
        """:class:`SolverCounts` of all nodes since construction (set-up
        included)."""
        total = SolverCounts()
        for d in self.all_densities:
            total = total + d.states.counts
        return total

    @property
    def factor_memory(self):
        """Bytes held by the kept factorisations of all nodes."""
        return sum(d.states.factor_memory for d in self.all_densities)

    @property
    def adaptive(self):
        """Always ``False``: the energy grids are fixed."""
        return False

    # -- results -------------------------------------------------------------

    def _average(self, arrays):
        return np.tensordot(self.weights, np.asarray(arrays), axes=1)

    def _lower(self, main, extra):
        """The lower rule's result for the estimate, or ``None``."""
        return coarse_rule_average(main, extra, self.weights, self.rule,
                                   self.momentum_range,
                                   breakpoints=self.breakpoints, edges=self.edges)

    def __call__(self, potential=None, rtol=None):
        """The momentum-averaged local density with ``potential`` (sparse,
        the scattering region's orbitals [eV], the same at every momentum)
        added; ``rtol`` as for
        :meth:`~kwant_noneq.density.NonequilibriumDensity.__call__`.

        Returns
        -------
        TransverseLocalDensity
        """
        per = [d(potential, rtol) for d in self.densities]
        extra = [d(potential, rtol) for d in self.companions]
        rho = self._average([r.density_matrix for r in per])
        lower = self._lower([r.density_matrix for r in per],
                            [r.density_matrix for r in extra])
        k_err = (np.inf if lower is None
                 else float(np.max(np.abs(rho - lower), initial=0.0)))
        e_err = float(np.dot(self.weights, [r.error for r in per]))
        obs_err = e_err + k_err
        if self.observable is not None:
            o_err = float(np.dot(self.weights, [r.observable_error for r in per]))
            if lower is None:
                obs_err = np.inf
            else:
                diff = np.einsum("oiab,iba->oi", np.broadcast_to(
                    self.observable, (self.observable.shape[0],) + rho.shape),
                    rho - lower).real
                obs_err = o_err + float(np.max(np.abs(diff), initial=0.0))
        counts = SolverCounts()
        for r in per + extra:
            counts = counts + r.counts
        grids = [r.grid for r in per]
        same = all(len(g) == len(grids[0])
                   and np.array_equal(g.energies, grids[0].energies) for g in grids)
        return TransverseLocalDensity(
            rho, e_err + k_err, grids[0] if same else None, counts, obs_err, None,
            energy_error=e_err, momentum_error=k_err, momenta=self.momenta,
            weights=self.weights, per_momentum=per)

    def response(self, potential, perturbation, rtol=None):
        """Momentum average of the linear response ``d rho / d V
        [perturbation]`` (:meth:`NonequilibriumDensity.response`), shape
        ``(nsites, norbs, norbs)``."""
        return self._average([d.response(potential, perturbation, rtol)
                              for d in self.densities])
