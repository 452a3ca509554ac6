"""Top surface of the 3D-TI slab as a 2 x 2 Bloch Hamiltonian, with exchange.

With ``D1 = D2 = 0`` the top surface of :mod:`systems.ti_slab` is exactly
(docs/ti_slab.md, "Surface states")

    H_s(k) = d(k) . sigma + h . sigma,                              (Eq. 10-11)
    (energies from the Dirac energy C of ti_slab.surface_hamiltonian)
    d(k)   = ( -A2 sin(k_y a)/a,  A2 sin(k_x a)/a,  R w_theta(k) ),

``w_theta = cos 3theta w(k_x, k_y) + sin 3theta w(k_y, k_x)``,
``a^3 w(k_x, k_y) = 2 sin(k_x a) (3 cos(k_y a) - cos(k_x a) - 2)``, i.e.
Eq. (10) with ``hbar v = A2``, ``lambda = R`` and the lattice's
``k -> sin(ka)/a``; ``sigma`` is the surface spin (``ti_slab.SPIN``
projected on the surface, Pauli matrices not halved) and ``h`` an exchange
field [eV] on it (Eq. 11: ``h = -g <s>``).  ``lattice=False`` gives the
continuum Eq. (10), ``d = (-A2 k_y, A2 k_x, R k^3 cos 3(phi + theta))``.
The lattice ``d`` is :func:`systems.ti_slab.surface_hamiltonian`'s (which
requires ``D1 = D2 = 0``; ``tests/test_monopole.py`` checks it against the
slab's surface states, :func:`systems.ti_slab.surface_bands`), here with
the exchange field and measured from its Dirac energy ``C``.

The lattice form is the surface only near Gamma (``k << sqrt(M/B2)``):
``d`` also vanishes at the zone-boundary doublers, where the slab has no
surface state; use it in a disc around the Dirac point.

Units: k [1/nm], energies and ``h`` [eV], ``A2`` [eV nm], ``R`` [eV nm^3],
``a`` [nm], ``theta`` [rad].
"""
import numpy as np

from kwant_noneq import checks
from kwant_noneq.bloch import bloch_hamiltonian
from kwant_noneq.pauli import SIGMA_X, SIGMA_Y, SIGMA_Z
from kwant_noneq.systems import ti_slab

__all__ = ["surface_hamiltonian", "surface_vector", "dirac_point",
           "dirac_mass", "fermi_loop_mass"]

_PAULI3 = np.array([SIGMA_X, SIGMA_Y, SIGMA_Z])


def _model(params, a, exchange, lattice):
    for name in ("A2", "R", "theta"):
        if name not in params:
            raise KeyError(f"params lacks {name!r}: use ti_slab.default_params()")
    A2 = checks.real_number("A2", params["A2"], unit="eV nm")
    if A2 == 0:
        raise ValueError("A2 must be nonzero [eV nm] (the surface velocity)")
    R = checks.real_number("R", params["R"], unit="eV nm^3")
    theta = checks.real_number("theta", params["theta"], unit="rad")
    if not isinstance(lattice, (bool, np.bool_)):
        raise TypeError(f"lattice must be True or False, got {lattice!r}")
    a = checks.real_number("a", a, unit="nm", positive=True)
    try:
        h = np.asarray(exchange, dtype=float)
    except (TypeError, ValueError):
        raise TypeError("exchange must be (h_x, h_y, h_z) [eV], got "
                        f"{exchange!r}") from None
    if h.shape != (3,) or not np.all(np.isfinite(h)):
        raise ValueError(f"exchange must be three finite numbers (h_x, h_y, "
                         f"h_z) [eV], got {exchange!r}")
    return A2, R, theta, a, h, bool(lattice), params


def _vector(model, k):
    """``d(k) + h`` (..., 3) and ``d/dk_i`` (..., 2, 3) [eV, eV nm]."""
    A2, R, theta, a, h, lattice, params = model
    kx, ky = k[..., 0], k[..., 1]
    if lattice:
        # the slab's own 2 x 2 top surface (ti_slab.surface_hamiltonian,
        # D1 = D2 = 0 required there), read back in the Pauli basis
        H = ti_slab.surface_hamiltonian(params, kx, ky, a)
        dH = ti_slab.surface_hamiltonian_derivative(params, kx, ky, a)
        d = np.einsum("...ab,iba->...i", H, _PAULI3).real / 2 + h
        dd = np.einsum("...jab,iba->...ji", dH, _PAULI3).real / 2
        return d, dd
    c3, s3 = np.cos(3 * theta), np.sin(3 * theta)
    # R Re[(k e^{i theta})^3] = R [c3 (kx^3 - 3 kx ky^2) + s3 (ky^3 - 3 kx^2 ky)]
    zero = np.zeros_like(kx)
    d = np.stack([-A2 * ky + h[0], A2 * kx + h[1],
                  R * (c3 * (kx**3 - 3 * kx * ky**2)
                       + s3 * (ky**3 - 3 * kx**2 * ky)) + h[2]], -1)
    ddx = np.stack([zero, A2 + zero, R * (c3 * (3 * kx**2 - 3 * ky**2)
                                          - s3 * 6 * kx * ky)], -1)
    ddy = np.stack([-A2 + zero, zero, R * (-c3 * 6 * kx * ky
                                           + s3 * (3 * ky**2 - 3 * kx**2))], -1)
    return d, np.stack([ddx, ddy], -2)


def surface_vector(params, k, a=0.5, exchange=(0.0, 0.0, 0.0), lattice=True):
    """``d(k) + h`` of the top surface, array (..., 3) [eV].

    Parameters
    ----------
    params : dict
        ``A2`` [eV nm], ``R`` [eV nm^3], ``theta`` [rad]
        (:func:`systems.ti_slab.default_params`).
    k : array (..., 2)
        Momenta [1/nm].
    a : float
        Lattice constant [nm] (ignored for ``lattice=False``).
    exchange : (3,) array
        Exchange field ``h`` on the surface spin [eV].
    lattice : bool
        Lattice ``d`` (the slab's surface at ``D1 = D2 = 0``) or continuum Eq. (10).
    """
    model = _model(params, a, exchange, lattice)
    k = np.asarray(k, dtype=float)
    if k.ndim == 0 or k.shape[-1] != 2 or not np.all(np.isfinite(k)):
        raise ValueError(f"k must be finite momenta of shape (..., 2) [1/nm], "
                         f"got shape {k.shape}")
    return _vector(model, k)[0]


def surface_hamiltonian(params, a=0.5, exchange=(0.0, 0.0, 0.0), lattice=True):
    """``H_s(k) = (d(k) + h) . sigma`` of the top surface (Eq. 10-11).

    Parameters as :func:`surface_vector`.

    Returns
    -------
    kwant_noneq.bloch.BlochHamiltonian
        2 x 2, k [1/nm], energies [eV], with the exact ``dH/dk``.
    """
    model = _model(params, a, exchange, lattice)

    def H(k):
        return np.einsum("...i,iab->...ab", _vector(model, k)[0], _PAULI3)

    def dH(k):
        return np.einsum("...ji,iab->...jab", _vector(model, k)[1], _PAULI3)

    return bloch_hamiltonian(H, dim=2, norbs=2, derivative=dH)


def dirac_point(params, a=0.5, exchange=(0.0, 0.0, 0.0), lattice=True):
    """The moved Dirac point ``k*`` [1/nm]: where the in-plane part of
    ``d + h`` vanishes.

    Continuum: ``k* = (-h_y, h_x) / A2`` (the in-plane field shifts the cone,
    Eq. 11).  Lattice: ``k*_x = -arcsin(h_y a / A2)/a``, ``k*_y = arcsin(h_x
    a / A2)/a`` (needs ``|h| a < |A2|``).
    """
    A2, R, theta, a, h, lattice, _ = _model(params, a, exchange, lattice)
    if not lattice:
        return np.array([-h[1], h[0]]) / A2
    if max(abs(h[0]), abs(h[1])) * a >= abs(A2):
        raise ValueError(f"in-plane exchange ({h[0]}, {h[1]}) eV too large "
                         f"for the lattice surface: |h| a < |A2| needed")
    return np.array([-np.arcsin(h[1] * a / A2), np.arcsin(h[0] * a / A2)]) / a


def dirac_mass(params, a=0.5, exchange=(0.0, 0.0, 0.0), lattice=True):
    """Signed mass ``m = d_z(k*) + h_z`` at the moved Dirac point [eV]: the
    gap is ``2|m|``.  Continuum: ``m = h_z + R |k*|^3 cos 3(phi* + theta)``
    (the warping at ``k*``, third order in the in-plane field)."""
    kstar = dirac_point(params, a, exchange, lattice)
    return float(surface_vector(params, kstar, a, exchange, lattice)[2])


#: Points of the exact discrete average of the trigonometric polynomials of
#: :func:`fermi_loop_mass` (degree <= 9 in the loop angle: 32 > 9 is exact).
_LOOP_POINTS = 32


def fermi_loop_mass(params, mu, exchange=(0.0, 0.0, 0.0), lattice=False, a=0.5):
    r"""The Fermi-loop average of ``d_z``, which sets the anomalous Hall
    conductivity of the surface at ``mu`` [eV].

    For any two-band ``H = d . sigma`` whose in-plane ``d`` winds once
    around the Fermi loop ``|d| = mu`` of the upper band,
    ``sigma_xy(mu) - sigma_xy(gap) = (1/2) [sgn m - <n_z>]`` e^2/h with
    ``<n_z> = (1/2 pi) oint (d_z / mu) d phi_d`` (phi_d the angle of the
    in-plane ``d``; docs/ti_surface_monopole.md), so ``sigma_xy(mu) =
    -(1/2) M / mu`` with ``M = <d_z>``.  For a massive Dirac cone ``M = m``.
    Here (``d = v (-q_y, q_x) + d_z``, ``phi_d = phi_q + pi/2``), with
    ``q0 = sqrt(mu^2 - m^2) / v`` and ``delta(q, phi) = d_z(k* + q e^{i phi})
    - m`` (a harmonic function of ``q e^{i phi}`` in the continuum, so that
    its circle average vanishes), the loop ``v^2 q^2 = mu^2 - (m +
    delta)^2`` gives

        M = m - < d_q delta (2 m delta + delta^2) >_phi / (2 v^2 q0)
            + O(lam^5),

    i.e. ``M = m (1 - c w^2)``, ``w = lam q0^2 / v``, ``c = 3/2`` at ``k* =
    0`` (``h`` along z).  ``lattice=True`` adds the square lattice's own
    term at ``O(a^2)`` to the continuum ``M`` (the non-harmonic part of the
    lattice warping and of ``k -> sin(ka)/a``, averaged over the loop):
    ``(lam a^2 / 4) [cos 3theta G(p_x, p_y) + sin 3theta G(p_y, p_x)]``,
    ``G(x, y) = x^5 - 3 x y^4 + (q0^2/4)(20 x^3 - 36 x y^2) + (3/4) q0^4 x``,
    ``p = k*`` of the continuum.  It is linear in ``k*`` where the
    continuum mass is cubic: a C4 x C3 artefact (docs/ti_slab.md, caveat).

    Parameters
    ----------
    params : dict
        ``A2`` [eV nm], ``R`` [eV nm^3], ``theta`` [rad].
    mu : float
        Chemical potential from the Dirac energy [eV], ``mu > |m|``.
    exchange : (3,) array
        ``h`` [eV].
    lattice : bool
        Add the ``O(a^2)`` lattice term.
    a : float
        Lattice constant [nm] (for ``lattice=True``).

    Returns
    -------
    float
        ``M`` [eV].  Neglected: relative ``O(w^4)`` and, on the lattice,
        ``O(w^2 (q0 a)^2, (q0 a)^4)``.
    """
    A2, R, theta, a, h, lattice, _ = _model(params, a, exchange, lattice)
    mu = checks.real_number("mu", mu, unit="eV")
    cont = dict(params, A2=A2, R=R, theta=theta)
    kstar = dirac_point(cont, a, h, False)
    m = dirac_mass(cont, a, h, False)
    if not mu > abs(m):
        raise ValueError(f"mu = {mu} eV must lie in the upper band, above "
                         f"|m| = {abs(m)} eV")
    v = abs(A2)
    q0 = np.sqrt(mu**2 - m**2) / v
    phi = 2 * np.pi * np.arange(_LOOP_POINTS) / _LOOP_POINTS
    model = (A2, R, theta, a, h, False, None)
    loop = kstar + q0 * np.stack([np.cos(phi), np.sin(phi)], -1)
    d, dd = _vector(model, loop)
    delta = d[:, 2] - m
    radial = np.stack([np.cos(phi), np.sin(phi)], -1)
    d_q = np.einsum("pi,pi->p", dd[:, :, 2], radial)       # d delta / d q
    M = m - np.mean(d_q * (2 * m * delta + delta**2)) / (2 * v**2 * q0)
    if lattice:
        def G(x, y):
            return (x**5 - 3 * x * y**4 + q0**2 / 4 * (20 * x**3 - 36 * x * y**2)
                    + 0.75 * q0**4 * x)
        px, py = kstar
        M += R * a**2 / 4 * (np.cos(3 * theta) * G(px, py)
                             + np.sin(3 * theta) * G(py, px))
    return float(M)
