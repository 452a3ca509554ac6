"""Energy quadrature: composite Gauss-Kronrod (7, 15) panels.

Each panel carries the 15 Kronrod nodes; the 7 Gauss nodes are a subset, so
one evaluation of the integrand at the 15 nodes gives both the integral and
an error estimate ``|K15 - G7|`` (summed over panels).  All leads are
evaluated at the same nodes, so one factorisation serves every lead.
"""
import dataclasses

import numpy as np

__all__ = ["EnergyGrid", "gauss_kronrod_grid", "integrate"]

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


def gauss_kronrod_grid(breakpoints, n_panels):
    """Composite G7/K15 grid on ``[breakpoints[0], breakpoints[-1]]``.

    Parameters
    ----------
    breakpoints : sequence of float
        Sorted interval ends; panels never straddle a breakpoint (put the
        chemical potentials there: the integrand has kinks at T = 0).
    n_panels : int
        Total number of panels, distributed over the intervals in proportion
        to their length (at least one each).
    """
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
