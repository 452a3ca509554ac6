"""Adaptive refinement of an energy integral (QUADPACK QAG, tkwant's
``refine_intervals``).

Every panel (:class:`~kwant_noneq.quadrature.Panel`) is integrated with the
:data:`~kwant_noneq.quadrature.GAUSS_POINTS`-point Gauss-Legendre rule, and
so are its two halves; the panel's error estimate is

    e_p = max_c | G5(panel) - G5(left half) - G5(right half) |,

the largest over the components ``c`` of the integrand (every site and
operator of an observable).  The panel with the largest ``e_p`` is bisected
(in its own variable, keeping the momentum substitution of a band edge)
until ``sum_p e_p <= max(atol, rtol * max_c |I_c|)``.  The halves of a
bisected panel already carry their own nodes, so a bisection costs the
``4 * GAUSS_POINTS`` nodes of the four quarters.

The result keeps each accepted panel's own nodes only, ``GAUSS_POINTS`` per
panel: the estimate ``e_p`` bounds the error of that coarse rule (the
halves' rule is more accurate still, but is not what is kept).
"""
import dataclasses

import numpy as np

from .quadrature import GAUSS_POINTS, QuadratureError, gauss_nodes

__all__ = ["QuadratureEstimate", "Refinement", "refine_panels",
           "estimate_panels"]


@dataclasses.dataclass(frozen=True)
class QuadratureEstimate:
    """Error estimate of an adaptive energy integral.

    Attributes
    ----------
    error : float
        ``sum_p e_p`` over the accepted panels, in the unit of the
        observable (module docstring).
    tolerance : float
        The absolute target ``max(atol, rtol * scale)``.
    scale : float
        ``max_c |I_c|``, the largest component of the integral.
    rtol, atol : float
        The requested relative and absolute tolerances.
    n_panels : int
        Accepted panels.
    n_nodes : int
        Nodes of the frozen grid, ``GAUSS_POINTS * n_panels``.
    n_evaluations : int
        Energies at which the integrand was evaluated to obtain this
        estimate (the halves' nodes included).
    panel_errors : ndarray, shape (n_panels,)
        ``e_p`` per panel, in the grid's panel order.
    tracked_error : float or None
        The same estimate for a second, tracked quantity (the density
        matrix's entries when the observable is something else).
    """

    error: float
    tolerance: float
    scale: float
    rtol: float
    atol: float
    n_panels: int
    n_nodes: int
    n_evaluations: int
    panel_errors: np.ndarray
    tracked_error: float = None

    @property
    def converged(self):
        """``error <= tolerance``."""
        return bool(self.error <= self.tolerance)

    @property
    def density_matrix_error(self):
        """The estimate for the density matrix's entries: ``tracked_error``
        when another observable steered the grid, else ``error``."""
        return self.error if self.tracked_error is None else self.tracked_error


@dataclasses.dataclass(frozen=True)
class Refinement:
    """Result of :func:`refine_panels`.

    Attributes
    ----------
    panels : list of Panel
        The accepted panels, in increasing energy.
    integral : ndarray
        ``sum_p G5(p)`` of the control quantity.
    estimate : QuadratureEstimate
    """

    panels: list
    integral: np.ndarray
    estimate: QuadratureEstimate


def _split(values):
    if isinstance(values, tuple):
        control, tracked = values
    else:
        control, tracked = values, None
    return np.asarray(control), None if tracked is None else np.asarray(tracked)


class _Evaluator:
    """Integrals of ``integrand`` over panels, one call per batch."""

    def __init__(self, integrand):
        self.integrand = integrand
        self.evaluations = 0

    def __call__(self, panels):
        """``[(control, tracked)]`` integrals of each panel."""
        rules = [gauss_nodes(p) for p in panels]
        if not rules:
            return []
        energies = np.concatenate([e for e, _ in rules])
        control, tracked = _split(self.integrand(energies))
        self.evaluations += len(energies)
        out = []
        for i, (_, w) in enumerate(rules):
            sl = slice(i * GAUSS_POINTS, (i + 1) * GAUSS_POINTS)
            c = np.tensordot(w, control[sl], axes=1)
            t = None if tracked is None else np.tensordot(w, tracked[sl], axes=1)
            out.append((c, t))
        return out


@dataclasses.dataclass
class _Leaf:
    panel: object
    own: tuple          # (control, tracked) of G5(panel)
    halves: tuple       # the same of its two halves

    @property
    def error(self):
        return float(np.max(np.abs(self.own[0] - self.halves[0][0]
                                   - self.halves[1][0]), initial=0.0))

    @property
    def tracked_error(self):
        if self.own[1] is None:
            return None
        return float(np.max(np.abs(self.own[1] - self.halves[0][1]
                                   - self.halves[1][1]), initial=0.0))


def _leaves(panels, evaluate, own=None):
    """Leaves with their halves evaluated (``own``: their integrals when
    already known, else evaluated too)."""
    halves = [h for p in panels for h in p.halves()]
    if own is None:
        values = evaluate(list(panels) + halves)
        own, hv = values[:len(panels)], values[len(panels):]
    else:
        hv = evaluate(halves)
    return [_Leaf(p, o, (hv[2 * i], hv[2 * i + 1]))
            for i, (p, o) in enumerate(zip(panels, own))]


def _estimate(leaves, rtol, atol, evaluations):
    integral = sum(leaf.own[0] for leaf in leaves)
    scale = float(np.max(np.abs(integral), initial=0.0))
    errors = np.array([leaf.error for leaf in leaves])
    tracked = [leaf.tracked_error for leaf in leaves]
    tracked = None if any(t is None for t in tracked) else float(np.sum(tracked))
    est = QuadratureEstimate(
        error=float(errors.sum()), tolerance=max(float(atol), float(rtol) * scale),
        scale=scale, rtol=float(rtol), atol=float(atol), n_panels=len(leaves),
        n_nodes=GAUSS_POINTS * len(leaves), n_evaluations=evaluations,
        panel_errors=errors, tracked_error=tracked)
    return integral, est


def _check_tolerances(rtol, atol, max_panels):
    if not (np.isfinite(rtol) and rtol >= 0 and np.isfinite(atol) and atol >= 0):
        raise ValueError(f"tolerances must be finite and >= 0, got rtol={rtol}, "
                         f"atol={atol}")
    if rtol == 0 and atol == 0:
        raise ValueError("give a tolerance: rtol > 0 or atol > 0")
    if int(max_panels) < 1:
        raise ValueError(f"max_panels must be >= 1, got {max_panels}")


def refine_panels(panels, integrand, *, rtol, atol=0.0, max_panels=200):
    """Bisect ``panels`` until the integral of ``integrand`` meets the
    tolerance.

    Parameters
    ----------
    panels : sequence of Panel
        The starting panels (breakpoints at their ends).
    integrand : callable
        ``integrand(energies)`` for a 1D array of energies [eV] returns an
        array ``(len(energies), ...)`` (the control quantity) or a tuple
        ``(control, tracked)`` of two such arrays; only ``control`` steers
        the refinement, ``tracked`` gets an estimate too.
    rtol : float
        Relative to ``max_c |I_c|``, the largest component of the integral.
    atol : float
        Absolute, in the unit of the integral.
    max_panels : int
        Bisections stop with :class:`QuadratureError` beyond this many
        panels.

    Returns
    -------
    Refinement

    Raises
    ------
    QuadratureError
        When the tolerance is not met with ``max_panels`` panels, or a panel
        became too narrow to bisect in floating point.
    """
    rtol, atol = float(rtol), float(atol)
    _check_tolerances(rtol, atol, max_panels)
    panels = list(panels)
    if len(panels) > max_panels:
        raise QuadratureError(f"{len(panels)} starting panels exceed "
                              f"max_panels={max_panels}: raise max_panels")
    evaluate = _Evaluator(integrand)
    leaves = _leaves(panels, evaluate)
    while True:
        integral, est = _estimate(leaves, rtol, atol, evaluate.evaluations)
        if est.converged:
            break
        worst = int(np.argmax(est.panel_errors))
        if len(leaves) >= max_panels:
            raise QuadratureError(
                f"the energy integral did not reach its tolerance "
                f"{est.tolerance:.3g} (rtol={rtol:g}, atol={atol:g}) with "
                f"max_panels={max_panels} panels: error estimate "
                f"{est.error:.3g}, largest on the panel "
                f"{_range_text(leaves[worst].panel)}.  Raise max_panels, "
                f"loosen quadrature_tol, or (a resonance or band edge there) "
                f"check that band_edges is on")
        leaf = leaves[worst]
        p = leaf.panel
        mid = (p.lo + p.hi) / 2
        if not p.lo < mid < p.hi or np.ptp(p.energy_range) <= 64 * np.finfo(float).eps * max(
                1.0, *np.abs(p.energy_range)):
            raise QuadratureError(
                f"the panel {_range_text(p)} is too narrow to bisect while its "
                f"error estimate {est.panel_errors[worst]:.3g} exceeds the "
                f"tolerance {est.tolerance:.3g}: the integrand is not "
                f"integrable there or the tolerance is below its round-off; "
                f"loosen quadrature_tol or add quadrature_atol")
        children = _leaves(p.halves(), evaluate, own=leaf.halves)
        leaves[worst:worst + 1] = children
    leaves.sort(key=lambda leaf: leaf.panel.energy_range[0])
    integral, est = _estimate(leaves, rtol, atol, evaluate.evaluations)
    return Refinement([leaf.panel for leaf in leaves], integral, est)


def estimate_panels(panels, integrand, *, rtol, atol=0.0):
    """:class:`QuadratureEstimate` of ``panels`` for ``integrand`` (as in
    :func:`refine_panels`, without refining): each panel and its halves are
    evaluated, ``3 * GAUSS_POINTS`` nodes per panel."""
    rtol, atol = float(rtol), float(atol)
    evaluate = _Evaluator(integrand)
    leaves = _leaves(list(panels), evaluate)
    return _estimate(leaves, rtol, atol, evaluate.evaluations)[1]


def _range_text(panel):
    lo, hi = panel.energy_range
    return f"[{lo:.6g}, {hi:.6g}] eV"
