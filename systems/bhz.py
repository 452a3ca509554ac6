"""BHZ model of a 2D topological insulator on a square lattice (physical units).

Orbital basis on every site: ``spin (x) orbital``, i.e. the index is
``2 * s + o`` with ``s = up, down`` and ``o = E, H``.  Spin operators are
``sigma_i (x) tau_0``; :data:`SPIN` holds them (Pauli matrices, not halved:
the spin density used by :mod:`kwant_noneq` is ``<sigma> / 2``).

Continuum Hamiltonian (energies in eV, lengths in nm, ``hbar = 1`` so a velocity
is ``hbar v`` in eV nm)::

    H(k) = C - D k^2 + A (kx s_z t_x - ky t_y) + (M - B k^2) t_z
           + rashba (ky s_x - kx s_y) (1 + t_z)/2 + bia s_y t_y
           + L3 kx^3 s_x + [exchange field h . s]

and the lattice replaces ``k -> sin(k a)/a``, ``k^2 -> 2 (1 - cos k a)/a^2``
and ``kx^3 -> (2 sin kx a - sin 2 kx a)/a^3`` (second-neighbour hopping along
x).  With ``D = rashba = bia = 0`` the edge along x carries the states of
Eq. (1) of Balram et al., PRL 123, 246803 (2019), with ``hbar v = A`` and
``lambda = L3`` exactly (the edge subspace is invariant: the transverse
problem is spin independent); the generic terms add a spin rotation linear in
energy and a texture that varies across the edge (docs/architecture.md,
section 6.1).

The ribbon runs along x; site tags are ``(i, j)`` with ``0 <= j < W`` and the
*bottom edge* is ``j = 0``.
"""

import numpy as np
import kwant
import tinyarray as ta

from kwant_noneq import checks
from kwant_noneq.params import model_params
from kwant_noneq.pauli import PAULI

__all__ = ["SPIN", "default_params", "make_ribbon_lead", "make_ribbon",
           "bottom_edge_mask"]

_s0, _sx, _sy, _sz = PAULI


def _k(s, t):
    return ta.array(np.kron(PAULI[s], PAULI[t]))


#: Spin operators (sigma_x, sigma_y, sigma_z) (x) tau_0 in the site basis.
SPIN = np.array([np.kron(_sx, _s0), np.kron(_sy, _s0), np.kron(_sz, _s0)])

_S0T0, _S0TZ, _SZTX, _S0TY = _k(0, 0), _k(0, 3), _k(3, 1), _k(0, 2)
_SXT0, _SYT0, _SZT0, _SYTY = _k(1, 0), _k(2, 0), _k(3, 0), _k(2, 2)
_PE = ta.array(np.kron(_s0, (_s0 + _sz) / 2))   # projector on the E orbital
_SXPE = ta.array(np.kron(_sx, (_s0 + _sz) / 2))
_SYPE = ta.array(np.kron(_sy, (_s0 + _sz) / 2))


def default_params(**overrides):
    """Parameters of every value function, with clean-edge defaults.

    Units: ``A`` [eV nm], ``B``, ``D`` [eV nm^2], ``C``, ``M``, ``bia`` [eV],
    ``rashba`` [eV nm], ``L3`` [eV nm^3], ``disorder`` [eV] (uniform: full
    width; Gaussian: standard deviation), ``disorder_seed`` [int or str],
    ``exchange`` [eV]: ``None`` or a function ``site -> (hx, hy, hz)`` adding
    ``h . sigma`` (x) tau_0 on the scattering region's sites.

    The defaults (A = 1 eV nm, B = -1 eV nm^2, M = -0.3 eV with a = 1 nm) are
    an inverted band structure with a bulk gap of about 0.6 eV and edge
    states decaying within about two sites; D = rashba = bia = 0 gives the
    clean edge of Eq. (1) with hbar v = A and lambda = L3.

    Every value is checked here: numbers must be real and finite, ``disorder``
    >= 0.  The result is a :class:`kwant_noneq.params.ParameterDict` that
    lets ``disorder``, ``disorder_seed`` and ``exchange`` be absent from the
    clean lead (:func:`make_ribbon_lead`), so the same dict serves both.
    """
    defaults = dict(A=1.0, B=-1.0, C=0.0, D=0.0, M=-0.3, rashba=0.0, bia=0.0,
                    L3=0.5, disorder=0.0, disorder_seed=0, exchange=None)
    # The clean lead has no disorder and no exchange: one dict serves the
    # scattering region and its leads.
    return model_params("BHZ", defaults, overrides, _UNITS,
                        _SCATTERING_REGION_ONLY)


#: Units of the numeric parameters of :func:`default_params`.
_UNITS = dict(A="eV nm", B="eV nm^2", C="eV", D="eV nm^2", M="eV",
                      rashba="eV nm", bia="eV", L3="eV nm^3", disorder="eV")
_SCATTERING_REGION_ONLY = ("disorder", "disorder_seed", "exchange")


def _check_geometry(a, **lengths):
    a = checks.real_number("lattice constant a", a, unit="nm", positive=True)
    return {name: checks.lattice_sites(name, value, a)
            for name, value in lengths.items()}


def _hoppings(a):
    """Hopping value functions along x (nearest, next-nearest) and y."""
    def hop_x(site1, site2, A, B, D, rashba, L3):
        return ((D / a**2) * _S0T0 + (B / a**2) * _S0TZ
                + (0.5j * A / a) * _SZTX + (-0.5j * rashba / a) * _SYPE
                + (1j * L3 / a**3) * _SXT0)

    def hop_xx(site1, site2, L3):
        return (-0.5j * L3 / a**3) * _SXT0

    def hop_y(site1, site2, A, B, D, rashba):
        return ((D / a**2) * _S0T0 + (B / a**2) * _S0TZ
                + (-0.5j * A / a) * _S0TY + (0.5j * rashba / a) * _SXPE)

    return hop_x, hop_xx, hop_y


def _clean_onsite(a, C, D, M, B, bia):
    return ((C - 4 * D / a**2) * _S0T0 + (M - 4 * B / a**2) * _S0TZ
            + bia * _SYTY)


def _add_hoppings(syst, lat, a):
    hop_x, hop_xx, hop_y = _hoppings(a)
    syst[kwant.builder.HoppingKind((1, 0), lat, lat)] = hop_x
    syst[kwant.builder.HoppingKind((2, 0), lat, lat)] = hop_xx
    syst[kwant.builder.HoppingKind((0, 1), lat, lat)] = hop_y


def make_ribbon_lead(width, a=1.0):
    """Infinite BHZ ribbon along x (a Kwant lead), clean, no exchange field.

    Parameters
    ----------
    width : float
        Ribbon width [nm], a multiple of ``a``.
    a : float
        Lattice constant [nm].

    Returns
    -------
    kwant.Builder with a ``TranslationalSymmetry((2 a, 0))`` (two columns per
    unit cell, because of the second-neighbour cubic term); value functions
    take the parameters of :func:`default_params` that concern the clean
    model (A, B, C, D, M, rashba, bia, L3).
    """
    W = _check_geometry(a, width=width)["width"]
    lat = kwant.lattice.square(a, norbs=4, name="bhz")
    # Period 2a: the cubic term hops two sites along x, and Kwant leads may
    # only hop between neighbouring unit cells.
    lead = kwant.Builder(kwant.TranslationalSymmetry((2 * a, 0)))

    def onsite(site, A, B, C, D, M, bia):
        return _clean_onsite(a, C, D, M, B, bia)

    for i in range(2):
        for j in range(W):
            lead[lat(i, j)] = onsite
    _add_hoppings(lead, lat, a)
    return lead


def make_ribbon(length, width, a=1.0, disorder_type="uniform", leads=True,
                clean_margin=0.0):
    """Finite BHZ ribbon ``length x width`` with two ribbon leads.

    Parameters
    ----------
    length, width : float
        Scattering-region size [nm], multiples of ``a``.
    a : float
        Lattice constant [nm].
    disorder_type : {'uniform', 'gaussian'}
        Scalar onsite disorder in the scattering region only: uniform in
        ``[-disorder/2, disorder/2]`` or Gaussian with standard deviation
        ``disorder`` [eV].  The realisation depends only on the site tag and
        ``disorder_seed`` (``kwant.digest``), not on build order or worker.
    leads : bool
        Attach the two semi-infinite ribbons (lead 0 on the left, x < 0).
    clean_margin : float
        Disorder-free length [nm] next to each lead (clean contact zones); the
        disorder then covers ``length - 2 clean_margin``.

    Returns
    -------
    kwant.Builder (not finalized).  The exchange field enters through the
    parameter ``exchange`` (see :func:`default_params`); the engine in
    :mod:`kwant_noneq` adds its self-consistent field directly to the
    Hamiltonian matrix instead, so ``exchange=None`` there.
    """
    n = _check_geometry(a, length=length, width=width)
    L, W = n["length"], n["width"]
    if not 0 <= clean_margin < length / 2:
        raise ValueError(f"clean_margin must lie in [0, length/2), got {clean_margin}")
    margin = int(round(clean_margin / a))
    if disorder_type not in ("uniform", "gaussian"):
        raise ValueError(f"disorder_type must be 'uniform' or 'gaussian', "
                         f"got {disorder_type!r}")
    digest = (kwant.digest.uniform if disorder_type == "uniform"
              else kwant.digest.gauss)
    shift = 0.5 if disorder_type == "uniform" else 0.0
    lat = kwant.lattice.square(a, norbs=4, name="bhz")
    syst = kwant.Builder()

    def onsite(site, A, B, C, D, M, bia, disorder, disorder_seed, exchange):
        h = _clean_onsite(a, C, D, M, B, bia)
        if disorder and margin <= site.tag[0] < L - margin:
            u = digest(repr(site.tag), salt=str(disorder_seed)) - shift
            h = h + (disorder * u) * _S0T0
        if exchange is not None:
            hx, hy, hz = exchange(site)
            h = h + hx * _SXT0 + hy * _SYT0 + hz * _SZT0
        return h

    for i in range(L):
        for j in range(W):
            syst[lat(i, j)] = onsite
    _add_hoppings(syst, lat, a)
    if leads:
        lead = make_ribbon_lead(width, a)
        # Lead 0 on the left (x < 0): its reservoir fills the right movers.
        # A lead extends along its symmetry vector, so the left one is the
        # reversed ribbon.
        syst.attach_lead(lead.reversed())
        syst.attach_lead(lead)
    return syst


def bottom_edge_mask(syst, fraction=0.5):
    """Boolean mask over the sites of a finalized ribbon (or lead cell): True
    for sites in the lower ``fraction`` of the width (the bottom edge)."""
    if not (isinstance(fraction, (int, float, np.integer, np.floating))
            and 0 < fraction < 1):
        raise ValueError(f"fraction must lie strictly between 0 and 1 (the "
                         f"share of the width counted as the bottom edge), "
                         f"got {fraction!r}")
    y = np.array([s.tag[1] for s in syst.sites])
    W = y.max() + 1
    return y < fraction * W
