"""3D topological-insulator slab on a cubic lattice (physical units).

A four-band model of the Bi2Se3 family whose five Gamma matrices
anticommute, discretised on a cubic lattice of constant ``a`` [nm]; ``N``
layers in z, the transport (current) direction is x, and y is periodic
(:func:`kwant.wraparound.wraparound`, momentum parameter ``k_y``).  It
provides the warped surface Dirac cone of Eq. (10) of Balram, Flensberg,
Paaske and Rudner, PRL 123, 246803 (2019),

    H_2D(k) = hbar v (k x sigma).z + lambda k^3 cos(3 phi_k) sigma_z,   (Eq. 10)

on its top layers (``lambda -> -lambda``, ``v -> -v`` on the bottom layers).

Orbital basis on every site: ``spin (x) orbital``, index ``2 * s + o``
(``s = up, down``; ``o`` = the two parity orbitals P1z+, P2z-), as in
:mod:`systems.bhz`.  ``sigma`` acts on spin, ``tau`` on orbital.  Energies
in eV, lengths in nm, ``hbar = 1`` (a velocity is ``hbar v`` in eV nm).

Bulk Hamiltonian (continuum form)::

    H(k) = eps(k) + M(k) tau_z + A1 kz tau_y
           + A2 (kx sigma_y - ky sigma_x) tau_x
           + R k^3 cos 3(phi_k + theta) sigma_z tau_x
           [+ exchange h . sigma (x) tau_0 + scalar disorder]

    eps(k) = C + D1 kz^2 + D2 (kx^2 + ky^2),
    M(k)   = M - B1 kz^2 - B2 (kx^2 + ky^2).

The five matrices ``tau_z, tau_y, sigma_y tau_x, sigma_x tau_x,
sigma_z tau_x`` anticommute pairwise.  This is the model of Zhang et al.,
Nat. Phys. 5, 438 (2009), Eq. (1), in another basis: any two sets of five
anticommuting 4 x 4 Gamma matrices are unitarily related, and the basis here
is the one in which the physical (pseudo)spin of the surface states is
``sigma (x) tau_0`` (:data:`SPIN`), so that an exchange field ``h . sigma``
enters the surface Hamiltonian as ``h . sigma`` of Eq. (11), and the in-plane
term reads ``k x sigma`` as in Eq. (10).  (In Zhang's basis the in-plane spin
is ``sigma_{x,y} (x) tau_z``; here both orbitals carry the same spin, i.e. the
same g-factor: a modelling choice.)  The k^3 term on the fifth Gamma matrix
is the hexagonal-warping term of Liu et al., PRB 82, 045122 (2010) (their
Sec. on k^3 terms), which on the surface becomes Fu's
``lambda k^3 cos(3 phi) sigma_z`` (Fu, PRL 103, 266801 (2009)); here its
coefficient ``R`` is normalised so that the top surface has ``lambda = R``.

Surface states (derived for the continuum, checked on the lattice by
:func:`surface_parameters` and ``tests/test_slab.py``).  The z problem
``eps + M tau_z + A1 kz tau_y`` has, for ``M B1 > 0`` (inverted) and
``D1 = 0``, a zero mode at the top surface with ``tau_x = sign(A1 B1)``;
every in-plane term anticommutes with it, so with ``D1 = D2 = 0`` the
slab spectrum is exactly ``E^2 = eps_z^2 + |d(k)|^2`` with ``eps_z`` the
(hybridisation) eigenvalues of the z chain and

    d(k) = A2 (sin(kx a) sigma_y - sin(ky a) sigma_x) / a + R w_theta(k) sigma_z,

hence ``v = A2`` and ``lambda = R`` up to the lattice factors
``sin(ka)/(ka) = 1 - (ka)^2/6``.  With ``D1 != 0`` the surface spinor tilts
and ``v = A2 sqrt(1 - (D1/B1)^2)``, ``lambda = R sqrt(1 - (D1/B1)^2)``
(Dirac point at ``C + D1 M / B1``): both terms are ``tau_x``-type, so
``lambda / v = R / A2`` still.

Lattice.  ``k -> sin(k a)/a``, ``k^2 -> 2 (1 - cos k a)/a^2`` and the
warping ``kx^3 - 3 kx ky^2 -> w(kx, ky) = 2 sin(kx a) (3 cos(ky a)
- cos(kx a) - 2) / a^3`` (hoppings to first, second and diagonal
neighbours in the plane).  ``M - 4 B / a^2 < 0`` in every direction keeps
the band inversion at Gamma only (one surface Dirac cone).  The square
lattice adds its own C4 anisotropy at order ``(ka)^2`` (harmonics
``cos 4 phi``, ``cos 8 phi``, ...), which is distinct from the hexagonal
``cos 6 phi`` of ``|d|^2`` and small for ``k a << 1``.

Current direction.  The Kwant system's x axis is the transport direction;
the parameter ``theta`` [rad] is the angle between it and the crystal's
x axis (the axis with ``cos 3 phi = 1``), i.e. a wave vector at angle
``phi`` to the current lies at ``phi + theta`` in the crystal frame.  It is
realised by rotating the warping term only,

    R k^3 cos 3(phi + theta) = R [cos(3 theta) w(kx, ky) + sin(3 theta) w(ky, kx)]

(``w(ky, kx) ~ ky^3 - 3 kx^2 ky = -k^3 sin 3 phi``), because every other term
is isotropic in the continuum: the surface band at ``theta`` is the
unrotated one at ``phi + theta`` (exact for the continuum terms, up to the
lattice's C4 anisotropy).  The lattice itself is not rotated.

Geometry.  Site tags ``(i, j, l)``: ``0 <= i < L`` along x (transport),
``0 <= j < W`` along y (one transverse supercell, period ``W a``), and the
layer index ``0 <= l < N`` along z; the *top surface* is ``l = N - 1``,
the bottom ``l = 0``.  ``k_y`` is Kwant's wraparound momentum: the Bloch
phase per supercell period ``W a`` (dimensionless, in ``[-pi, pi)``); the
physical momentum is ``k_y / (W a)`` [1/nm].
"""
import dataclasses

import numpy as np
import kwant
import scipy.optimize
import tinyarray as ta

from kwant_noneq import checks
from kwant_noneq.params import model_params
from kwant_noneq.pauli import PAULI

__all__ = ["SPIN", "default_params", "bulk_hamiltonian", "slab_hamiltonian",
           "make_slab_lead", "make_slab", "surface_projectors",
           "layer_weights", "surface_bands", "SurfaceFit",
           "surface_parameters", "hybridisation_gap", "decay_factor", "decay_roots",
           "SurfaceGap", "surface_gap",
           "surface_hamiltonian", "surface_hamiltonian_derivative",
           "c4_first_order_sz"]

def _k(s, t):
    return np.kron(PAULI[s], PAULI[t])


#: Spin operators (sigma_x, sigma_y, sigma_z) (x) tau_0 in the site basis
#: (Pauli matrices, not halved), shape (3, 4, 4).
SPIN = np.array([_k(1, 0), _k(2, 0), _k(3, 0)])

_S0T0, _S0TZ, _S0TY = _k(0, 0), _k(0, 3), _k(0, 2)
_SYTX, _SXTX, _SZTX = _k(2, 1), _k(1, 1), _k(3, 1)

#: The five anticommuting Gamma matrices: mass, kz, kx, ky, warping.
GAMMA = np.array([_S0TZ, _S0TY, _SYTX, -_SXTX, _SZTX])

#: Units of the numeric parameters of :func:`default_params`.
_UNITS = dict(A1="eV nm", A2="eV nm", B1="eV nm^2", B2="eV nm^2", C="eV",
              D1="eV nm^2", D2="eV nm^2", M="eV", R="eV nm^3", theta="rad",
              disorder="eV")
_SCATTERING_REGION_ONLY = ("disorder", "disorder_seed", "exchange")

#: Bi2Se3, Zhang et al., Nat. Phys. 5, 438 (2009), converted from Angstrom
#: to nm.
BI2SE3 = dict(M=0.28, A1=0.22, A2=0.41, B1=0.10, B2=0.566, C=-0.0068,
              D1=0.013, D2=0.196)


def default_params(**overrides):
    """Parameters of every value function, with Bi2Se3 defaults.

    Units: ``A1``, ``A2`` [eV nm]; ``B1``, ``B2``, ``D1``, ``D2``
    [eV nm^2]; ``C``, ``M`` [eV]; ``R`` [eV nm^3]; ``theta`` [rad];
    ``disorder`` [eV] (uniform: full width; Gaussian: standard deviation);
    ``disorder_seed`` [int or str]; ``exchange``: ``None`` or a function
    ``site -> (hx, hy, hz)`` [eV] adding ``h . sigma (x) tau_0`` on the
    scattering region's sites.  ``k_y`` is not among them: it is Kwant's
    wraparound momentum, passed with the other parameters (``dict(p,
    k_y=...)``).

    Defaults: the Bi2Se3 parameters of Zhang et al., Nat. Phys. 5, 438
    (2009) (their Table: M = 0.28 eV, A1 = 2.2 eV A, A2 = 4.1 eV A,
    B1 = 10 eV A^2, B2 = 56.6 eV A^2, C = -0.0068 eV, D1 = 1.3 eV A^2,
    D2 = 19.6 eV A^2), and a warping ``R = 0.128 eV nm^3``: a representative
    size for Bi2Se3, not read from a cited table (Fu, PRL 103, 266801
    (2009), gives 250 eV A^3 = 0.25 eV nm^3 for Bi2Te3; set ``R`` from the
    measured Fermi-surface warping of the material at hand).  ``theta = 0``: current
    along the crystal's x axis (``cos 3 phi = 1`` along the current).

    Every value is checked here: numbers must be real and finite,
    ``disorder >= 0``.  The result is a
    :class:`kwant_noneq.params.ParameterDict` that lets ``disorder``,
    ``disorder_seed`` and ``exchange`` be absent from the clean lead
    (:func:`make_slab_lead`), so the same dict serves both.
    """
    defaults = dict(BI2SE3, R=0.128, theta=0.0, disorder=0.0, disorder_seed=0,
                    exchange=None)
    # The clean lead has no disorder and no exchange: one dict serves the
    # scattering region and its leads.
    return model_params("TI-slab", defaults, overrides, _UNITS,
                        _SCATTERING_REGION_ONLY)


# --- matrix elements (shared by the Kwant value functions and the Bloch
# --- Hamiltonians, so that both describe the same model) ------------------
#
# A hopping t along d (H[x + d, x] = t) contributes t e^{-i k.d} + h.c. to
# H(k): beta cos(k.d) comes from t = beta / 2, alpha sin(k.d) from
# t = i alpha / 2.  The warping w_theta = cos(3 theta) w(kx, ky)
# + sin(3 theta) w(ky, kx), with
#   a^3 w(kx, ky) = 3 sin(kx + ky) + 3 sin(kx - ky) - sin(2 kx) - 4 sin(kx),
#   a^3 w(ky, kx) = 3 sin(kx + ky) - 3 sin(kx - ky) - sin(2 ky) - 4 sin(ky)
# (k in units of 1/a), hops along (1, 0), (0, 1), (1, 1), (1, -1), (2, 0),
# (0, 2).

def _onsite_matrix(a, C, D1, D2, M, B1, B2):
    return ((C + 2 * D1 / a**2 + 4 * D2 / a**2) * _S0T0
            + (M - 2 * B1 / a**2 - 4 * B2 / a**2) * _S0TZ)


def _z_hop(a, A1, B1, D1):
    return (-D1 / a**2) * _S0T0 + (B1 / a**2) * _S0TZ + (0.5j * A1 / a) * _S0TY


def _x_hop(a, A2, B2, D2, R, theta):
    return ((-D2 / a**2) * _S0T0 + (B2 / a**2) * _S0TZ
            + (0.5j * A2 / a) * _SYTX
            + (-2j * R * np.cos(3 * theta) / a**3) * _SZTX)


def _y_hop(a, A2, B2, D2, R, theta):
    return ((-D2 / a**2) * _S0T0 + (B2 / a**2) * _S0TZ
            + (-0.5j * A2 / a) * _SXTX
            + (-2j * R * np.sin(3 * theta) / a**3) * _SZTX)


def _warp_coefficients(theta):
    c, s = np.cos(3 * theta), np.sin(3 * theta)
    return {(1, 1): 1.5j * (c + s), (1, -1): 1.5j * (c - s),
            (2, 0): -0.5j * c, (0, 2): -0.5j * s}


def _in_plane_hoppings(a, A2, B2, D2, R, theta):
    """{(dx, dy): t} of all in-plane hoppings (t: 4 x 4 arrays)."""
    hops = {(1, 0): _x_hop(a, A2, B2, D2, R, theta),
            (0, 1): _y_hop(a, A2, B2, D2, R, theta)}
    for d, c in _warp_coefficients(theta).items():
        hops[d] = (c * R / a**3) * _SZTX
    return hops


def _model_values(params):
    names = ("A1", "A2", "B1", "B2", "C", "D1", "D2", "M", "R", "theta")
    missing = [n for n in names if n not in params]
    if missing:
        raise KeyError(f"params lacks {missing}: use ti_slab.default_params()")
    return {n: params[n] for n in names}


def _check_momenta(kx, ky):
    kx, ky = np.broadcast_arrays(np.asarray(kx, float), np.asarray(ky, float))
    if not (np.all(np.isfinite(kx)) and np.all(np.isfinite(ky))):
        raise ValueError("momenta kx, ky must be finite [1/nm]")
    return kx, ky


def _plane_bloch(p, a, kx, ky):
    """Onsite block of one layer at in-plane momenta (kx, ky) [1/nm]:
    array (..., 4, 4)."""
    h = np.broadcast_to(_onsite_matrix(a, p["C"], p["D1"], p["D2"], p["M"],
                                       p["B1"], p["B2"]),
                        kx.shape + (4, 4)).astype(complex)
    for (dx, dy), t in _in_plane_hoppings(a, p["A2"], p["B2"], p["D2"],
                                          p["R"], p["theta"]).items():
        phase = np.exp(-1j * (kx * dx + ky * dy) * a)[..., None, None]
        h = h + t * phase + t.conj().T * phase.conj()
    return h


def bulk_hamiltonian(params, kx, ky, kz, a=0.5):
    """Bloch Hamiltonian of the infinite lattice, array (..., 4, 4).

    Parameters
    ----------
    params : dict
        As :func:`default_params` (only the model parameters are used).
    kx, ky, kz : float or array
        Momenta [1/nm] (broadcast together).
    a : float
        Lattice constant [nm].
    """
    p = _model_values(params)
    kx, ky = _check_momenta(kx, ky)
    kz = np.broadcast_to(np.asarray(kz, float), kx.shape)
    h = _plane_bloch(p, _check_a(a), kx, ky)
    t = _z_hop(a, p["A1"], p["B1"], p["D1"])
    phase = np.exp(-1j * kz * a)[..., None, None]
    return h + t * phase + t.conj().T * phase.conj()


def slab_hamiltonian(params, layers, kx, ky, a=0.5, layer_field=None):
    """2D Bloch Hamiltonian of the infinite ``layers``-layer slab.

    Parameters
    ----------
    params : dict
        As :func:`default_params` (clean model; no disorder or exchange).
    layers : int
        Number of layers N in z.
    kx, ky : float or array
        In-plane momenta [1/nm], broadcast together.
    a : float
        Lattice constant [nm].
    layer_field : array (N, 3), optional
        Exchange field ``h_l`` [eV] of each layer (uniform in the plane),
        adding ``h_l . sigma (x) tau_0`` on layer ``l`` (``l = N - 1`` the
        top): the homogeneous mean field of Eq. (11) on a slab.

    Returns
    -------
    array (..., 4 N, 4 N); the orbital index is ``4 l + 2 s + o`` with
    ``l`` the layer (``l = N - 1`` is the top).  It equals the
    :func:`make_slab_lead` cell Bloch Hamiltonian (with ``width = a``) at
    ``k_y = ky a`` (checked in the tests).
    """
    p = _model_values(params)
    N = _check_layers(layers)
    a = _check_a(a)
    kx, ky = _check_momenta(kx, ky)
    h = _plane_bloch(p, a, kx, ky)
    t = _z_hop(a, p["A1"], p["B1"], p["D1"])
    H = np.zeros(kx.shape + (4 * N, 4 * N), complex)
    for l in range(N):
        H[..., 4 * l:4 * l + 4, 4 * l:4 * l + 4] = h
    for l in range(N - 1):
        # layer l + 1 from layer l: H[l + 1, l] = t
        H[..., 4 * (l + 1):4 * (l + 2), 4 * l:4 * l + 4] = t
        H[..., 4 * l:4 * l + 4, 4 * (l + 1):4 * (l + 2)] = t.conj().T
    if layer_field is not None:
        h = _check_layer_field(layer_field, N)
        for l in range(N):
            H[..., 4 * l:4 * l + 4, 4 * l:4 * l + 4] += np.einsum(
                "c,cab->ab", h[l], SPIN)
    return H


def _check_layer_field(layer_field, layers):
    h = np.asarray(layer_field)
    if h.shape != (layers, 3) or not np.isrealobj(h) or not np.all(np.isfinite(h)):
        raise ValueError(f"layer_field must be a finite real array (layers, 3) "
                         f"= ({layers}, 3) of fields h_l [eV], got shape "
                         f"{np.shape(layer_field)}")
    return h.astype(float)


# --- Kwant builders ---------------------------------------------------------

def _check_a(a):
    if (isinstance(a, (bool, np.bool_))
            or not isinstance(a, (int, float, np.integer, np.floating))):
        raise TypeError(f"lattice constant a = {a!r} must be a real number [nm]")
    if not (np.isfinite(a) and a > 0):
        raise ValueError(f"lattice constant a must be positive and finite [nm], "
                         f"got {a}")
    return float(a)


def _check_layers(layers):
    if (isinstance(layers, (bool, np.bool_))
            or not isinstance(layers, (int, np.integer))):
        raise TypeError(f"layers must be an int (the number N of layers in z), "
                        f"got {layers!r}")
    if layers < 2:
        raise ValueError(f"layers must be >= 2 (a slab has a top and a bottom "
                         f"layer), got {layers}")
    return int(layers)


def _check_geometry(a, **lengths):
    a = _check_a(a)
    return {name: checks.lattice_sites(name, value, a)
            for name, value in lengths.items()}


def _lattice(a):
    return kwant.lattice.general(a * np.eye(3), norbs=4, name="ti")


def _add_hoppings(syst, lat, a):
    """All hoppings of the model, as value functions of the parameters."""
    def hop_z(site1, site2, A1, B1, D1):
        return ta.array(_z_hop(a, A1, B1, D1))

    def hop_x(site1, site2, A2, B2, D2, R, theta):
        return ta.array(_x_hop(a, A2, B2, D2, R, theta))

    def hop_y(site1, site2, A2, B2, D2, R, theta):
        return ta.array(_y_hop(a, A2, B2, D2, R, theta))

    def warp(delta):
        def hop(site1, site2, R, theta):
            return ta.array((_warp_coefficients(theta)[delta] * R / a**3) * _SZTX)
        return hop

    kind = kwant.builder.HoppingKind
    syst[kind((0, 0, 1), lat, lat)] = hop_z
    syst[kind((1, 0, 0), lat, lat)] = hop_x
    syst[kind((0, 1, 0), lat, lat)] = hop_y
    for delta in _warp_coefficients(0.0):
        syst[kind(delta + (0,), lat, lat)] = warp(delta)


def make_slab_lead(layers, width=None, a=0.5):
    """Infinite clean slab along x (a Kwant lead), periodic in y.

    Parameters
    ----------
    layers : int
        Number N of layers in z.
    width : float or None
        Transverse period [nm] (a multiple of ``a``; default ``a``: one
        site per period).
    a : float
        Lattice constant [nm].

    Returns
    -------
    kwant.Builder with ``TranslationalSymmetry((2 a, 0, 0))`` (two columns
    per cell: the warping hops two sites along x), wrapped around in y
    (:func:`kwant.wraparound.wraparound` with ``keep=0``); its value
    functions take the clean model parameters of :func:`default_params`
    and ``k_y``, the Bloch phase per transverse period.
    """
    N = _check_layers(layers)
    a = _check_a(a)
    W = _check_geometry(a, width=a if width is None else width)["width"]
    lat = _lattice(a)
    lead = kwant.Builder(kwant.TranslationalSymmetry((2 * a, 0, 0), (0, W * a, 0)))

    def onsite(site, C, D1, D2, M, B1, B2):
        return ta.array(_onsite_matrix(a, C, D1, D2, M, B1, B2))

    for i in range(2):
        for j in range(W):
            for l in range(N):
                lead[lat(i, j, l)] = onsite
    _add_hoppings(lead, lat, a)
    # keep=0: the x symmetry stays (a lead), y becomes the parameter k_y.
    return kwant.wraparound.wraparound(lead, keep=0, coordinate_names="xy")


def make_slab(length, layers, width=None, a=0.5, disorder_type="uniform",
              leads=True, clean_margin=0.0):
    """Finite slab ``length`` (x) by ``layers`` (z), periodic in y, with two
    slab leads along x.

    Parameters
    ----------
    length : float
        Scattering-region length [nm], a multiple of ``a``.
    layers : int
        Number N of layers in z.
    width : float or None
        Transverse period [nm] (multiple of ``a``; default ``a``).  The
        disorder repeats with this period, so use several sites for a
        disordered slab.
    a : float
        Lattice constant [nm].
    disorder_type : {'uniform', 'gaussian'}
        Scalar onsite disorder (the same shift on all four orbitals) in the
        scattering region: uniform in ``[-disorder/2, disorder/2]`` or
        Gaussian with standard deviation ``disorder`` [eV].  The realisation
        depends only on the site tag and ``disorder_seed``
        (``kwant.digest``), as for :func:`systems.bhz.make_ribbon`.
    leads : bool
        Attach the two semi-infinite slabs (lead 0 on the left, x < 0).
    clean_margin : float
        Disorder-free length [nm] next to each lead.

    Returns
    -------
    kwant.Builder (not finalized) whose value functions take the parameters
    of :func:`default_params` and ``k_y``, the Bloch phase per transverse
    period (wraparound convention; the physical momentum is
    ``k_y / width``).  Time reversal maps ``k_y -> -k_y``.
    """
    N = _check_layers(layers)
    a = _check_a(a)
    n = _check_geometry(a, length=length, width=a if width is None else width)
    L, W = n["length"], n["width"]
    if not 0 <= clean_margin < length / 2:
        raise ValueError(f"clean_margin must lie in [0, length/2) [nm], got "
                         f"{clean_margin}")
    margin = int(round(clean_margin / a))
    if disorder_type not in ("uniform", "gaussian"):
        raise ValueError(f"disorder_type must be 'uniform' or 'gaussian', "
                         f"got {disorder_type!r}")
    digest = (kwant.digest.uniform if disorder_type == "uniform"
              else kwant.digest.gauss)
    shift = 0.5 if disorder_type == "uniform" else 0.0
    lat = _lattice(a)
    syst = kwant.Builder(kwant.TranslationalSymmetry((0, W * a, 0)))

    def onsite(site, C, D1, D2, M, B1, B2, disorder, disorder_seed, exchange):
        h = _onsite_matrix(a, C, D1, D2, M, B1, B2)
        if disorder and margin <= site.tag[0] < L - margin:
            u = digest(repr(site.tag), salt=str(disorder_seed)) - shift
            h = h + (disorder * u) * _S0T0
        if exchange is not None:
            hx, hy, hz = exchange(site)
            h = h + hx * SPIN[0] + hy * SPIN[1] + hz * SPIN[2]
        return ta.array(h)

    for i in range(L):
        for j in range(W):
            for l in range(N):
                syst[lat(i, j, l)] = onsite
    _add_hoppings(syst, lat, a)
    # The only symmetry is y: its momentum must be named k_y.
    syst = kwant.wraparound.wraparound(syst, coordinate_names="y")
    if leads:
        lead = make_slab_lead(layers, W * a, a)
        # Lead 0 on the left (x < 0); a lead extends along its symmetry
        # vector, so the left one is the reversed slab.
        syst.attach_lead(lead.reversed())
        syst.attach_lead(lead)
    return syst


def surface_projectors(syst, depth=1):
    """Projectors on the top and bottom surface layers, per site.

    Parameters
    ----------
    syst : finalized slab (:func:`make_slab`) or lead (:func:`make_slab_lead`)
        Site tags ``(i, j, l)``, ``l`` the layer.
    depth : int
        Number of layers counted as a surface (``1``: the outermost layer).

    Returns
    -------
    array (2, nsites, 4, 4): ``[P_top, P_bottom]``, the identity on the
    sites of the top ``depth`` layers (``l >= N - depth``) or the bottom
    ones (``l < depth``) and zero elsewhere; the onsite-operator layout of
    :func:`kwant_noneq.density.check_onsite_operator`.  For a lead these are
    the sites of the whole (two-column) cell.
    """
    l = np.array([s.tag[2] for s in syst.sites])
    N = l.max() + 1
    if (isinstance(depth, (bool, np.bool_))
            or not isinstance(depth, (int, np.integer))
            or not 1 <= depth <= N // 2):
        raise ValueError(f"depth must be an int in [1, N // 2] = [1, {N // 2}] "
                         f"(layers per surface), got {depth!r}")
    top = (l >= N - depth).astype(float)
    bottom = (l < depth).astype(float)
    eye = np.eye(4)
    return np.array([top[:, None, None] * eye, bottom[:, None, None] * eye])


def layer_weights(states, layers):
    """Weight of each state on each layer, array (..., N, nstates), for
    eigenvectors ``states`` (..., 4 N, nstates) of :func:`slab_hamiltonian`."""
    psi = np.asarray(states)
    w = np.abs(psi) ** 2
    return w.reshape(psi.shape[:-2] + (layers, 4, psi.shape[-1])).sum(-2)


def surface_bands(params, layers, kx, ky, a=0.5, surface="top", depth=None,
                  layer_field=None):
    """One surface's two bands (lower, upper cone) at (kx, ky).

    The four states closest to the middle of the spectrum (the Dirac cones
    of top and bottom, degenerate in pairs by inversion x time reversal)
    span the surface subspace; in it the projector on the surface's
    ``depth`` layers (default: half the slab) is diagonalised, and the slab
    Hamiltonian restricted to its two largest-weight eigenvectors is that
    surface's 2 x 2 Hamiltonian.  States are thus picked by their weight on
    the surface layers, also where top and bottom are degenerate.

    Parameters
    ----------
    params, layers, a : as :func:`slab_hamiltonian`
    kx, ky : float or array
        Momenta [1/nm], broadcast together.
    surface : {'top', 'bottom'}
        Top: layers ``l >= N - depth``; bottom: ``l < depth``.
    depth : int or None
        Layers counted as the surface (default ``layers // 2``).
    layer_field : array (N, 3), optional
        Exchange field per layer [eV], as for :func:`slab_hamiltonian`.

    Returns
    -------
    energies : array (..., 2)
        Lower and upper surface band [eV].
    states : array (..., 4 N, 2)
        Their eigenvectors (orbital index ``4 l + 2 s + o``).
    weight : array (..., 2)
        Their weight on the surface's ``depth`` layers (close to 1 for a
        surface state in a thick slab).
    """
    N = _check_layers(layers)
    depth = N // 2 if depth is None else depth
    if (isinstance(depth, (bool, np.bool_))
            or not isinstance(depth, (int, np.integer)) or not 1 <= depth <= N // 2):
        raise ValueError(f"depth must be an int in [1, N // 2] = [1, {N // 2}] "
                         f"(layers per surface), got {depth!r}")
    if surface not in ("top", "bottom"):
        raise ValueError(f"surface must be 'top' or 'bottom', got {surface!r}")
    H = slab_hamiltonian(params, N, kx, ky, a, layer_field)
    E, U = np.linalg.eigh(H)
    mid = 2 * N
    Q = U[..., mid - 2:mid + 2]                         # surface subspace
    top = np.zeros(4 * N)
    if surface == "top":
        top[4 * (N - depth):] = 1.0
    else:
        top[:4 * depth] = 1.0
    Pt = np.einsum("...ia,i,...ib->...ab", Q.conj(), top, Q)
    wt, V = np.linalg.eigh(Pt)
    Qt = Q @ V[..., :, 2:]                              # the two top states
    h = np.einsum("...ia,...ij,...jb->...ab", Qt.conj(), H, Qt)
    e, u = np.linalg.eigh(h)
    states = Qt @ u
    weight = np.einsum("...ia,i,...ia->...a", states.conj(), top, states).real
    return e, states, weight


@dataclasses.dataclass(frozen=True)
class SurfaceFit:
    """Surface Dirac parameters from the slab bands (Eq. 10).

    Attributes
    ----------
    v : float
        hbar v [eV nm], extrapolated to k -> 0; its sign is that of the
        in-plane spin texture (``+``: ``<sigma_y> > 0`` for k along +x in
        the upper band, the ``k x sigma`` of Eq. 10).
    lam : float
        lambda [eV nm^3], extrapolated to k -> 0; its sign is that of
        ``<sigma_z>`` in the upper band along the current for ``theta = 0``.
    E_D : float
        Dirac energy (midpoint of the surface bands at Gamma) [eV].
    k : array
        Fit momenta [1/nm].
    v_k, lam_k : array
        ``v`` and ``lambda`` at each fit momentum (before extrapolation).
    weight : float
        Smallest surface weight of the fitted states.
    """

    v: float
    lam: float
    E_D: float
    k: np.ndarray
    v_k: np.ndarray
    lam_k: np.ndarray
    weight: float


def surface_parameters(params, layers, a=0.5, k_max=0.1, n_k=4, n_phi=48,
                       surface="top", depth=None):
    """A surface's ``v`` and ``lambda`` of Eq. (10) from the slab bands.

    At each momentum ``k_j`` (``n_k`` values up to ``k_max``) the
    surface bands (:func:`surface_bands`) are computed on ``n_phi``
    uniformly spaced directions ``phi`` (measured from the current, x).
    Half their splitting, ``|d| = (E_+ - E_-)/2``, removes the
    particle-hole asymmetric ``k^2`` terms, and

        |d|^2 - |d(0)|^2 = v^2 k^2 + lambda^2 k^6 cos^2 3(phi + theta)

    is fitted by least squares in ``phi`` (the projection on the harmonics
    ``1`` and ``cos 6 (phi + theta)``: the square lattice's C4 anisotropy
    lives in ``cos 4 phi``, ``cos 8 phi`` and does not enter at leading
    order).  The lattice corrections ``v(k) = v (1 - (k a)^2 / 8 + ...)``,
    ``lambda(k) = lambda (1 + O((k a)^2))`` are removed by a linear fit in
    ``k^2``, leaving ``O((k_max a)^4)``.

    Parameters
    ----------
    params : dict
        As :func:`default_params` (clean).
    layers : int
        Slab thickness N; thick enough that the hybridisation is negligible
        (:func:`hybridisation_gap`).
    a : float
        Lattice constant [nm].
    k_max : float
        Largest fit momentum [1/nm]; ``k_max a << 1`` and the top bands
        must stay in the bulk gap.
    n_k : int
        Number of fit momenta (``k_max j / n_k``, ``j = 1..n_k``).
    n_phi : int
        Directions per momentum (>= 26 resolves harmonic 12 and below).
    surface : {'top', 'bottom'}
        Which surface (``v = A2``, ``lambda = R`` on top for ``D1 = 0``;
        both change sign on the bottom).
    depth : int or None
        Layers counted as the surface (default: half the slab).

    Returns
    -------
    SurfaceFit
    """
    N = _check_layers(layers)
    a = _check_a(a)
    if not (np.isfinite(k_max) and 0 < k_max * a < 1):
        raise ValueError(f"k_max must be > 0 with k_max a < 1 (the fit is a "
                         f"small-k expansion), got k_max = {k_max} 1/nm, a = {a} nm")
    if not (isinstance(n_k, (int, np.integer)) and n_k >= 2):
        raise ValueError(f"n_k must be an int >= 2 (the k^2 extrapolation "
                         f"needs two momenta), got {n_k!r}")
    if not (isinstance(n_phi, (int, np.integer)) and n_phi >= 26):
        raise ValueError(f"n_phi must be an int >= 26 (harmonics up to 12 "
                         f"resolved), got {n_phi!r}")
    theta = float(params["theta"])
    k = k_max * np.arange(1, n_k + 1) / n_k
    phi = 2 * np.pi * np.arange(n_phi) / n_phi
    K, PHI = np.meshgrid(k, phi, indexing="ij")
    e0, _, _ = surface_bands(params, N, 0.0, 0.0, a, surface, depth)
    E_D = 0.5 * (e0[0] + e0[1])
    d0 = 0.5 * (e0[1] - e0[0])
    e, states, weight = surface_bands(params, N, K * np.cos(PHI),
                                      K * np.sin(PHI), a, surface, depth)
    g = (0.5 * (e[..., 1] - e[..., 0])) ** 2 - d0 ** 2
    c6 = np.cos(6 * (PHI + theta))
    g0 = g.mean(axis=1)
    g6 = 2 * (g * c6).mean(axis=1)
    lam2 = 2 * g6 / k**6               # |d|^2 = v^2 k^2 + lam^2 k^6 (1 + c6)/2
    v2 = (g0 - g6) / k**2
    # signs from the spin texture of the upper band (Eq. 10: k x sigma and
    # lambda cos(3 phi) sigma_z): directions phi = -theta (cos 3(phi+theta)
    # = 1) and phi = 0.
    ku = k[0]
    _, su, _ = surface_bands(params, N, ku * np.array([1.0, np.cos(theta)]),
                             ku * np.array([0.0, -np.sin(theta)]), a, surface,
                             depth)
    up = su[..., 1]
    spin = lambda n, s: np.vdot(up[n], np.kron(np.eye(N), SPIN[s]) @ up[n]).real
    sign_v = np.sign(spin(0, 1))
    sign_l = np.sign(spin(1, 2))
    v_k = sign_v * np.sqrt(v2)
    lam_k = sign_l * np.sqrt(np.abs(lam2))
    # linear extrapolation in k^2
    v = np.polyfit(k**2, v_k, 1)[-1]
    lam = np.polyfit(k**2, lam_k, 1)[-1]
    return SurfaceFit(v=float(v), lam=float(lam), E_D=float(E_D),
                      k=k, v_k=v_k, lam_k=lam_k,
                      weight=float(weight.min()))


def hybridisation_gap(params, layers, a=0.5):
    """Gap at Gamma of the infinite ``layers``-layer slab [eV].

    The splitting of the two middle (surface) levels of
    :func:`slab_hamiltonian` at ``k = 0``: top and bottom Dirac cones
    hybridise through the slab, ``gap ~ |z|^N`` with ``|z| < 1`` the decay
    factor per layer of the surface state (oscillating when the decay is
    complex).
    """
    N = _check_layers(layers)
    E = np.linalg.eigvalsh(slab_hamiltonian(params, N, 0.0, 0.0, a))
    return float(E[2 * N] - E[2 * N - 1])


@dataclasses.dataclass(frozen=True)
class SurfaceGap:
    """Direct gap of one surface's cone in an exchange field.

    Attributes
    ----------
    gap : float
        ``min_k (E_+(k) - E_-(k))`` of the surface's two bands [eV].
    kx, ky : float
        Where the minimum is (the moved Dirac point) [1/nm].
    energy : float
        ``(E_+ + E_-)/2`` there [eV].
    """

    gap: float
    kx: float
    ky: float
    energy: float


def surface_gap(params, layers, layer_field, a=0.5, surface="top", depth=None,
                k_tol=1e-9):
    """Direct gap of a surface's Dirac cone with an exchange field per layer.

    An in-plane field moves the surface Dirac point (to first order
    ``k* = (-h_y, h_x) / v``, the zero of ``d(k) + h`` with ``d = (-v k_y,
    v k_x)`` on top and ``h`` the field averaged over the surface state's
    layer weights; ``v -> -v`` at the bottom); an
    out-of-plane one (or the warping at the moved point) opens the gap.
    The splitting ``E_+ - E_-`` of :func:`surface_bands` is minimised in
    ``(kx, ky)`` from that first-order point (Nelder-Mead).

    Parameters
    ----------
    params : dict
        As :func:`default_params` (clean).
    layers : int
        Slab thickness N.
    layer_field : array (N, 3)
        Exchange field ``h_l`` per layer [eV] (:func:`slab_hamiltonian`).
    a : float
        Lattice constant [nm].
    surface, depth :
        As for :func:`surface_bands`.
    k_tol : float
        Resolution of the minimum in k [1/nm]: an exact crossing reads as a
        gap of at most ``~ 2 |v| k_tol``.

    Returns
    -------
    SurfaceGap

    Notes
    -----
    The gap includes the top-bottom hybridisation; it is that of the
    surface alone only when far above :func:`hybridisation_gap` (the
    hybridisation enters squared over the distance to the other surface's
    cone at the moved point).
    """
    N = _check_layers(layers)
    a = _check_a(a)
    field = _check_layer_field(layer_field, N)
    k_tol = checks.real_number("k_tol", k_tol, positive=True, unit="1/nm")
    e0, states, _ = surface_bands(params, N, 0.0, 0.0, a, surface, depth)
    weights = layer_weights(states, N).mean(-1)            # (N,)
    h = weights @ field
    dk = 1e-3 / a
    e1, _, _ = surface_bands(params, N, dk, 0.0, a, surface, depth)
    v = 0.5 * ((e1[1] - e1[0]) - (e0[1] - e0[0])) / dk
    v = v if surface == "top" else -v                      # sign of k x sigma
    start = np.array([-h[1] / v, h[0] / v])

    def splitting(k):
        e, _, _ = surface_bands(params, N, k[0], k[1], a, surface, depth, field)
        return e[1] - e[0]

    scale = max(float(np.hypot(*start)), 10 * k_tol)
    res = scipy.optimize.minimize(
        splitting, start, method="Nelder-Mead",
        # the splitting changes by at most 2 |v| k_tol within k_tol
        options=dict(xatol=k_tol, fatol=abs(v) * k_tol, maxiter=2000,
                     initial_simplex=start + scale * np.array(
                         [[0, 0], [0.5, 0], [0, 0.5]])))
    if not res.success:
        raise RuntimeError(f"surface_gap: the minimum of the splitting was not "
                           f"found ({res.message}); start {start} 1/nm")
    e, _, _ = surface_bands(params, N, res.x[0], res.x[1], a, surface, depth,
                            field)
    return SurfaceGap(float(e[1] - e[0]), float(res.x[0]), float(res.x[1]),
                      float(e.mean()))


def decay_roots(params, a=0.5, energy=None):
    """All decaying roots ``z`` (``|z| < 1``) of the z chain at Gamma.

    The layer block ``h`` and hopping ``t = H[l + 1, l]`` of
    :func:`slab_hamiltonian` at ``k = 0`` admit ``psi_l = z^l chi`` with
    ``det(t + (h - E) z + t^dagger z^2) = 0``; the roots inside the unit
    circle are the decaying solutions from the bottom surface (their
    inverses from the top).

    Parameters
    ----------
    params : dict
        As :func:`default_params`.
    a : float
        Lattice constant [nm].
    energy : float or None
        Energy [eV]; default the Dirac energy ``C + D1 M / B1`` of the
        semi-infinite continuum model.

    Returns
    -------
    ndarray of complex, sorted by decreasing ``|z|`` (with multiplicity).
    """
    import scipy.linalg

    p = _model_values(params)
    a = _check_a(a)
    E = p["C"] + p["D1"] * p["M"] / p["B1"] if energy is None else float(energy)
    h = _plane_bloch(p, a, np.zeros(()), np.zeros(())) - E * np.eye(4)
    t = _z_hop(a, p["A1"], p["B1"], p["D1"])
    Z, I = np.zeros((4, 4)), np.eye(4)
    # linearised: [chi, z chi] -> z [chi, z chi]
    z = scipy.linalg.eig(np.block([[Z, I], [-t, -h]]),
                         np.block([[I, Z], [Z, t.conj().T]]), right=False)
    inside = z[np.abs(z) < 1]
    return inside[np.argsort(-np.abs(inside), kind="stable")]


def decay_factor(params, a=0.5, energy=None):
    """Decay factor per layer of the surface state at Gamma.

    The slowest decaying root of :func:`decay_roots` (same parameters):
    it sets the hybridisation of top and bottom, ``gap(N) ~ |z|^N
    |cos(N arg z + beta)|`` (an oscillating decay when the root is complex,
    as for Bi2Se3 with ``a = 0.5 nm``).

    Returns
    -------
    complex: the root ``z`` with ``|z| < 1`` of largest modulus.
    """
    inside = decay_roots(params, a, energy)
    if inside.size == 0:
        E = (params["C"] + params["D1"] * params["M"] / params["B1"]
             if energy is None else energy)
        raise ValueError(f"no decaying solution at E = {E} eV: the energy is "
                         f"not in the bulk gap, or the band is not inverted")
    return complex(inside[0])


# --- the top surface as an exact 2 x 2 lattice model -------------------------

def _surface_values(params):
    p = _model_values(params)
    if p["D1"] != 0 or p["D2"] != 0:
        raise ValueError(
            f"surface_hamiltonian is the top surface only for D1 = D2 = 0 "
            f"(got D1 = {p['D1']}, D2 = {p['D2']} eV nm^2): with them the "
            "surface spinor tilts and the bands are no longer E^2 = eps_z^2 + "
            "|d|^2; use surface_bands for that case")
    return p


def _warping(kx, ky, a):
    """``w(kx, ky) = 2 sin(kx a)(3 cos(ky a) - cos(kx a) - 2) / a^3`` and its
    gradient (lattice ``kx^3 - 3 kx ky^2``)."""
    sx, cx, sy = np.sin(kx * a), np.cos(kx * a), np.sin(ky * a)
    # 3 cos(ky a) - cos(kx a) - 2 without the cancellation of O(1) terms
    # (relative rounding 1e-16 / (k a)^2 otherwise, 3e-8 at k = 2e-4 /nm)
    bracket = 2 * np.sin(kx * a / 2) ** 2 - 6 * np.sin(ky * a / 2) ** 2
    w = 2 * sx * bracket / a**3
    wx = 2 * (cx * bracket + sx * sx) / a**2
    wy = -6 * sx * sy / a**2
    return w, wx, wy


def _surface_d(p, kx, ky, a):
    c3, s3 = np.cos(3 * p["theta"]), np.sin(3 * p["theta"])
    w1, w1x, w1y = _warping(kx, ky, a)
    w2, w2y, w2x = _warping(ky, kx, a)          # w(ky, kx): roles swapped
    A2, R = p["A2"], p["R"]
    d = np.stack([-A2 * np.sin(ky * a) / a, A2 * np.sin(kx * a) / a,
                  R * (c3 * w1 + s3 * w2)], -1)
    zero = np.zeros_like(kx)
    dx = np.stack([zero, A2 * np.cos(kx * a), R * (c3 * w1x + s3 * w2x)], -1)
    dy = np.stack([-A2 * np.cos(ky * a), zero, R * (c3 * w1y + s3 * w2y)], -1)
    return d, dx, dy


def surface_hamiltonian(params, kx, ky, a=0.5):
    """Top-surface Hamiltonian ``C + d(k).sigma`` of the slab, (..., 2, 2).

    For ``D1 = D2 = 0`` the top surface of :func:`slab_hamiltonian` is
    exactly this 2 x 2 lattice model (module docstring: every in-plane term
    anticommutes with the z problem, whose top zero mode has ``tau_x = +1``),
    with

        d(k) = (-A2 sin(ky a)/a, A2 sin(kx a)/a, R w_theta(k)),

    the lattice form of Eq. (10) (``v = A2``, ``lambda = R``), in the basis
    where the spin :data:`SPIN` is ``sigma``.  The thick-slab bands differ
    only by the hybridisation ``eps_z`` (``E^2 = eps_z^2 + |d|^2``), below
    1e-10 relative at N = 20, a = 0.5 nm (``tests/test_driven.py``).

    Parameters
    ----------
    params : dict
        As :func:`default_params`, with ``D1 = D2 = 0`` (else ValueError).
    kx, ky : float or array
        Momenta [1/nm], broadcast together.
    a : float
        Lattice constant [nm].
    """
    p = _surface_values(params)
    a = _check_a(a)
    kx, ky = _check_momenta(kx, ky)
    d, _, _ = _surface_d(p, kx, ky, a)
    return p["C"] * PAULI[0] + np.einsum("...i,iab->...ab", d, PAULI[1:])


def surface_hamiltonian_derivative(params, kx, ky, a=0.5):
    """``dH/dk`` of :func:`surface_hamiltonian`: (..., 2, 2, 2) [eV nm]
    (axis -3 is the k component x, y)."""
    p = _surface_values(params)
    a = _check_a(a)
    kx, ky = _check_momenta(kx, ky)
    _, dx, dy = _surface_d(p, kx, ky, a)
    return np.stack([np.einsum("...i,iab->...ab", dx, PAULI[1:]),
                     np.einsum("...i,iab->...ab", dy, PAULI[1:])], -3)


def c4_first_order_sz(k_f, a, theta):
    """The square lattice's first-order (in the drift) ``s_z`` of the
    Boltzmann distribution, in units of ``(lambda k_F^2 / v) |s_inplane|``.

    In the continuum Eq. (10) this vanishes exactly (C3: ``s_z`` is a
    scalar, the drift a vector).  On the lattice of
    :func:`surface_hamiltonian` (``D1 = D2 = 0``), to leading order in
    ``k_F a`` and ``lambda``::

        s_z^(1) / ((lambda k_F^2 / v) |s_inplane|) = -(k_F a)^2 cos(3 theta) / 16

    Derivation: the first order of the drifted sea (equal to the RTA's) is
    ``s_z^(1) = dk/(2 pi)^2 oint s_z dk_y`` (drift along x) with ``s_z =
    lambda w / (2 mu)`` on the contour, i.e. by Green's theorem ``dk lambda /
    (8 pi^2 mu) int_inside d_x w``.  The continuum part of ``d_x w`` is ``3
    k^2 cos 2phi`` and integrates to zero over a disc, and the lattice's
    contour deformation (harmonics ``4n``) adds no ``cos 2phi``; the
    lattice's ``a^2`` terms of ``w``, ``a^2 (-kx^5/4 + kx^3 ky^2/2 + kx
    ky^4/4)``, give ``d_x w`` with angular average ``-(3/16) a^2 k^4``; the
    ``sin 3theta`` part of the rotated warping is odd in ``ky`` and drops
    out.  Hence ``s_z^(1) = -lambda a^2 k_F^5 dk cos 3theta / (128 pi v)``,
    against ``|s_inplane| = k_F dk / (8 pi)``.  Next corrections: relative
    ``(k_F a)^2`` and ``(lambda k_F^2 / v)^2``.

    Parameters
    ----------
    k_f : float
        Fermi wave number [1/nm].
    a : float
        Lattice constant [nm].
    theta : float
        Current direction from the crystal x axis [rad].

    Returns
    -------
    float (dimensionless)
    """
    a = _check_a(a)
    return -(k_f * a) ** 2 * np.cos(3 * theta) / 16
