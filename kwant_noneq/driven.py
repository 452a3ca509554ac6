"""Homogeneous current-carrying state of a 2D band in k space.

A 2D Bloch Hamiltonian ``H(kx, ky)`` [eV] (any callable, vectorised over
``kx, ky`` [1/nm], returning ``(..., n, n)``) with one partially filled band
``band`` (a Fermi pocket around ``centre``; the bands below filled, those
above empty there) is driven by a current.  This module gives the
current-induced expectation values of onsite-like observables (matrices
``(nops, n, n)``, e.g. spin) per area [1/nm^2], their self-consistent
exchange field, and the gap of the mean-field bands; Balram et al.,
PRL 123, 246803 (2019), Eq. (10)-(11) and the paragraph after them.

Distributions (T = 0 throughout; a finite temperature is not implemented)

* :class:`Boltzmann`: constant relaxation time, the RTA orders
  ``f = sum_n (-dk.grad)^n f0`` with ``dk = -e E tau / hbar`` the drift
  [1/nm] (order ``n`` alone or the sum of orders ``1..n``);
* :class:`DriftedSea`: the rigidly shifted Fermi sea ``f0(k - dk)``, all
  orders; its order ``n`` is the RTA order ``n`` divided by ``n!``;
* :class:`Ballistic`: Landauer, states with velocity ``v.e > 0`` along the
  current direction ``e`` filled to ``mu_left``, the others to
  ``mu_right``.

Only the current-induced part is returned: ``f - f0`` for the Boltzmann
distributions (orders ``n >= 1``), and for the ballistic one the *bias
window*, ``int_{mu_R}^{mu_L} dE int d^2k/(2 pi)^2 delta(E - e_k)
Theta(v.e) O(k)``, the definition of the real-space engine's density
(:mod:`kwant_noneq.density`).  In a time-reversal-symmetric band the
equilibrium part carries no spin, so this is the whole spin; on mean-field
bands the equilibrium response of the filled states to the exchange field
(the Dirac sea's paramagnetic response, cut-off dependent in a continuum
model) is left out, as in the real-space engine.

Quadrature (docs/architecture.md, section 6.4).  Everything lives near the
Fermi surface: the drifted sea is ``S(dk) - S(0) = sum over rays of
int_{R_0}^{R(dk)} r O(r) dr`` (rays from ``centre``; the Dirac point, where
a spin texture is discontinuous, is never a node), trapezoid in angle
(spectral for a smooth periodic integrand), Gauss-Legendre in radius, Fermi
crossings by bracketing and the Illinois method to machine precision.  The
RTA orders are the Taylor coefficients of ``S(t dk)`` in ``t``, from a
Chebyshev interpolant on ``|t dk| <= taylor_fraction * min R_0`` (the
interpolant converges geometrically since ``S(t dk)`` is analytic for
``|t dk|`` below the distance from ``centre`` to the Fermi surface).  The
ballistic window is Gauss-Legendre in energy and, on each Fermi contour,
Gauss-Legendre in angle on the arcs where ``v.e > 0`` (their end points
found to machine precision), so the step ``Theta(v.e)`` costs no accuracy.
With the defaults the drifted sea and the window are exact to ~1e-14 of
the largest component, the RTA orders to ~1e-12 (order 3 to ~1e-11 of
itself: at the Chebyshev nodes it is ``taylor_fraction^2`` below order 1,
which amplifies rounding) (tests/test_driven.py).

Self-consistency (Eq. 11) moves a Dirac cone rigidly to ``k* = (g/v) s x z``
while a warping term stays put; on a warped cone this adds ``(3/20 pi) g
k_F / v`` to the RTA's third-order ``s_z`` (not the Stoner factor ``-g k_F /
(4 pi v)`` of the equilibrium sea, which this current-induced spin leaves
out), and ``-g dmu / (8 pi v^2)`` to the window's ``s_z`` (its mass).

Units: k [1/nm], energies [eV], observables per area [1/nm^2], spin
``s = <sigma>/2`` (hbar = 1), interaction ``g`` [eV nm^2], field ``h = -g s``
[eV].
"""
import dataclasses
import math

import numpy as np

from . import checks
from .bloch import BlochHamiltonian, bloch_hamiltonian, bracketed_roots
from .mixing import ConvergenceError, check_fixed_point_options, solve_fixed_point

__all__ = ["Boltzmann", "DriftedSea", "Ballistic", "DrivenBand",
           "DiracGap", "DrivenState", "mean_field_hamiltonian",
           "dirac_gap", "solve_driven_exchange"]


# --- distributions ----------------------------------------------------------

def _vector2(name, value, unit):
    try:
        out = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be two real numbers [{unit}], got "
                        f"{value!r}") from None
    if out.shape != (2,) or not np.all(np.isfinite(out)):
        raise ValueError(f"{name} must be two finite numbers (x, y) [{unit}], "
                         f"got {value!r}")
    out.setflags(write=False)
    return out


@dataclasses.dataclass(frozen=True)
class Boltzmann:
    """Constant-relaxation-time Boltzmann distribution, by RTA order.

    ``f = sum_n (-dk.grad)^n f0`` (``f0`` the T = 0 equilibrium at ``mu``):
    the current-induced part is orders ``n = 1..order`` (``only=False``) or
    order ``order`` alone (``only=True``).

    Attributes
    ----------
    mu : float
        Chemical potential [eV] (absolute, as the Hamiltonian's energies).
    drift : (2,) array
        ``dk = -e E tau / hbar`` [1/nm], the drift of the Fermi sea (along
        the electrons' motion).
    order : int
        Highest (or only) RTA order, >= 1.
    only : bool
        Only order ``order`` instead of the sum of orders 1..order.
    """

    mu: float
    drift: np.ndarray
    order: int = 1
    only: bool = False

    def __post_init__(self):
        object.__setattr__(self, "mu", checks.real_number("mu", self.mu, unit="eV"))
        object.__setattr__(self, "drift", _vector2("drift", self.drift, "1/nm"))
        object.__setattr__(self, "order", checks.integer(
            "order", self.order, minimum=1,
            remedy="order 0 is the equilibrium, which carries no current"))
        if not isinstance(self.only, (bool, np.bool_)):
            raise TypeError(f"only must be True or False, got {self.only!r}")


@dataclasses.dataclass(frozen=True)
class DriftedSea:
    """The rigidly drifted Fermi sea ``f0(k - dk)`` (all orders in ``dk``).

    Attributes
    ----------
    mu : float
        Chemical potential [eV].
    drift : (2,) array
        Shift ``dk`` [1/nm]; ``|dk|`` must stay below the distance from the
        pocket centre to the Fermi surface.
    """

    mu: float
    drift: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "mu", checks.real_number("mu", self.mu, unit="eV"))
        object.__setattr__(self, "drift", _vector2("drift", self.drift, "1/nm"))


@dataclasses.dataclass(frozen=True)
class Ballistic:
    """Ballistic (Landauer) distribution at T = 0, its bias-window part.

    States with ``v.e > 0`` (``e`` the current direction) are filled to
    ``mu_left``, the others to ``mu_right``; the current-induced part is
    ``int_{mu_right}^{mu_left} dE sum_k delta(E - e_k) Theta(v.e) O(k)``
    (negative orientation when ``mu_left < mu_right``).

    Attributes
    ----------
    mu_right, mu_left : float
        Chemical potentials [eV] of the right and left reservoirs.
    current_angle : float
        Direction ``e = (cos, sin)`` of the current from the kx axis [rad].
    """

    mu_right: float
    mu_left: float
    current_angle: float = 0.0

    def __post_init__(self):
        for name in ("mu_right", "mu_left"):
            object.__setattr__(self, name, checks.real_number(
                name, getattr(self, name), unit="eV"))
        object.__setattr__(self, "current_angle", checks.real_number(
            "current_angle", self.current_angle, unit="rad"))

    @property
    def direction(self):
        return np.array([math.cos(self.current_angle), math.sin(self.current_angle)])


_DISTRIBUTIONS = (Boltzmann, DriftedSea, Ballistic)


def _component_form(bloch):
    """``H(kx, ky)`` and ``dH/dk(kx, ky)`` of a 2D BlochHamiltonian (which
    takes k of shape (..., 2))."""
    if bloch.dim != 2:
        raise ValueError(f"a DrivenBand needs a 2D Bloch Hamiltonian, got "
                         f"dim = {bloch.dim}")

    def hamiltonian(kx, ky):
        return bloch(np.stack(np.broadcast_arrays(kx, ky), -1))

    def derivative(kx, ky):
        return bloch.derivative(np.stack(np.broadcast_arrays(kx, ky), -1))

    return hamiltonian, derivative


# --- the band ---------------------------------------------------------------

class DrivenBand:
    """One partially filled band of a 2D Bloch Hamiltonian and its quadrature.

    Parameters
    ----------
    hamiltonian : kwant_noneq.bloch.BlochHamiltonian or callable
        A 2D :class:`~kwant_noneq.bloch.BlochHamiltonian` (of a Kwant
        builder with a 2D translational symmetry, or of a callable; k in
        [1/nm]), whose exact ``dH/dk`` is used unless ``derivative`` is
        given; or a callable ``H(kx, ky) -> array (..., n, n)`` [eV],
        Hermitian, vectorised over ``kx, ky`` [1/nm] of any (equal) shape.
    band : int
        Index (ascending energy) of the band that crosses the chemical
        potentials; lower bands must be filled and higher ones empty inside
        the pocket.
    centre : (2,) array
        A point inside the Fermi pocket [1/nm]: the Dirac point or band
        extremum.  The pocket must be star-shaped about it.
    k_max : float
        Every Fermi surface used lies within ``|k - centre| < k_max``
        [1/nm] (checked).
    derivative : callable, optional
        Exact ``dH/dk``: ``(kx, ky) -> (..., 2, n, n)`` [eV nm]; default a
        4th-order central difference with step ``fd_step``.
    n_angles : int
        Trapezoid angles for the drifted sea (spectral).
    n_radial : int
        Gauss-Legendre nodes between the unshifted and shifted Fermi radii.
    n_search : int
        Radial samples per ray that bracket the Fermi crossing (and check
        there is exactly one), and angles per ballistic Fermi contour that
        bracket the end points of its ``v.e > 0`` arcs.
    n_energy : int
        Gauss-Legendre energies across the ballistic window.
    n_arc : int
        Gauss-Legendre angles per arc of a ballistic Fermi contour.
    n_taylor : int
        Chebyshev nodes in ``t`` for the RTA orders.
    taylor_fraction : float
        Largest ``|t dk|`` of those nodes, in units of the smallest Fermi
        radius about ``centre``.
    fd_step : float or None
        Finite-difference step [1/nm] (default ``1e-3 k_max``).
    """

    def __init__(self, hamiltonian, band, centre=(0.0, 0.0), k_max=1.0, *,
                 derivative=None, n_angles=64, n_radial=12, n_search=64,
                 n_energy=8, n_arc=48, n_taylor=16, taylor_fraction=0.2,
                 fd_step=None):
        if isinstance(hamiltonian, BlochHamiltonian):
            hamiltonian, bloch_derivative = _component_form(hamiltonian)
            derivative = bloch_derivative if derivative is None else derivative
        if not callable(hamiltonian):
            raise TypeError("hamiltonian must be a 2D BlochHamiltonian or a "
                            "callable H(kx, ky) -> "
                            f"(..., n, n) [eV], got {type(hamiltonian).__name__}")
        if derivative is not None and not callable(derivative):
            raise TypeError("derivative must be a callable (kx, ky) -> "
                            "(..., 2, n, n) [eV nm] or None")
        self.centre = _vector2("centre", centre, "1/nm")
        self.k_max = checks.real_number("k_max", k_max, unit="1/nm", positive=True)
        self.n_angles = checks.integer("n_angles", n_angles, minimum=8)
        self.n_radial = checks.integer("n_radial", n_radial, minimum=2)
        self.n_search = checks.integer("n_search", n_search, minimum=4)
        self.n_energy = checks.integer("n_energy", n_energy, minimum=1)
        self.n_arc = checks.integer("n_arc", n_arc, minimum=4)
        self.n_taylor = checks.integer("n_taylor", n_taylor, minimum=4)
        self.taylor_fraction = checks.real_number(
            "taylor_fraction", taylor_fraction, positive=True)
        if self.taylor_fraction >= 0.5:
            raise ValueError("taylor_fraction must be < 0.5 (the Chebyshev "
                             "interpolant in t converges like "
                             "taylor_fraction^n_taylor), got "
                             f"{self.taylor_fraction}")
        self.fd_step = (1e-3 * self.k_max if fd_step is None else
                        checks.real_number("fd_step", fd_step, unit="1/nm",
                                           positive=True))
        self._H = hamiltonian
        self._dH = derivative
        h0 = np.asarray(hamiltonian(np.array(self.centre[0]), np.array(self.centre[1])))
        if h0.ndim != 2 or h0.shape[0] != h0.shape[1]:
            raise ValueError("hamiltonian(kx, ky) at one k must be a square "
                             f"matrix (n, n) [eV], got shape {h0.shape}")
        if not np.allclose(h0, h0.conj().T, atol=1e-12 * max(1.0, np.abs(h0).max())):
            raise ValueError("hamiltonian(kx, ky) must be Hermitian")
        self.norbs = h0.shape[0]
        self.band = checks.integer("band", band, minimum=0)
        if self.band >= self.norbs:
            raise ValueError(f"band must be < {self.norbs} (the Hamiltonian's "
                             f"size), got {self.band}")
        exact = (None if derivative is None else
                 lambda k: np.asarray(derivative(k[..., 0], k[..., 1])))
        self._bloch = bloch_hamiltonian(self.hamiltonian, dim=2, norbs=self.norbs,
                                        derivative=exact, fd_step=self.fd_step)
        self.settings = dict(derivative=derivative, n_angles=self.n_angles,
                             n_radial=self.n_radial, n_search=self.n_search,
                             n_energy=self.n_energy, n_arc=self.n_arc,
                             n_taylor=self.n_taylor,
                             taylor_fraction=self.taylor_fraction,
                             fd_step=fd_step)

    # -- construction of related bands

    def with_hamiltonian(self, hamiltonian, derivative=None, **changes):
        """The same quadrature on another Hamiltonian (e.g. mean-field bands)."""
        settings = dict(self.settings, derivative=derivative, **changes)
        centre = settings.pop("centre", self.centre)
        return DrivenBand(hamiltonian, self.band, centre, self.k_max, **settings)

    def refined(self):
        """A finer quadrature (for error estimates): twice the angles,
        energies and arc nodes, more radial and Chebyshev nodes."""
        return self.with_hamiltonian(
            self._H, self._dH, n_angles=2 * self.n_angles,
            n_radial=self.n_radial + 8, n_energy=2 * self.n_energy,
            n_arc=2 * self.n_arc, n_taylor=self.n_taylor + 8)

    # -- band data

    def hamiltonian(self, k):
        """``H`` at ``k`` (..., 2) [1/nm], checked."""
        k = np.asarray(k, float)
        h = np.asarray(self._H(k[..., 0], k[..., 1]))
        if h.shape != k.shape[:-1] + (self.norbs, self.norbs):
            raise ValueError(f"hamiltonian returned shape {h.shape} for "
                             f"{k.shape[:-1]} momenta, expected "
                             f"{k.shape[:-1] + (self.norbs, self.norbs)}")
        if not np.all(np.isfinite(h)):
            raise ValueError("hamiltonian is not finite: a parameter is NaN or "
                             "infinite")
        return h

    def energies(self, k):
        """All band energies at ``k`` (..., 2) [eV], ascending."""
        h = self.hamiltonian(k)
        if self.norbs == 2:
            h0, d = _pauli_parts(h)
            r = np.linalg.norm(d, axis=-1)
            return np.stack([h0 - r, h0 + r], -1)
        return np.linalg.eigvalsh(h)

    def band_energy(self, k, band=None):
        """Energy of ``band`` (default: the driven band) at ``k`` [eV]."""
        return self.energies(k)[..., self.band if band is None else band]

    def projector(self, k):
        """Projector on the driven band's state at ``k``: (..., n, n)."""
        h = self.hamiltonian(k)
        if self.norbs == 2:
            _, d = _pauli_parts(h)
            r = np.linalg.norm(d, axis=-1, keepdims=True)
            dhat = d / np.where(r > 0, r, 1.0)
            sign = 1.0 if self.band == 1 else -1.0
            return 0.5 * (_EYE2 + sign * np.einsum("...i,iab->...ab", dhat, _PAULI3))
        _, u = np.linalg.eigh(h)
        psi = u[..., :, self.band]
        return psi[..., :, None] * psi[..., None, :].conj()

    def derivative(self, k):
        """``dH/dk`` at ``k`` (..., 2): (..., 2, n, n) [eV nm]; the exact
        ``derivative`` if given, else :mod:`kwant_noneq.bloch`'s 4th-order
        central difference (step ``fd_step``)."""
        return self._bloch.derivative(np.asarray(k, float))

    def velocity(self, k, projector=None):
        """``d e_band / dk`` at ``k`` (..., 2) [eV nm] (Hellmann-Feynman)."""
        P = self.projector(k) if projector is None else projector
        return np.einsum("...iab,...ba->...i", self.derivative(k), P).real

    # -- Fermi radii

    def _directions(self, angles):
        return np.stack([np.cos(angles), np.sin(angles)], -1)

    def fermi_radius(self, energy, angles, shift=(0.0, 0.0), near=None):
        """Radius ``R`` on rays ``centre + R (cos, sin)(angles)`` where
        ``e_band(k - shift) = energy``.

        Parameters
        ----------
        energy : float or array (broadcast with ``angles``) [eV]
        angles : array [rad]
        shift : (2,) or (..., 2) array [1/nm]
            Broadcast with ``angles``.
        near : array or None
            Radii expected within ``2 |shift|`` of the result (the unshifted
            ones): rays bracketed there need no radial search.

        Raises ValueError when a ray has no crossing within ``k_max`` or
        more than one (pocket not star-shaped about ``centre``).
        """
        angles = np.asarray(angles, float)
        shift = np.asarray(shift, float)
        energy = np.asarray(energy, float)
        shape = np.broadcast_shapes(angles.shape, shift.shape[:-1], energy.shape)
        dirs = np.broadcast_to(self._directions(angles), shape + (2,)).reshape(-1, 2)
        origin = (self.centre - np.broadcast_to(shift, shape + (2,))).reshape(-1, 2)
        target = np.broadcast_to(energy, shape).reshape(-1)
        r_top = self.k_max + np.linalg.norm(origin - self.centre, axis=-1)
        lo = np.zeros(len(target))
        hi, elo, ehi = lo.copy(), lo.copy(), lo.copy()
        search = np.ones(len(target), bool)
        if near is not None:
            near = np.broadcast_to(near, shape).reshape(-1)
            spread = 2 * np.linalg.norm(origin - self.centre, axis=-1) + 1e-12 * near
            lo_n = np.maximum(near - spread, 0.0)
            hi_n = np.minimum(near + spread, r_top)
            e2 = self.band_energy(
                origin[:, None] + np.stack([lo_n, hi_n], -1)[..., None]
                * dirs[:, None]) - target[:, None]
            ok = (e2[:, 0] < 0) & (e2[:, 1] > 0)
            lo[ok], hi[ok], elo[ok], ehi[ok] = lo_n[ok], hi_n[ok], e2[ok, 0], e2[ok, 1]
            search = ~ok
        if search.any():
            sl = np.nonzero(search)[0]
            lo[sl], hi[sl], elo[sl], ehi[sl] = self._bracket(
                target[sl], origin[sl], dirs[sl], r_top[sl])

        def f(r, i):
            return (self.band_energy(origin[i] + r[:, None] * dirs[i])
                    - target[i])

        return bracketed_roots(f, lo, hi, elo, ehi).reshape(shape)

    def _bracket(self, target, origin, dirs, r_top):
        """Radial search: the one sign change of ``e_band - target`` on each
        ray in ``[0, r_top]``, or ValueError."""
        grid = np.linspace(0.0, 1.0, self.n_search)
        rr = r_top[:, None] * grid
        e = self.band_energy(origin[:, None] + rr[..., None] * dirs[:, None]) \
            - target[:, None]
        above = e > 0
        changes = np.count_nonzero(above[:, 1:] != above[:, :-1], axis=1)
        if np.any(changes != 1) or np.any(above[:, 0]) or np.any(~above[:, -1]):
            bad = int(np.nonzero((changes != 1) | above[:, 0] | ~above[:, -1])[0][0])
            if changes[bad] == 0:
                what = "no crossing within k_max"
            elif changes[bad] > 1:
                what = (f"{changes[bad]} crossings (the pocket is not star-"
                        "shaped about centre, or k_max reaches another pocket)")
            elif above[bad, 0]:
                what = "the band above the energy at the centre"
            else:
                what = "the band still below the energy at k_max"
            raise ValueError(
                f"band {self.band} at energy {target[bad]:g} eV: the ray from "
                f"centre {tuple(self.centre)} 1/nm at angle "
                f"{math.atan2(dirs[bad, 1], dirs[bad, 0]):.4f} rad has {what}; "
                f"the band must be below the energy at the centre and above it "
                f"from radius k_max = {self.k_max:g} 1/nm on: choose centre "
                "inside the pocket and k_max beyond its Fermi surface")
        j = np.argmax(above, axis=1)
        m = np.arange(len(j))
        return rr[m, j - 1], rr[m, j], e[m, j - 1], e[m, j]

    def _check_other_bands(self, energy, radius_angles):
        """Lower bands filled and higher ones empty at ``energy`` on the
        Fermi surface's rays (sampled)."""
        R, angles = radius_angles
        k = self.centre + (np.linspace(0, 1, 9)[:, None, None] * R[None, :, None]
                           * self._directions(angles)[None])
        e = self.energies(k)
        if self.band > 0 and np.any(e[..., :self.band] >= energy):
            raise ValueError(f"a band below band {self.band} reaches the energy "
                             f"{energy:g} eV inside the pocket: it is not "
                             "filled, so it would be driven too")
        if self.band + 1 < self.norbs and np.any(e[..., self.band + 1:] <= energy):
            raise ValueError(f"a band above band {self.band} comes below the "
                             f"energy {energy:g} eV inside the pocket")

    # -- observables

    def _expect(self, k, operators):
        """``<O>`` of the driven band at ``k`` (..., 2): (..., nops)."""
        P = self.projector(k)
        return np.einsum("oab,...ba->...o", operators, P).real

    def check_operators(self, operators):
        """Observables as a float-Hermitian stack (nops, n, n)."""
        ops = np.asarray(operators)
        if ops.ndim == 2:
            ops = ops[None]
        if ops.ndim != 3 or ops.shape[1:] != (self.norbs, self.norbs):
            raise ValueError(f"operators must have shape (nops, {self.norbs}, "
                             f"{self.norbs}) (matrices in the Hamiltonian's "
                             f"orbital basis), got {np.shape(operators)}")
        if not np.all(np.isfinite(ops)):
            raise ValueError("operators contain NaN or infinite values")
        if not np.allclose(ops, ops.conj().transpose(0, 2, 1)):
            raise ValueError("operators must be Hermitian")
        return ops.astype(complex)

    def _sea_angles(self):
        return 2 * np.pi * (np.arange(self.n_angles) + 0.5) / self.n_angles

    def drifted_sea(self, operators, mu, drift):
        """Current-induced ``sum_k [f0(k - dk) - f0(k)] <O>_k`` [1/nm^2].

        Parameters
        ----------
        operators : array (nops, n, n)
        mu : float
            Chemical potential [eV].
        drift : (2,) or (m, 2) array
            Shift(s) ``dk`` [1/nm].

        Returns
        -------
        array (nops,) or (m, nops)
        """
        ops = self.check_operators(operators)
        mu = checks.real_number("mu", mu, unit="eV")
        drift = np.asarray(drift, float)
        single = drift.ndim == 1
        drift = np.atleast_2d(drift)
        angles = self._sea_angles()
        R0 = self.fermi_radius(mu, angles)
        self._check_other_bands(mu, (R0, angles))
        if np.any(np.linalg.norm(drift, axis=-1) >= R0.min()):
            raise ValueError(f"|drift| must be below the smallest Fermi radius "
                             f"about centre, {R0.min():.4g} 1/nm (the shifted "
                             "pocket must contain the centre)")
        out = self._sea_between(ops, mu, angles, R0, drift)
        return out[0] if single else out

    def _sea_between(self, ops, mu, angles, R0, drift):
        """sum over rays of int_{R0}^{R(dk)} r <O> dr / (2 pi)^2 for each dk."""
        R = self.fermi_radius(mu, angles[None, :], drift[:, None, :],
                              near=R0[None, :])                  # (m, nth)
        x, w = np.polynomial.legendre.leggauss(self.n_radial)
        half = (R - R0) / 2
        r = (R + R0)[..., None] / 2 + half[..., None] * x          # (m, nth, q)
        k = self.centre + r[..., None] * self._directions(angles)[None, :, None, :]
        vals = self._expect(k, ops)                                 # (m, nth, q, o)
        wr = (half[..., None] * w * r)[..., None]
        return (wr * vals).sum(axis=(1, 2)) / (self.n_angles * 2 * np.pi)

    def drifted_sea_orders(self, operators, mu, drift, max_order=3):
        """Orders ``n = 1..max_order`` in ``dk`` of :meth:`drifted_sea`.

        The Taylor coefficients of ``S(t dk)`` in ``t`` (Chebyshev
        interpolation, module docstring); the RTA order ``n`` is ``n!``
        times order ``n`` (:meth:`boltzmann_orders`).

        Returns
        -------
        array (max_order, nops) [1/nm^2]: row ``n - 1`` is order ``n``.
        """
        ops = self.check_operators(operators)
        mu = checks.real_number("mu", mu, unit="eV")
        drift = _vector2("drift", drift, "1/nm")
        max_order = checks.integer("max_order", max_order, minimum=1)
        if max_order >= self.n_taylor:
            raise ValueError(f"max_order must be < n_taylor = {self.n_taylor}")
        angles = self._sea_angles()
        R0 = self.fermi_radius(mu, angles)
        self._check_other_bands(mu, (R0, angles))
        size = float(np.linalg.norm(drift))
        if size == 0:
            return np.zeros((max_order, len(ops)))
        tau = self.taylor_fraction * R0.min() / size
        N = self.n_taylor
        x = np.cos(np.pi * (np.arange(N) + 0.5) / N)
        values = self._sea_between(ops, mu, angles, R0, tau * x[:, None] * drift)
        cheb = np.polynomial.chebyshev.chebfit(x, values, N - 1)   # (N, o)
        # monomial coefficients: T_k = sum_n M[n, k] x^n
        M = np.zeros((N, N))
        for k in range(N):
            c = np.polynomial.chebyshev.cheb2poly(np.eye(N)[k])
            M[:len(c), k] = c
        poly = M @ cheb
        n = np.arange(1, max_order + 1)
        return poly[1:max_order + 1] / tau ** n[:, None]

    def boltzmann_orders(self, operators, mu, drift, max_order=3):
        """RTA orders ``sum_k [(-dk.grad)^n f0] <O>_k``, ``n = 1..max_order``.

        Returns
        -------
        array (max_order, nops) [1/nm^2]: row ``n - 1`` is order ``n``
        (``n!`` times the drifted sea's order ``n``).
        """
        orders = self.drifted_sea_orders(operators, mu, drift, max_order)
        fact = np.array([math.factorial(n) for n in range(1, len(orders) + 1)])
        return orders * fact[:, None]

    # -- ballistic

    def _contour_velocity(self, energy, angles):
        """Fermi radius, point, projector and velocity on rays at ``energy``."""
        R = self.fermi_radius(energy, angles)
        k = self.centre + R[..., None] * self._directions(angles)
        P = self.projector(k)
        return R, k, P, self.velocity(k, P)

    def ballistic(self, operators, mu_right, mu_left, current_angle=0.0):
        """Bias-window ``int_{mu_R}^{mu_L} dE sum_k delta(E - e_k)
        Theta(v.e) <O>_k`` [1/nm^2] (T = 0).

        Parameters
        ----------
        operators : array (nops, n, n)
        mu_right, mu_left : float
            Chemical potentials [eV] (``mu_left > mu_right``: current along
            ``e``).
        current_angle : float
            Direction ``e`` of the current from the kx axis [rad].

        Returns
        -------
        array (nops,) [1/nm^2]
        """
        ops = self.check_operators(operators)
        dist = Ballistic(mu_right, mu_left, current_angle)
        lo, hi = sorted((dist.mu_right, dist.mu_left))
        sign = 1.0 if dist.mu_left >= dist.mu_right else -1.0
        if hi == lo:
            return np.zeros(len(ops))
        e_dir = dist.direction
        xe, we = np.polynomial.legendre.leggauss(self.n_energy)
        energies = (hi + lo) / 2 + (hi - lo) / 2 * xe
        wE = we * (hi - lo) / 2
        ns = self.n_search
        grid = 2 * np.pi * np.arange(ns) / ns
        R, _, _, v = self._contour_velocity(energies[:, None], grid[None, :])
        for E, r in zip(energies, R):
            self._check_other_bands(E, (r, grid))
        proj = v @ e_dir                                   # (nE, ns)
        pos = proj > 0
        ie, j = np.nonzero(pos != np.roll(pos, -1, axis=1))  # between j and j+1
        fa, fb = proj[ie, j], proj[ie, (j + 1) % ns]

        def f(phi, idx):
            return self._contour_velocity(energies[ie[idx]], phi)[3] @ e_dir

        # 1e-14 rad: the end point's error enters the integral linearly
        roots = bracketed_roots(f, grid[j], grid[j] + 2 * np.pi / ns, fa, fb, xtol=1e-14)
        rising = fa < 0                              # start of a v.e > 0 arc
        arc_e, arc_lo, arc_hi = [], [], []
        for n, E in enumerate(energies):
            starts = roots[(ie == n) & rising]
            stops = roots[(ie == n) & ~rising]
            if len(starts) != len(stops):
                raise RuntimeError("could not pair the end points of the v.e > 0 "
                                   f"arcs of the Fermi contour at {E:g} eV")
            if len(starts) == 0 and pos[n].all():
                starts, stops = np.array([0.0]), np.array([2 * np.pi])
            for s0 in starts:             # each start, then its stop counter-clockwise
                arc_e.append(n)
                arc_lo.append(s0)
                arc_hi.append(s0 + ((stops - s0) % (2 * np.pi)).min())
        if not arc_e:
            return np.zeros(len(ops))
        arc_e, arc_lo, arc_hi = map(np.array, (arc_e, arc_lo, arc_hi))
        xa, wa = np.polynomial.legendre.leggauss(self.n_arc)
        half = (arc_hi - arc_lo)[:, None] / 2
        phi = (arc_hi + arc_lo)[:, None] / 2 + half * xa          # (arcs, q)
        Ra, _, Pa, va = self._contour_velocity(energies[arc_e][:, None], phi)
        radial = np.einsum("...i,...i->...", va, self._directions(phi))
        vals = np.einsum("oab,...ba->...o", ops, Pa).real
        wgt = wE[arc_e][:, None] * half * wa * Ra / np.abs(radial)
        total = np.einsum("mq,mqo->o", wgt, vals)
        return sign * total / (2 * np.pi) ** 2

    # -- dispatch

    def expectation(self, operators, distribution):
        """Current-induced ``sum_k (f - f0) <O>_k`` [1/nm^2] for a
        :class:`Boltzmann`, :class:`DriftedSea` or :class:`Ballistic`
        distribution; array (nops,)."""
        if isinstance(distribution, Boltzmann):
            orders = self.boltzmann_orders(operators, distribution.mu,
                                           distribution.drift, distribution.order)
            return orders[-1] if distribution.only else orders.sum(0)
        if isinstance(distribution, DriftedSea):
            return self.drifted_sea(operators, distribution.mu, distribution.drift)
        if isinstance(distribution, Ballistic):
            return self.ballistic(operators, distribution.mu_right,
                                  distribution.mu_left, distribution.current_angle)
        raise TypeError("distribution must be a Boltzmann, DriftedSea or "
                        f"Ballistic, got {type(distribution).__name__}")

    def spin(self, spin_operators, distribution):
        """Current-induced spin ``s = <sigma>/2`` per area [1/nm^2], (3,)."""
        ops = _check_spin(spin_operators, self.norbs)
        return self.expectation(ops / 2, distribution)


_EYE2 = np.eye(2, dtype=complex)
_PAULI3 = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]])


def _pauli_parts(h):
    """``h = h0 + d.sigma`` of 2 x 2 matrices: ``(h0, d)``."""
    h0 = 0.5 * (h[..., 0, 0] + h[..., 1, 1]).real
    d = np.stack([h[..., 0, 1].real, -h[..., 0, 1].imag,
                  0.5 * (h[..., 0, 0] - h[..., 1, 1]).real], -1)
    return h0, d


def _check_spin(spin_operators, norbs):
    ops = np.asarray(spin_operators)
    if ops.shape != (3, norbs, norbs):
        raise ValueError(f"spin_operators must have shape (3, {norbs}, {norbs}) "
                         "(sigma_x, sigma_y, sigma_z, not halved), got "
                         f"{ops.shape}")
    if not np.allclose(ops, ops.conj().transpose(0, 2, 1)):
        raise ValueError("spin operators must be Hermitian")
    return ops.astype(complex)


# --- mean field and gap -----------------------------------------------------

def mean_field_hamiltonian(hamiltonian, field, spin_operators):
    """``H_MF(kx, ky) = H(kx, ky) + h.sigma`` (Eq. 11 with ``h = -g <s>``).

    Parameters
    ----------
    hamiltonian : callable
        ``H(kx, ky) -> (..., n, n)`` [eV].
    field : (3,) array
        Exchange field ``h`` [eV].
    spin_operators : array (3, n, n)
        ``sigma_x, sigma_y, sigma_z`` in the orbital basis.
    """
    field = np.asarray(field, float)
    if field.shape != (3,) or not np.all(np.isfinite(field)):
        raise ValueError(f"field must be three finite numbers [eV], got {field!r}")
    V = np.einsum("i,iab->ab", field, np.asarray(spin_operators))

    def H_MF(kx, ky):
        return np.asarray(hamiltonian(kx, ky)) + V

    return H_MF


@dataclasses.dataclass(frozen=True)
class DiracGap:
    """Minimum direct gap between two bands near a point.

    Attributes
    ----------
    gap : float
        ``min_k [e_band(k) - e_(band-1)(k)]`` [eV].
    point : (2,) array
        Where it is attained [1/nm] (the moved Dirac point).
    curvature : (2, 2) array
        Hessian of ``gap^2`` there [eV^2 nm^2] (``8 v^2`` times the
        identity for an isotropic cone).
    iterations : int
        Newton steps taken.
    """

    gap: float
    point: np.ndarray
    curvature: np.ndarray
    iterations: int


def dirac_gap(band_model, seed, *, radius=None, band=None, max_iter=50):
    """Minimum direct gap of ``band`` and the band below, near ``seed``.

    ``gap^2(k)`` is smooth (quadratic, ``4 (m^2 + v^2 |k - k*|^2)``, near a
    massive or massless Dirac point, where ``gap`` itself has a cone), so it
    is minimised: the best point of a 21 x 21 grid of half-width
    ``radius`` about ``seed``, then Newton steps with a central-difference
    gradient and Hessian (exact for a quadratic), backtracking when a step
    does not lower ``gap^2``.

    Parameters
    ----------
    band_model : DrivenBand
    seed : (2,) array
        Starting point [1/nm], e.g. the moved Dirac point ``(g/v) s x z``.
    radius : float or None
        Half-width of the search grid [1/nm] (default ``k_max / 20``).
    band : int or None
        Upper band of the pair (default ``band_model.band``, or 1 when the
        driven band is the lowest); >= 1.

    Returns
    -------
    DiracGap
    """
    seed = _vector2("seed", seed, "1/nm")
    if band is None:
        band = max(band_model.band, 1)
    band = checks.integer("band", band, minimum=1,
                          remedy="the gap is to the band below")
    if band >= band_model.norbs:
        raise ValueError(f"band must be < {band_model.norbs}, got {band}")
    radius = (band_model.k_max / 20 if radius is None else
              checks.real_number("radius", radius, unit="1/nm", positive=True))

    def gap2(k):
        e = band_model.energies(k)
        return (e[..., band] - e[..., band - 1]) ** 2

    t = np.linspace(-radius, radius, 21)
    grid = seed + np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, 2)
    g2 = gap2(grid)
    k = grid[np.argmin(g2)]
    best = float(g2.min())
    h = radius / 10
    steps = 0
    hess = np.full((2, 2), np.nan)
    for steps in range(1, max_iter + 1):
        ex, ey = np.array([h, 0.0]), np.array([0.0, h])
        pts = np.array([k, k + ex, k - ex, k + ey, k - ey,
                        k + ex + ey, k + ex - ey, k - ex + ey, k - ex - ey])
        f = gap2(pts)
        grad = np.array([f[1] - f[2], f[3] - f[4]]) / (2 * h)
        hxx = (f[1] - 2 * f[0] + f[2]) / h ** 2
        hyy = (f[3] - 2 * f[0] + f[4]) / h ** 2
        hxy = (f[5] - f[6] - f[7] + f[8]) / (4 * h ** 2)
        hess = np.array([[hxx, hxy], [hxy, hyy]])
        try:
            step = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = -grad * h / max(np.abs(grad).max(), 1e-300)
        if np.any(np.linalg.eigvalsh(hess) <= 0):
            step = -grad * h / max(np.abs(grad).max(), 1e-300)
        moved = False
        for _ in range(40):
            trial = k + step
            ft = float(gap2(trial))
            if ft <= best:
                moved = ft < best or np.linalg.norm(step) > 0
                k, best = trial, ft
                break
            step = step / 2
        size = float(np.linalg.norm(step))
        h = min(h, max(4 * size, 1e-7 * radius))
        if not moved or size <= 1e-15 * max(1.0, float(np.linalg.norm(k))):
            break
    out = np.array(k)
    out.setflags(write=False)
    hess.setflags(write=False)
    return DiracGap(float(np.sqrt(best)), out, hess, steps)


# --- self-consistent state ----------------------------------------------------

@dataclasses.dataclass(frozen=True)
class DrivenState:
    """Self-consistent homogeneous state of a driven band (Eq. 11).

    Attributes
    ----------
    spin : (3,) array
        Current-induced spin ``s = <sigma>/2`` per area [1/nm^2].
    field : (3,) array
        Exchange field ``h = -g s`` [eV] (the fixed point).
    gap : float
        Minimum direct gap of the mean-field bands near the moved Dirac
        point [eV].
    dirac_point : (2,) array
        Where that gap is attained [1/nm].
    iterations : int
        Evaluations of the map ``h -> -g s[H + h.sigma]``.
    converged : bool
    residual : float
        ``max |F(h) - h|`` of the last evaluation [eV].
    spin_error : float
        Quadrature error estimate of ``spin`` [1/nm^2]: the largest change
        with :meth:`DrivenBand.refined` at the fixed point (NaN if not
        estimated).
    g : float
        Contact interaction [eV nm^2].
    distribution : Boltzmann, DriftedSea or Ballistic
    """

    spin: np.ndarray
    field: np.ndarray
    gap: float
    dirac_point: np.ndarray
    iterations: int
    converged: bool
    residual: float
    spin_error: float
    g: float
    distribution: object

    def as_dict(self):
        """Flat ``{name: number}`` (``spin_x``, ``field_z``, ``dirac_point_x``
        ...), one row of a sweep's table: ``pandas.DataFrame([s.as_dict()
        for s in states])`` (and ``.to_xarray()`` from there)."""
        out = {}
        for i, c in enumerate("xyz"):
            out[f"spin_{c}"] = float(self.spin[i])
            out[f"field_{c}"] = float(self.field[i])
        out["gap"] = self.gap
        out["dirac_point_x"], out["dirac_point_y"] = map(float, self.dirac_point)
        out.update(iterations=self.iterations, converged=self.converged,
                   residual=self.residual, spin_error=self.spin_error, g=self.g)
        return out


def solve_driven_exchange(band_model, spin_operators, distribution, g, *,
                          self_consistent=True, initial_field=None,
                          gap_seed=None, gap_radius=None, tol=None,
                          max_iter=40, mixing=1.0, method="anderson",
                          estimate_error=True, on_failure="raise"):
    """Self-consistent exchange field of a driven band with a contact
    interaction ``g delta(r)``: ``H_MF = H - g s.sigma`` (Eq. 11).

    Each evaluation of the map ``h -> -g s[H + h.sigma]`` recomputes the
    distribution on the mean-field bands (same ``mu``, drift or window and
    pocket centre) and its current-induced spin
    (:meth:`DrivenBand.spin`); the fixed point is found by
    :func:`kwant_noneq.mixing.solve_fixed_point`.

    Parameters
    ----------
    band_model : DrivenBand
        The bare band (its Hamiltonian ``H`` and quadrature).
    spin_operators : array (3, n, n)
        ``sigma_x, sigma_y, sigma_z`` (not halved).
    distribution : Boltzmann, DriftedSea or Ballistic
    g : float
        Contact interaction [eV nm^2].
    self_consistent : bool
        ``False``: the first-order field ``-g s[H]`` (no iteration).
    initial_field : (3,) array or None
        Starting field [eV] (default: the first-order field).
    gap_seed : (2,) array or None
        Where the gap search starts [1/nm] (default: the pocket centre); pass
        the moved Dirac point, e.g. ``(g/v) s x z`` for a Dirac cone.
    gap_radius : float or None
        Half-width of the gap's search grid [1/nm] (:func:`dirac_gap`).
    tol : float or None
        Convergence ``max |F(h) - h| <= tol`` [eV]; default ``1e-12`` times
        the largest component of the first-order field.
    max_iter, mixing, method, on_failure :
        As :func:`kwant_noneq.mixing.solve_fixed_point`; non-convergence
        raises :class:`kwant_noneq.mixing.ConvergenceError` by default.
    estimate_error : bool
        Recompute the spin at the fixed point with a refined quadrature.

    Returns
    -------
    DrivenState
    """
    if not isinstance(band_model, DrivenBand):
        raise TypeError(f"band_model must be a DrivenBand, got "
                        f"{type(band_model).__name__}")
    ops = _check_spin(spin_operators, band_model.norbs)
    if not isinstance(distribution, _DISTRIBUTIONS):
        raise TypeError("distribution must be a Boltzmann, DriftedSea or "
                        f"Ballistic, got {type(distribution).__name__}")
    g = checks.real_number("g (the contact interaction)", g, unit="eV nm^2")
    if tol is not None:
        tol = checks.real_number("tol", tol, unit="eV", positive=True)
    check_fixed_point_options(method, 1.0 if tol is None else tol, max_iter,
                              mixing, on_failure=on_failure)
    if gap_seed is not None:
        gap_seed = _vector2("gap_seed", gap_seed, "1/nm")
    if gap_radius is not None:
        gap_radius = checks.real_number("gap_radius", gap_radius, unit="1/nm",
                                        positive=True)
    if initial_field is not None:
        initial_field = np.asarray(initial_field, float)
        if initial_field.shape != (3,) or not np.all(np.isfinite(initial_field)):
            raise ValueError("initial_field must be three finite numbers [eV], "
                             f"got {initial_field!r}")

    def spin_at(h, model=band_model):
        mf = model.with_hamiltonian(mean_field_hamiltonian(model._H, h, ops),
                                    model._dH)
        return mf.spin(ops, distribution)

    def update(h):
        try:
            return -g * spin_at(h)
        except ValueError as err:
            raise ConvergenceError(
                f"the exchange field h = {np.array2string(h, precision=3)} eV "
                f"(g = {g} eV nm^2) moved the Fermi surface out of the pocket "
                f"quadrature ({err}); the loop diverges: use a smaller g or "
                "mixing, or warm-start from a solution at smaller g", None) from err

    first = -g * spin_at(np.zeros(3))
    if tol is None:
        tol = 1e-12 * max(float(np.abs(first).max()), 1e-300)
    if self_consistent and g != 0:
        h0 = first if initial_field is None else initial_field
        fp = solve_fixed_point(update, h0, method=method, tol=tol,
                               max_iter=max_iter, mixing=mixing,
                               on_failure=on_failure)
        h, it, conv = fp.x, fp.iterations, fp.converged
        residual = float(fp.residuals[-1])
        s = spin_at(h)
    else:
        h, it, conv, residual = first, 1, True, 0.0
        s = spin_at(np.zeros(3))
        if g != 0:
            h = -g * s
    error = math.nan
    if estimate_error:
        s_fine = spin_at(h if self_consistent else np.zeros(3), band_model.refined())
        error = float(np.abs(s_fine - s).max())
    mf = band_model.with_hamiltonian(mean_field_hamiltonian(band_model._H, h, ops),
                                     band_model._dH)
    seed = band_model.centre if gap_seed is None else gap_seed
    gap = dirac_gap(mf, seed, radius=gap_radius)
    s, h = np.array(s, float), np.array(h, float)
    s.setflags(write=False)
    h.setflags(write=False)
    return DrivenState(s, h, gap.gap, gap.point, it, bool(conv), residual,
                       error, g, distribution)
