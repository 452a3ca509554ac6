"""Band edges of Kwant leads: where a lead's number of propagating modes
changes.

At a band edge ``E_b`` (an extremum of a subband ``E_n(k)``) a pair of modes
opens or closes, and the scattering-state density has a ``1 / sqrt(E - E_b)``
singularity on the open side (unit-current normalisation: ``1/|v|``) and a
square-root cusp on the other.  An energy quadrature needs a breakpoint
there (:mod:`kwant_noneq.quadrature`, docs/energy_grids.md).

The edges are found from the lead's band structure
(:class:`kwant.physics.Bands`) on a dense, periodic mesh in ``k``: every
local extremum of a sorted band on the mesh is refined by a bounded Brent
minimisation (:func:`scipy.optimize.minimize_scalar`).  Sorted bands have
kinks where two bands cross; a kink looks like an extremum of each of the
two sorted bands, but the number of modes does not change there.  Every
candidate is therefore kept only if the mode count, counted from the mesh
(with the refined extrema inserted), differs just below and just above it.

Energies in the Hamiltonian's unit (eV for :mod:`systems`); ``k`` per unit
cell of the lead, Kwant's convention.
"""
import kwant
import kwant.system
import numpy as np
import scipy.optimize

from . import checks

__all__ = ["lead_band_edges", "mode_count", "with_band_edges"]


def _leads(syst):
    if isinstance(syst, kwant.system.InfiniteSystem):
        return [syst]
    if isinstance(syst, kwant.system.FiniteSystem):
        if not syst.leads:
            raise ValueError("the system has no leads: band edges belong to "
                             "leads (attach leads before finalizing)")
        if any(kwant.system.is_selfenergy_lead(lead) for lead in syst.leads):
            raise ValueError("self-energy leads have no band structure; use "
                             "leads with modes")
        return list(syst.leads)
    raise TypeError("expected a finalized Kwant lead (InfiniteSystem) or a "
                    "finalized system with leads (FiniteSystem), got "
                    f"{type(syst).__name__}")


def mode_count(k, bands, energy):
    """Propagating modes (one direction) at ``energy`` from sampled bands.

    Parameters
    ----------
    k : ndarray, shape (nk,)
        Sorted momenta covering one period [1 / unit cell].
    bands : ndarray, shape (nk, nbands)
        ``E_n(k)`` [eV].
    energy : float
        [eV].

    Returns
    -------
    int
        Half the number of sign changes of ``E_n(k) - energy`` around the
        (periodic) mesh, summed over bands: every crossing of a band is a
        right or a left mover, and they come in pairs.
    """
    del k  # the order of the rows is all that matters
    a = np.asarray(bands) - energy
    b = np.roll(a, -1, axis=0)
    return int(np.count_nonzero((a < 0) != (b < 0))) // 2


def _sample(bands, k):
    return np.array([bands(kk) for kk in k], float)


def _extrema(bands, k, values, lower=-np.inf, upper=np.inf):
    """Refined local extrema ``(k, energy)`` of each sorted band that may
    lie in ``[lower, upper]``."""
    nk = len(k)
    dk = 2 * np.pi / nk
    found = []
    prev, nxt = np.roll(values, 1, axis=0), np.roll(values, -1, axis=0)
    for sign in (1.0, -1.0):            # minima, then maxima
        v, p, q = sign * values, sign * prev, sign * nxt
        # A mesh minimum v_j lies above the band's minimum in the bracket
        # [k_j-1, k_j+1] by at most max(p, q) - v_j (parabola; less at a
        # kink): only candidates whose range meets the interval are refined
        # (a ribbon's sorted bands have many kinks far from the window).
        reach = np.maximum(p, q) - v
        lo, hi = sorted((sign * lower, sign * upper))
        j, n = np.nonzero((v < p) & (v <= q) & (v >= lo) & (v - reach <= hi))
        for jj, nn in zip(j, n):
            def f(kk, nn=nn):
                return sign * bands(kk)[nn]
            res = scipy.optimize.minimize_scalar(
                f, bounds=(k[jj] - dk, k[jj] + dk), method="bounded",
                options=dict(xatol=1e-10))
            kk = float(res.x) if res.fun <= v[jj, nn] else float(k[jj])
            found.append((kk, sign * min(float(res.fun), v[jj, nn])))
    return found


def lead_band_edges(syst, params=None, lower=-np.inf, upper=np.inf, *, nk=1024):
    """Energies in ``[lower, upper]`` where a lead's mode count changes.

    Parameters
    ----------
    syst : kwant.system.InfiniteSystem or kwant.system.FiniteSystem
        One finalized lead, or a finalized system (the union over its leads).
    params : dict, optional
        Kwant parameters of the lead(s).
    lower, upper : float
        Energy interval [eV].
    nk : int
        Points of the periodic k mesh (cost: ``nk`` diagonalisations of the
        lead's unit cell per lead, plus ~30 per extremum).  Two extrema
        closer than ``2 pi / nk`` in ``k`` can be missed.

    Returns
    -------
    ndarray
        Sorted, distinct band edges [eV] (empty if none lies in the interval).
    """
    nk = checks.integer("nk", nk, minimum=8,
                        remedy="the k mesh that brackets the band extrema")
    lower = float(lower)
    upper = float(upper)
    if np.isnan(lower) or np.isnan(upper) or lower > upper:
        raise ValueError(f"need lower <= upper [eV], got {lower}, {upper}")
    edges = []
    for lead in _leads(syst):
        edges.extend(_edges_of_lead(lead, params, lower, upper, nk))
    edges = np.sort(np.array(edges, float))
    if len(edges) > 1:
        scale = max(np.max(np.abs(edges)), 1.0)
        edges = edges[np.concatenate([[True], np.diff(edges) > 1e-12 * scale])]
    return edges


def _edges_of_lead(lead, params, lower, upper, nk):
    bands = kwant.physics.Bands(lead, params=params)
    k = np.linspace(-np.pi, np.pi, nk, endpoint=False)
    values = _sample(bands, k)
    if values.size == 0:
        return []
    candidates = [(kk, e) for kk, e in _extrema(bands, k, values, lower, upper)
                  if lower <= e <= upper]
    if not candidates:
        return []
    # The mesh with the refined extrema inserted: every opening pair of
    # crossings is resolved just beyond the extremum.
    extra = np.array([kk for kk, _ in candidates])
    extra = (extra + np.pi) % (2 * np.pi) - np.pi
    kall = np.concatenate([k, extra])
    vall = np.concatenate([values, _sample(bands, extra)])
    order = np.argsort(kall, kind="stable")
    kall, vall = kall[order], vall[order]
    width = float(np.ptp(values)) or 1.0
    # Below the resolution of the mesh around an extremum (curvature
    # * dk^2 ~ width * (2 pi / nk)^2) and far above the refinement's error.
    delta = 1e-3 * width * (2 * np.pi / nk) ** 2
    kept = []
    for _, e in candidates:
        if mode_count(kall, vall, e - delta) != mode_count(kall, vall, e + delta):
            kept.append(e)
    return kept


def with_band_edges(syst, params, breakpoints, *, nk=1024):
    """Add the leads' band edges inside ``[min, max]`` of ``breakpoints``.

    Parameters
    ----------
    syst : kwant.system.FiniteSystem or InfiniteSystem
    params : dict
    breakpoints : array of float
        Interval ends of an energy integral [eV] (window ends, chemical
        potentials).
    nk : int
        See :func:`lead_band_edges`.

    Returns
    -------
    breakpoints : ndarray
        Sorted union of ``breakpoints`` and the band edges.
    edges : ndarray
        The band edges among them.  An edge within ``1e-10`` of the range's
        width from a given breakpoint is moved onto it (no sliver panel).
    """
    b = np.unique(np.asarray(breakpoints, float))
    if len(b) < 2:
        return b, np.zeros(0)
    width = b[-1] - b[0]
    edges = []
    for e in lead_band_edges(syst, params, b[0], b[-1], nk=nk):
        near = b[np.abs(b - e) <= 1e-10 * width]
        edges.append(float(near[0]) if len(near) else float(e))
    edges = np.unique(np.array(edges, float))
    return np.unique(np.concatenate([b, edges])), edges
