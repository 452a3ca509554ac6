r"""Closed forms of the current-driven surface of a 3D topological insulator.

Balram, Flensberg, Paaske, Rudner, PRL 123, 246803 (2019), Eqs. (10)-(11)
and the paragraphs after them.  The surface Hamiltonian (Eq. 10) and its
mean field (Eq. 11)::

    H(k)    = v (k_x sigma_y - k_y sigma_x) + lam k^3 cos(3 phi_c) sigma_z
    H_MF(k) = H(k) - g s . sigma

with ``phi_c`` the angle of ``k`` from the crystal x axis (``cos 3phi_c =
1``).  Conventions (as :mod:`kwant_noneq.exchange`): ``hbar = 1``, so ``v``
is ``hbar v`` [eV nm] and ``lam`` [eV nm^3]; the spin density is ``s =
<sigma>/2`` per area [1/nm^2]; the contact coupling ``g`` [eV nm^2];
chemical potentials ``mu`` are measured from the Dirac point [eV]; ``k_F =
mu / v`` [1/nm].  ``theta`` [rad] is the angle, in the crystal frame, of the
direction in which the electrons flow: the Fermi-sea drift ``dk = -e E tau``
(Boltzmann) or the direction of the states injected by the higher
reservoir (ballistic).  All closed forms are to first order in ``lam k_F^2
/ v`` and lowest non-vanishing order in ``dk / k_F`` or ``dmu / mu``.

Derivations and numerical checks: docs/ti_surface.md.  Summary:

* Upper-band spin, first order in ``lam``: ``s(k) = (z x k_hat)/2 +
  (lam / 2v) k^2 cos(3 phi_c) z_hat``; so ``<s_z>`` picks the ``cos 3phi_c``
  harmonic of the distribution.
* Boltzmann, constant ``tau`` (RTA), ``f = sum_n (-dk.grad)^n f0``; the
  rigidly drifted sea ``f0(k - dk)`` has ``1/n!`` times the n-th order term.
  ``s^(1) = (k_F / 8 pi) z x dk`` (Edelstein); ``s_z^(1) = s_z^(2) = 0``
  (C3 and time reversal); ``s_z^(3) = c (lam / v) k_F dk^3 cos(3 theta)``
  with ``c = 15 / (32 pi)`` (RTA) or ``5 / (64 pi)`` (drifted sea).
* Mean field: the in-plane ``h = -g s`` moves the Dirac point to ``k* =
  (g / v) s x z_hat``; the mass there is ``m = lam |k*|^3 cos(3 theta) - g
  s_z`` and the gap ``2 |m|``.  With the Boltzmann spin the ``-g s_z^(3)``
  term (first order in ``g``) is the leading one; the paper's term ``lam
  |k*|^3 ~ g^3 E^3`` is smaller by ``(g k_F / v)^2 / (240 pi^2)`` (RTA).
* Ballistic, T = 0, window ``[mu - dmu/2, mu + dmu/2]`` filled by the
  movers along ``theta``: ``s_perp = k_F dmu / (4 pi^2 v)``, ``s_z = -lam
  k_F^3 dmu cos(3 theta) / (12 pi^2 v^2)``: first order in ``dmu``.
* Massive Dirac cone ``d = (-v q_y, v q_x, m)``: ``sigma_xy = -(e^2/2h) m /
  max(|mu|, |m|)`` with ``j_a = sigma_ab E_b`` (the sign convention of
  :mod:`kwant_noneq.nonlinear_hall`: ``sigma_xy = -(e^2/hbar) sum f Omega``).

Regime: each formula warns with :class:`~kwant_noneq.checks.RegimeWarning`
when the first correction it neglects (relative size stated in its
docstring) exceeds :data:`kwant_noneq.analytic.REGIME_TOLERANCE`.
"""
import dataclasses
import math
import warnings

import numpy as np

from .analytic import REGIME_TOLERANCE
from .checks import RegimeWarning, choice, real_number
from .constants import HBAR

__all__ = ["SurfaceMass", "drift_momentum", "edelstein_spin_boltzmann",
           "sz_boltzmann_third_order", "dirac_point_shift", "mass_boltzmann",
           "gap_boltzmann", "boltzmann_crossover_coupling",
           "edelstein_spin_ballistic", "sz_ballistic", "mass_ballistic",
           "gap_ballistic", "anomalous_hall_massive_dirac",
           "anomalous_hall_upper_band", "SZ3_COEFFICIENT"]

#: ``c`` of ``s_z^(3) = c (lam/v) k_F dk^3 cos 3theta`` for each
#: distribution: the RTA term is ``3! = 6`` times the drifted sea's.
SZ3_COEFFICIENT = {"rta": 15 / (32 * math.pi), "shifted": 5 / (64 * math.pi)}

#: Relative size, per ``(dk/k_F)^2``, of the first neglected order of the
#: Boltzmann spins (drifted sea: the ``dk^3`` term of ``s_perp`` is ``-1/8``
#: and the ``dk^5`` term of ``s_z`` is ``-1/16`` of the leading one, both
#: measured in tests/test_analytic_surface.py; RTA: times ``3!/1!`` and
#: ``5!/3!``).
_DRIFT_CORRECTION = {"perp": {"rta": 6 / 8, "shifted": 1 / 8},
                     "sz": {"rta": 20 / 16, "shifted": 1 / 16}}


@dataclasses.dataclass(frozen=True)
class SurfaceMass:
    """Mass ``m`` of the mean-field Dirac cone at its moved Dirac point.

    Attributes
    ----------
    exchange : float or ndarray
        ``-g s_z`` [eV]: the out-of-plane exchange field.
    warping : float or ndarray
        ``lam |k*|^3 cos(3 theta)`` [eV]: the warping at the Dirac point
        moved by the in-plane exchange field (the paper's mechanism).
    total : float or ndarray
        ``exchange + warping`` [eV].
    gap : float or ndarray
        ``2 |total|`` [eV].
    """

    exchange: object
    warping: object
    total: object
    gap: object


def _real(name, value, unit, *, positive=False, nonnegative=False):
    """A finite real number or array of them (float for a scalar)."""
    if np.ndim(value) == 0:
        return real_number(name, value, unit=unit, positive=positive,
                           nonnegative=nonnegative)
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be real numbers [{unit}], got "
                        f"{value!r}") from None
    if np.iscomplexobj(np.asarray(value)):
        raise TypeError(f"{name} must be real [{unit}], got complex values")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite [{unit}], got {value}")
    if positive and not np.all(arr > 0):
        raise ValueError(f"{name} must be > 0 [{unit}], got {value}")
    if nonnegative and not np.all(arr >= 0):
        raise ValueError(f"{name} must be >= 0 [{unit}], got {value}")
    return arr


def _scalar(x):
    """A 0-d result as a float, arrays unchanged."""
    return float(x) if np.ndim(x) == 0 else x


def _band(mu, v):
    """``(mu, v, k_F)``; ``mu`` must lie in the upper band."""
    v = real_number("v", v, unit="eV nm", positive=True)
    mu = real_number("mu", mu, unit="eV")
    if not mu > 0:
        raise ValueError(f"mu must be > 0 [eV] (measured from the Dirac "
                         f"point, in the upper band), got {mu}")
    return mu, v, mu / v


def _distribution(distribution):
    return choice("distribution", distribution, tuple(SZ3_COEFFICIENT))


def _warn(formula, name, parameter, correction, remedy):
    """Warn at the caller's caller when a neglected correction is large."""
    correction = float(np.max(np.abs(correction), initial=0.0))
    if correction > REGIME_TOLERANCE:
        warnings.warn(f"{formula}: {name} = {float(np.max(np.abs(parameter))):.3g} "
                      f"is not small (neglected relative correction ~ "
                      f"{correction:.2g} > {REGIME_TOLERANCE}); {remedy}.",
                      RegimeWarning, stacklevel=3)


def _warn_warping(formula, lam, v, k_f):
    """First order in ``lam``: the spin texture's next term is relative
    ``(lam k_F^2 / v)^2`` (docs/ti_surface.md)."""
    p = np.abs(lam) * k_f ** 2 / v
    _warn(formula, "lam k_F^2 / v", p, p ** 2,
          "bring mu closer to the Dirac point (or lam down)")


def drift_momentum(field, tau):
    """Drift of the Fermi sea ``|dk| = e |E| tau / hbar`` [1/nm].

    Parameters
    ----------
    field : float or array
        Electric field ``|E|`` [V/nm].
    tau : float
        Momentum relaxation time [ps].

    Returns
    -------
    float or ndarray
        ``|dk|`` [1/nm]; the sea drifts along ``-E`` (electron charge -e).
    """
    field = _real("field", field, "V/nm", nonnegative=True)
    tau = real_number("tau", tau, unit="ps", positive=True)
    return field * tau / HBAR


def edelstein_spin_boltzmann(mu, v, drift, *, distribution="rta"):
    """In-plane spin of the drifted Fermi sea, first order in ``drift``.

    ``s = (k_F / 8 pi) z_hat x dk`` (Edelstein), the same for the RTA and
    the drifted sea at this order; perpendicular to the drift, none along
    it; independent of ``lam`` up to a relative ``(lam k_F^2 / v)^2 / 4``.

    Parameters
    ----------
    mu : float
        Chemical potential from the Dirac point [eV], > 0.
    v : float
        ``hbar v`` [eV nm], > 0.
    drift : float or array
        ``|dk| = e E tau`` [1/nm], >= 0.
    distribution : {"rta", "shifted"}
        Only sets the regime warning: the first neglected term is relative
        ``-(3/4) (dk/k_F)^2`` (RTA) or ``-(1/8) (dk/k_F)^2`` (drifted sea).

    Returns
    -------
    float or ndarray
        ``|s|`` [1/nm^2], along ``z_hat x dk``.
    """
    mu, v, k_f = _band(mu, v)
    drift = _real("drift", drift, "1/nm", nonnegative=True)
    distribution = _distribution(distribution)
    _warn("edelstein_spin_boltzmann", "dk / k_F", drift / k_f,
          _DRIFT_CORRECTION["perp"][distribution] * (drift / k_f) ** 2,
          "use a smaller drift dk << k_F")
    return k_f * drift / (8 * math.pi)


def sz_boltzmann_third_order(mu, v, lam, drift, theta, distribution="rta"):
    """Out-of-plane spin of the drifted Fermi sea, third order in ``drift``.

    ``s_z^(3) = c (lam / v) k_F dk^3 cos(3 theta)`` with ``c = 15/(32 pi)``
    for the constant-``tau`` Boltzmann (RTA) distribution ``f = sum_n
    (-dk.grad)^n f0`` and ``c = 5/(64 pi)`` for the rigidly drifted sea
    ``f0(k - dk)``.  The first and second orders vanish exactly (C3,
    time reversal), so this is the leading ``s_z`` of a Boltzmann
    distribution (docs/ti_surface.md, section B).

    Parameters
    ----------
    mu : float
        Chemical potential from the Dirac point [eV], > 0.
    v : float
        ``hbar v`` [eV nm], > 0.
    lam : float
        Warping ``lambda`` of Eq. (10) [eV nm^3].
    drift : float or array
        ``|dk| = e E tau`` [1/nm], >= 0.
    theta : float or array
        Angle of ``dk`` from the crystal x axis [rad].
    distribution : {"rta", "shifted"}
        RTA (``n!`` times the drifted sea at order n) or drifted sea.

    Returns
    -------
    float or ndarray
        ``s_z`` [1/nm^2] (signed).  Neglected: relative ``(lam k_F^2/v)^2``
        and the next order, relative ``-(5/4) (dk/k_F)^2`` (RTA) or
        ``-(1/16) (dk/k_F)^2`` (drifted sea).
    """
    mu, v, k_f = _band(mu, v)
    lam = real_number("lam", lam, unit="eV nm^3")
    drift = _real("drift", drift, "1/nm", nonnegative=True)
    theta = _real("theta", theta, "rad")
    distribution = _distribution(distribution)
    _warn_warping("sz_boltzmann_third_order", lam, v, k_f)
    _warn("sz_boltzmann_third_order", "dk / k_F", drift / k_f,
          _DRIFT_CORRECTION["sz"][distribution] * (drift / k_f) ** 2,
          "use a smaller drift dk << k_F")
    return (SZ3_COEFFICIENT[distribution] * lam / v * k_f * drift ** 3
            * np.cos(3 * theta))


def dirac_point_shift(g, spin_inplane, v):
    """Dirac point of ``H_MF`` with an in-plane spin: ``k* = (g/v) s x z_hat``.

    ``-g (s_x sigma_x + s_y sigma_y)`` added to ``v (k_x sigma_y - k_y
    sigma_x)`` is ``v ((k - k*)_x sigma_y - (k - k*)_y sigma_x)`` with
    ``k* = (g/v) (s_y, -s_x)``: the cone moves rigidly (exactly, any
    ``g``); for the Edelstein spin ``k* = (g k_F / 8 pi v) dk``.

    Parameters
    ----------
    g : float
        Contact coupling [eV nm^2].
    spin_inplane : array (..., 2)
        ``(s_x, s_y)`` [1/nm^2].
    v : float
        ``hbar v`` [eV nm], > 0.

    Returns
    -------
    ndarray (..., 2)
        ``k*`` [1/nm].
    """
    g = real_number("g", g, unit="eV nm^2")
    v = real_number("v", v, unit="eV nm", positive=True)
    spin = _real("spin_inplane", spin_inplane, "1/nm^2")
    if np.ndim(spin) == 0 or np.shape(spin)[-1] != 2:
        raise ValueError(f"spin_inplane must have a last axis (s_x, s_y) of "
                         f"length 2 [1/nm^2], got shape {np.shape(spin)}")
    return (g / v) * np.stack([spin[..., 1], -spin[..., 0]], axis=-1)


def mass_boltzmann(mu, v, lam, g, drift, theta, distribution="rta"):
    """Mass at the moved Dirac point for the Boltzmann spin, ``O(dk^3)``.

    ``m = lam |k*|^3 cos(3 theta) - g s_z^(3)`` with ``k* = (g k_F / 8 pi
    v) dk`` (:func:`dirac_point_shift` of the Edelstein spin) and
    ``s_z^(3)`` of :func:`sz_boltzmann_third_order`.  Both terms are
    ``~ dk^3 cos(3 theta)``, of opposite signs for ``g > 0``; their ratio is
    ``(g k_F / v)^2 / (240 pi^2)`` (RTA) or ``/ (40 pi^2)`` (drifted sea).
    The ``g^2 dk^3`` terms of a self-consistent solution (relative ``O(g
    k_F / v)`` to the exchange term; docs/ti_surface.md) are not included.

    Parameters
    ----------
    mu, v, lam, drift, theta, distribution
        As in :func:`sz_boltzmann_third_order`.
    g : float
        Contact coupling [eV nm^2].

    Returns
    -------
    SurfaceMass
        Terms [eV]; ``gap = 2 |total|``.
    """
    g = real_number("g", g, unit="eV nm^2")
    s_z = sz_boltzmann_third_order(mu, v, lam, drift, theta, distribution)
    s_perp = edelstein_spin_boltzmann(mu, v, drift, distribution=distribution)
    k_star = g * s_perp / v
    warping = lam * k_star ** 3 * np.cos(3 * np.asarray(theta, dtype=float))
    return _mass(-g * s_z, warping)


def _mass(exchange, warping):
    total = exchange + warping
    return SurfaceMass(exchange=exchange, warping=warping, total=total,
                       gap=2 * np.abs(total))


def gap_boltzmann(mu, v, lam, g, drift, theta, distribution="rta"):
    """Current-induced gap for the Boltzmann spin [eV]: ``2 |m|`` of
    :func:`mass_boltzmann` (both terms; leading ``2 |g s_z^(3)|``).

    Parameters as in :func:`mass_boltzmann`: ``mu`` [eV], ``v`` [eV nm],
    ``lam`` [eV nm^3], ``g`` [eV nm^2], ``drift`` [1/nm], ``theta`` [rad].
    The gap is ``~ |cos 3theta|``: zero for ``theta = pi/6 + n pi/3``.
    """
    return mass_boltzmann(mu, v, lam, g, drift, theta, distribution).gap


def boltzmann_crossover_coupling(distribution="rta"):
    """``g k_F / v`` at which the paper's ``lam |k*|^3`` term equals the
    exchange term ``g s_z^(3)`` (they cancel there for ``g > 0``).

    ``pi sqrt(240) = 48.7`` (RTA) or ``pi sqrt(40) = 19.9`` (drifted sea):
    far outside the weak coupling ``g k_F / v << 1`` in which the
    expansion holds, so the exchange term, first order in ``g``, is the
    leading one (docs/ti_surface.md, section B).  Dimensionless.
    """
    distribution = _distribution(distribution)
    # lam (g k_F / 8 pi v)^3 dk^3 = g c (lam / v) k_F dk^3
    return math.sqrt(512 * math.pi ** 3 * SZ3_COEFFICIENT[distribution])


def _window(mu, dmu):
    dmu = _real("dmu", dmu, "eV")
    if np.any(np.abs(dmu) >= 2 * mu):
        raise ValueError(f"|dmu| must be < 2 mu = {2 * mu} [eV] (the window "
                         f"[mu - dmu/2, mu + dmu/2] must lie in the upper "
                         f"band), got {dmu}")
    return dmu


def edelstein_spin_ballistic(mu, v, dmu):
    """In-plane spin of the ballistic (Landauer) window, first order.

    ``s_perp = k_F dmu / (4 pi^2 v)`` along ``z_hat x e`` (``e`` the
    direction of the movers injected by the higher reservoir), none along
    ``e``.  For the linear cone it is exact in ``dmu`` (the window integral
    of ``E dE`` is linear), up to relative ``(lam k_F^2 / v)^2``.  The
    spin is the bias-window part, as :mod:`kwant_noneq.density` defines it
    (the sea below ``mu - dmu/2`` carries none, by time reversal).

    Parameters
    ----------
    mu : float
        Chemical potential from the Dirac point [eV], > 0.
    v : float
        ``hbar v`` [eV nm], > 0.
    dmu : float or array
        ``mu_L - mu_R`` [eV], ``|dmu| < 2 mu``; signed (negative: the
        window is injected along ``-e``).

    Returns
    -------
    float or ndarray
        ``s_perp`` [1/nm^2] along ``z_hat x e``.
    """
    mu, v, k_f = _band(mu, v)
    dmu = _window(mu, dmu)
    return k_f * dmu / (4 * math.pi ** 2 * v)


def sz_ballistic(mu, v, lam, dmu, theta):
    """Out-of-plane spin of the ballistic window, first order in ``dmu``.

    ``s_z = -lam k_F^3 dmu cos(3 theta) / (12 pi^2 v^2)``: the step
    ``Theta(cos phi')`` of the injected movers has a ``cos 3phi'``
    harmonic ``-2 / (3 pi)``, which the Boltzmann ``cos phi'`` has not.

    Parameters
    ----------
    mu, v, dmu
        As in :func:`edelstein_spin_ballistic`.
    lam : float
        Warping of Eq. (10) [eV nm^3].
    theta : float or array
        Angle of the injected movers' direction from the crystal x axis
        [rad].

    Returns
    -------
    float or ndarray
        ``s_z`` [1/nm^2] (signed).  Neglected: relative ``(lam k_F^2/v)^2``
        and ``(dmu / mu)^2 / 4`` (the window integral of ``E^3 dE``).
    """
    mu, v, k_f = _band(mu, v)
    lam = real_number("lam", lam, unit="eV nm^3")
    dmu = _window(mu, dmu)
    theta = _real("theta", theta, "rad")
    _warn_warping("sz_ballistic", lam, v, k_f)
    _warn("sz_ballistic", "dmu / mu", dmu / mu, (dmu / mu) ** 2 / 4,
          "use a smaller bias dmu << mu")
    return -lam * k_f ** 3 * dmu * np.cos(3 * theta) / (12 * math.pi ** 2
                                                        * v ** 2)


def mass_ballistic(mu, v, lam, g, dmu, theta):
    """Mass at the moved Dirac point for the ballistic spin.

    ``m = lam |k*|^3 cos(3 theta) - g s_z`` with ``k* = (g s_perp / v) e``
    (:func:`edelstein_spin_ballistic`, :func:`dirac_point_shift`) and
    ``s_z`` of :func:`sz_ballistic`: the exchange term is first order in
    ``dmu``, ``g``, ``lam``, third in ``mu``; the warping term is ``~ g^3
    dmu^3``; both have the sign of ``lam cos(3 theta)`` for ``g, dmu > 0``.
    Self-consistency corrects them by relative ``O(dmu / mu)``.

    Parameters
    ----------
    mu, v, lam, dmu, theta
        As in :func:`sz_ballistic` ([eV], [eV nm], [eV nm^3], [eV], [rad]).
    g : float
        Contact coupling [eV nm^2].

    Returns
    -------
    SurfaceMass
        Terms [eV]; ``gap = 2 |total|``.
    """
    g = real_number("g", g, unit="eV nm^2")
    s_z = sz_ballistic(mu, v, lam, dmu, theta)
    k_star = g * edelstein_spin_ballistic(mu, v, dmu) / v
    warping = lam * k_star ** 3 * np.cos(3 * np.asarray(theta, dtype=float))
    return _mass(-g * s_z, warping)


def gap_ballistic(mu, v, lam, g, dmu, theta):
    """Current-induced gap for the ballistic spin [eV]: ``2 |m|`` of
    :func:`mass_ballistic`; leading ``g lam mu^3 |dmu cos 3theta| / (6
    pi^2 v^5)``.

    Parameters as in :func:`mass_ballistic`: ``mu`` [eV], ``v`` [eV nm],
    ``lam`` [eV nm^3], ``g`` [eV nm^2], ``dmu`` [eV], ``theta`` [rad].
    """
    return mass_ballistic(mu, v, lam, g, dmu, theta).gap


def anomalous_hall_massive_dirac(mu, m):
    """Intrinsic anomalous Hall conductivity of one massive Dirac cone.

    ``H = v (q_x sigma_y - q_y sigma_x) + m sigma_z``, T = 0, every state
    below ``mu`` filled (the whole lower cone included)::

        sigma_xy = -(1/2) m / mu       (|mu| > |m|, in a band)
        sigma_xy = -(1/2) sgn(m)       (|mu| <= |m|, in the gap)

    in units of e^2/h, with ``j_a = sigma_ab E_b`` and ``sigma_xy =
    -(e^2/hbar) int d^2k/(2 pi)^2 f Omega`` (upper band ``Omega = -m v^2 /
    (2 E^3)``), the convention of :mod:`kwant_noneq.nonlinear_hall`.
    Independent of ``v``.

    Parameters
    ----------
    mu : float or array
        Chemical potential from the Dirac point [eV] (any sign).
    m : float
        Mass [eV].

    Returns
    -------
    float or ndarray
        ``sigma_xy`` [e^2/h].
    """
    mu = _real("mu", mu, "eV")
    m = real_number("m", m, unit="eV")
    if m == 0:
        return _scalar(0.0 * mu)
    return _scalar(-0.5 * m / np.maximum(np.abs(mu), abs(m)))


def anomalous_hall_upper_band(mu, m):
    """The upper band's part of :func:`anomalous_hall_massive_dirac`.

    ``-(e^2/h) int_{E_+ < mu} d^2k/(2 pi) Omega_+ = (1/2) (sgn(m) - m/mu)``
    for ``mu > |m|``, 0 below: ``sigma_xy(mu) - sigma_xy(gap)``, which a
    lattice model defines without the filled bands' (cut-off dependent)
    share.

    Parameters
    ----------
    mu : float or array
        Chemical potential from the Dirac point [eV] (any sign).
    m : float
        Mass [eV].

    Returns
    -------
    float or ndarray
        [e^2/h].
    """
    mu = _real("mu", mu, "eV")
    m = real_number("m", m, unit="eV")
    inside = mu > abs(m)
    return _scalar(np.where(inside, 0.5 * (np.sign(m) - m / np.where(inside, mu, 1.0)),
                            0.0))
