"""Regions of a finite system: masks, onsite operators and interaction
kernels restricted to them.

A *region* is either a boolean mask over ``syst.sites`` or a callable
``site -> bool`` (e.g. ``lambda s: s.tag[2] == N - 1`` for the top layer of a
slab).  An operator restricted to a region is the operator on its sites and
zero elsewhere; a mean field that lives on a region comes from a kernel
``V_ij`` that vanishes unless both ``i`` and ``j`` are in it (then the
exchange field ``h_i = -sum_j V_ij s_j`` vanishes outside, and only the
region's spin density enters).
"""
import numpy as np

from . import checks
from .density import check_onsite_operator
from .exchange import contact_kernel, range_kernel

__all__ = ["region_mask", "region_operator", "region_kernel", "ramp_envelope"]


def region_mask(sites, region):
    """Boolean mask ``(nsites,)`` of ``region`` over ``sites``.

    Parameters
    ----------
    sites : sequence of kwant sites
        ``syst.sites`` of a finalized system.
    region : array of bool (nsites,) or callable
        A mask, or ``site -> bool``.
    """
    sites = list(sites)
    if callable(region):
        mask = np.array([bool(region(s)) for s in sites], bool)
    else:
        mask = np.asarray(region)
        if mask.dtype != bool:
            raise TypeError(f"region must be a boolean mask over the sites or "
                            f"a function site -> bool, got an array of dtype "
                            f"{mask.dtype}")
        if mask.shape != (len(sites),):
            raise ValueError(f"region mask has shape {mask.shape}, the system "
                             f"has {len(sites)} sites")
    if not mask.any():
        raise ValueError("region contains no site")
    return mask


def region_operator(sites, operator, region, norbs):
    """``operator`` on the sites of ``region``, zero elsewhere.

    Parameters
    ----------
    sites : sequence of kwant sites
    operator : array
        Any format of :func:`~kwant_noneq.density.check_onsite_operator`:
        ``(norbs, norbs)``, ``(nops, norbs, norbs)`` or per-site
        ``(nops, nsites, norbs, norbs)``.
    region : mask or callable
        See :func:`region_mask`.
    norbs : int
        Orbitals per site.

    Returns
    -------
    ndarray (nops, nsites, norbs, norbs), for
    :meth:`~kwant_noneq.density.LocalDensity.expectation`.
    """
    mask = region_mask(sites, region)
    op = check_onsite_operator(operator, len(mask), norbs)
    op = np.broadcast_to(op, (op.shape[0], len(mask), norbs, norbs))
    return op * mask[None, :, None, None]


def region_kernel(sites, U=None, region=None, *, V=None, cutoff=None):
    """An interaction kernel ``V_ij`` [eV] that lives on ``region``.

    Contact ``V_ij = U delta_ij`` (give ``U``) or finite range
    ``V(|r_i - r_j|)`` up to ``cutoff`` (give ``V`` and ``cutoff``, as
    :func:`~kwant_noneq.exchange.range_kernel`), with rows and columns
    outside ``region`` zero: pass it as ``kernel=`` to
    :func:`~kwant_noneq.scf.solve_exchange`.
    """
    if region is None:
        raise TypeError("region is required (a mask or a function site -> bool)")
    mask = region_mask(sites, region)
    if (U is None) == (V is None):
        raise ValueError("give exactly one of U (contact) or V (range, with "
                         "cutoff)")
    if U is not None:
        return contact_kernel(sites, checks.real_number("U", U, unit="eV"),
                              where=mask)
    if cutoff is None:
        raise ValueError("a range kernel V needs cutoff")
    return range_kernel(sites, V, cutoff, where=mask)


def ramp_envelope(x, length, ramp):
    """Smooth envelope of a field region ``0 <= x < length``: 1 inside, switched
    on and off over ``ramp`` at both ends.

    The switch is the C-infinity step ``phi(t) / (phi(t) + phi(1 - t))``,
    ``phi(t) = exp(-1/t)``, so that the ends of the region do not reflect:
    the reflection of a state of momentum ``k`` off such a switch falls
    faster than any power of ``1 / (k ramp)``, where an abrupt end reflects
    at first order in the field.  Used to switch on an exchange field along
    a helical edge (Balram et al., PRL 123, 246803, Eq. 3) without the
    contact reflections that Eq. (5) does not describe.

    Parameters
    ----------
    x : array of float
        Positions along the region [nm] (sites at integer ``x``: the first
        site is at 0, the last at ``length - 1``).
    length : float
        Length of the region [nm].
    ramp : float
        Length of each switch [nm]; ``ramp <= 0``: no switch (all ones).

    Returns
    -------
    ndarray, shape of ``x``
        The envelope in ``[0, 1]`` (dimensionless).
    """
    x = np.asarray(x, float)
    if ramp <= 0:
        return np.ones_like(x)
    length = checks.real_number("length", length, unit="nm", positive=True)

    def step(t):
        t = np.clip(t, 0.0, 1.0)
        with np.errstate(divide="ignore"):
            a = np.where(t > 0, np.exp(-1 / np.where(t > 0, t, 1)), 0.0)
            b = np.where(t < 1, np.exp(-1 / np.where(t < 1, 1 - t, 1)), 0.0)
        return a / (a + b)

    return step((x + 0.5) / ramp) * step((length - 0.5 - x) / ramp)
