"""Energy quadrature: composite Gauss-Kronrod (7, 15) panels, Gauss-Legendre
panels, and the momentum substitution at band edges.

Each Gauss-Kronrod panel carries the 15 Kronrod nodes; the 7 Gauss nodes are
a subset, so one evaluation of the integrand at the 15 nodes gives both the
integral and an error estimate ``|K15 - G7|`` (summed over panels).  All
leads are evaluated at the same nodes, so one factorisation serves every
lead.

A :class:`Panel` is an interval in a variable ``t`` with a map to energy:
``E = t`` (plain) or ``E = origin + sign * t**2`` (the momentum substitution
at a lead band edge ``origin``, ``t >= 0``).  Near a band edge ``E_b`` the
scattering-state density behaves as ``1 / sqrt(E - E_b)`` on the side where a
mode opens and has a ``sqrt(E_b - E)`` cusp on the other; with
``E = E_b +- u**2``, ``dE = 2 u du``, both become smooth in ``u``, so a
Gauss rule in ``u`` converges fast again (as in tkwant).  Bisection of a
panel bisects ``t``: the halves keep the map.  The adaptive refinement is in
:mod:`kwant_noneq.refinement`.
"""
import dataclasses

import numpy as np

from . import checks

__all__ = ["EnergyGrid", "gauss_kronrod_grid", "integrate", "Panel",
           "GAUSS_POINTS", "gauss_nodes", "panels_between", "gauss_grid",
           "gauss_legendre", "QuadratureError", "QuadratureWarning"]


class QuadratureError(RuntimeError):
    """An energy integral cannot reach its requested tolerance within the
    allowed panels (``max_panels``), or a panel became too narrow to bisect;
    the message names the remedy."""


class QuadratureWarning(RuntimeWarning):
    """An energy integral's error estimate exceeds its tolerance (e.g. at a
    self-consistent field other than the one the grid was refined at)."""

# QUADPACK qk15 abscissae (positive half, descending) and weights.
_XGK = np.array([0.991455371120812639206854697526329,
                 0.949107912342758524526189684047851,
                 0.864864423359769072789712788640926,
                 0.741531185599394439863864773280788,
                 0.586087235467691130294144845693013,
                 0.405845151377397166906606412076961,
                 0.207784955007898467600689403773245,
                 0.000000000000000000000000000000000])
_WGK = np.array([0.022935322010529224963732008058970,
                 0.063092092629978553290700663189204,
                 0.104790010322250183839876322541518,
                 0.140653259715525918745189590510238,
                 0.169004726639267902826583426598550,
                 0.190350578064785409913256402421014,
                 0.204432940075298892414161999234649,
                 0.209482141084727828012999174891714])
_WG = np.array([0.129484966168869693270611432679082,
                0.279705391489276667901467771423780,
                0.381830050505118944950369775488975,
                0.417959183673469387755102040816327])

# Nodes on [-1, 1] in ascending order, with Kronrod and Gauss weights (the
# Gauss weight is zero on the nodes that only Kronrod uses).
_X = np.concatenate([-_XGK[:-1], _XGK[::-1]])
_WK = np.concatenate([_WGK[:-1], _WGK[::-1]])
_wg_full = np.zeros(8)
_wg_full[1::2] = _WG
_WGF = np.concatenate([_wg_full[:-1], _wg_full[::-1]])


@dataclasses.dataclass(frozen=True)
class EnergyGrid:
    """Quadrature nodes shared by all leads.

    Attributes
    ----------
    energies : ndarray, shape (n,)
        Nodes [same unit as the Hamiltonian, e.g. eV].
    kronrod_weights, gauss_weights : ndarray, shape (n,)
        Weights of the two nested rules (Gauss weights vanish on
        Kronrod-only nodes).
    panel : ndarray of int, shape (n,)
        Panel index of each node (for per-panel error estimates).
    """

    energies: np.ndarray
    kronrod_weights: np.ndarray
    gauss_weights: np.ndarray
    panel: np.ndarray

    def __len__(self):
        return len(self.energies)


def gauss_kronrod_grid(breakpoints, n_panels, edges=()):
    """Composite G7/K15 grid on ``[breakpoints[0], breakpoints[-1]]``.

    Parameters
    ----------
    breakpoints : sequence of float
        Sorted interval ends; panels never straddle a breakpoint (put the
        chemical potentials there: the integrand has kinks at T = 0).
    n_panels : int
        Total number of panels, distributed over the intervals in proportion
        to their length (at least one each).
    edges : sequence of float, optional
        Breakpoints that are lead band edges: the panels touching them use
        the momentum substitution (:func:`panels_between`).  Without any,
        the grid is the plain one, node for node.
    """
    if len(edges):
        return _kronrod_panels_grid(panels_between(breakpoints, n_panels, edges))
    b = np.unique(np.asarray(breakpoints, float))
    if len(b) < 2:
        raise ValueError("need at least two distinct breakpoints")
    if int(n_panels) < len(b) - 1:
        n_panels = len(b) - 1
    lengths = np.diff(b)
    counts = np.maximum(1, np.round(n_panels * lengths / lengths.sum())).astype(int)
    edges = np.concatenate([np.linspace(lo, hi, c + 1)[:-1]
                            for lo, hi, c in zip(b[:-1], b[1:], counts)] + [b[-1:]])
    lo, hi = edges[:-1, None], edges[1:, None]
    half = (hi - lo) / 2
    energies = (lo + hi) / 2 + half * _X
    return EnergyGrid(energies.ravel(), (half * _WK).ravel(),
                      (half * _WGF).ravel(),
                      np.repeat(np.arange(len(lo)), len(_X)))


def integrate(grid, values):
    """Integrate sampled ``values`` (first axis = nodes) over ``grid``.

    Returns
    -------
    integral : ndarray
        Kronrod estimate.
    error : float
        ``max |K15 - G7|`` over the remaining axes (a conservative bound for
        smooth integrands).
    """
    values = np.asarray(values)
    shape = (-1,) + (1,) * (values.ndim - 1)
    k = np.sum(values * grid.kronrod_weights.reshape(shape), axis=0)
    g = np.sum(values * grid.gauss_weights.reshape(shape), axis=0)
    return k, float(np.max(np.abs(k - g), initial=0.0))


#: Nodes of one Gauss-Legendre panel of the adaptive grid (exact for
#: polynomials to degree ``2 * GAUSS_POINTS - 1 = 9`` in the panel variable).
GAUSS_POINTS = 5
_XG5, _WG5 = np.polynomial.legendre.leggauss(GAUSS_POINTS)


@dataclasses.dataclass(frozen=True)
class Panel:
    """An integration panel ``[lo, hi]`` in a variable ``t`` mapped to energy.

    Attributes
    ----------
    lo, hi : float
        Ends in ``t`` (``lo < hi``); energy [eV] for a plain panel, the
        momentum-like ``u`` [eV^(1/2)] for a substituted one.
    origin : float or None
        ``None``: plain, ``E = t``.  Otherwise the band edge [eV] of the
        substitution ``E = origin + sign * t**2``, ``t >= 0``.
    sign : int
        ``+1`` (panel above the band edge) or ``-1`` (below it).
    """

    lo: float
    hi: float
    origin: float = None
    sign: int = 1

    def energy(self, t):
        """Energy [eV] at ``t``."""
        t = np.asarray(t, float)
        if self.origin is None:
            return t
        return self.origin + self.sign * t * t

    def jacobian(self, t):
        """``|dE/dt|`` at ``t``."""
        t = np.asarray(t, float)
        return np.ones_like(t) if self.origin is None else 2 * np.abs(t)

    @property
    def energy_range(self):
        """``(E_min, E_max)`` [eV] covered by the panel."""
        a, b = float(self.energy(self.lo)), float(self.energy(self.hi))
        return (min(a, b), max(a, b))

    def nodes(self, x, w):
        """Energies and weights of the reference rule ``(x, w)`` on
        ``[-1, 1]`` mapped onto the panel (weights include ``|dE/dt|``)."""
        half = (self.hi - self.lo) / 2
        t = (self.lo + self.hi) / 2 + half * np.asarray(x)
        return self.energy(t), half * np.asarray(w) * self.jacobian(t)

    def halves(self):
        """The two panels of the bisection in ``t`` (same map)."""
        mid = (self.lo + self.hi) / 2
        return (dataclasses.replace(self, hi=mid),
                dataclasses.replace(self, lo=mid))


def gauss_legendre(center, width, n):
    """The ``n``-point Gauss-Legendre rule on ``[center - width/2, center +
    width/2]``.

    Exact for polynomials of degree ``2 n - 1``; for a smooth integrand
    (e.g. a disorder-averaged reflection over a bias window) a few nodes
    suffice.

    Parameters
    ----------
    center : float
        Middle of the interval [eV] (any unit: the nodes carry it).
    width : float
        Length of the interval [eV], > 0.
    n : int
        Number of nodes, >= 1.

    Returns
    -------
    nodes, weights : ndarray, shape (n,)
        Nodes [eV] in increasing order and weights [eV] summing to ``width``.
    """
    center = checks.real_number("center", center, unit="eV")
    width = checks.real_number("width", width, unit="eV", positive=True)
    n = checks.integer("n", n, minimum=1)
    x, w = np.polynomial.legendre.leggauss(n)
    return center + x * width / 2, w * width / 2


def gauss_nodes(panel):
    """The :data:`GAUSS_POINTS` Gauss-Legendre energies and weights of
    ``panel``."""
    return panel.nodes(_XG5, _WG5)


def panels_between(breakpoints, n_panels, edges=()):
    """Panels on ``[breakpoints[0], breakpoints[-1]]``, the substitution on
    those that touch a band edge.

    Parameters
    ----------
    breakpoints : sequence of float
        Interval ends [eV] (sorted or not; duplicates merged).  Panels never
        straddle one.
    n_panels : int
        Total number of panels, distributed over the intervals in
        proportion to their length (at least one each), as
        :func:`gauss_kronrod_grid` does.
    edges : sequence of float
        The breakpoints that are lead band edges.  An interval with a band
        edge at one end is parametrised by ``u`` with ``E = edge +- u**2``
        and its panels divide ``u`` evenly; an interval with band edges at
        both ends is first split at its midpoint.

    Returns
    -------
    list of Panel
        In increasing energy.
    """
    b = np.unique(np.asarray(breakpoints, float))
    if len(b) < 2:
        raise ValueError("need at least two distinct breakpoints")
    edges = np.asarray(edges, float)
    is_edge = np.isin(b, edges)
    if np.any(is_edge[:-1] & is_edge[1:]):
        both = np.nonzero(is_edge[:-1] & is_edge[1:])[0]
        b = np.sort(np.concatenate([b, (b[both] + b[both + 1]) / 2]))
        is_edge = np.isin(b, edges)
    n_panels = max(int(n_panels), len(b) - 1)
    lengths = np.diff(b)
    counts = np.maximum(1, np.round(n_panels * lengths / lengths.sum())).astype(int)
    panels = []
    for lo, hi, c, e_lo, e_hi in zip(b[:-1], b[1:], counts, is_edge[:-1],
                                     is_edge[1:]):
        if e_lo or e_hi:
            origin, sign = (lo, 1) if e_lo else (hi, -1)
            u = np.linspace(0.0, np.sqrt(hi - lo), c + 1)
            pieces = [Panel(float(a), float(z), float(origin), sign)
                      for a, z in zip(u[:-1], u[1:])]
            panels.extend(pieces if sign > 0 else pieces[::-1])
        else:
            t = np.linspace(lo, hi, c + 1)
            panels.extend(Panel(float(a), float(z)) for a, z in zip(t[:-1], t[1:]))
    return panels


def gauss_grid(panels):
    """:class:`EnergyGrid` of the Gauss-Legendre nodes of ``panels``.

    Both weight arrays hold the Gauss weights (the rule carries no
    embedded estimate: the adaptive refinement estimates its error from the
    panels' halves, :mod:`kwant_noneq.refinement`).
    """
    if not panels:
        z = np.zeros(0)
        return EnergyGrid(z, z, z, np.zeros(0, int))
    e, w = zip(*(gauss_nodes(p) for p in panels))
    e, w = np.concatenate(e), np.concatenate(w)
    return EnergyGrid(e, w, w.copy(), np.repeat(np.arange(len(panels)), GAUSS_POINTS))


def _kronrod_panels_grid(panels):
    e, wk, wg = [], [], []
    for p in panels:
        e.append(p.nodes(_X, _WK)[0])
        wk.append(p.nodes(_X, _WK)[1])
        wg.append(p.nodes(_X, _WGF)[1])
    return EnergyGrid(np.concatenate(e), np.concatenate(wk), np.concatenate(wg),
                      np.repeat(np.arange(len(panels)), len(_X)))
