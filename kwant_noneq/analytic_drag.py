"""Closed forms for Coulomb drag between massive Dirac surfaces.

Model (Liu, Liu and Culcer, "Anomalous Hall Coulomb drag of massive Dirac
fermions", Eq. 1): each surface l of a magnetic topological-insulator film is
one massive Dirac cone (one flavour, spin-momentum locked, no spin or valley
degeneracy),

    h_l(k) = +-A sigma.(k x z) + M_l sigma_z,   E_{l,+-}(k) = +-sqrt(A^2 k^2 + M_l^2).

The sign of the kinetic term (tau_z in Eq. 1) changes neither the energies,
the overlaps ``|<u_k|u_k'>|^2`` nor the Berry curvature, so one class describes
both surfaces.

Units: energy eV, length nm, time ps; conductivities in e^2/hbar,
resistivities in hbar/e^2 (multiply by ``HBAR_OVER_E2_OHM`` for Ohm).

Sign conventions
----------------
* Polarisation ``Pi = -chi`` (chi the retarded density response), so that the
  static ``Pi(q, 0) > 0`` and ``Im Pi(q, omega > 0) >= 0``; RPA dielectric
  function ``1 + V Pi``.
* ``omega`` is always an energy (``hbar omega``, eV).

What lives here
---------------
* :class:`MassiveDiracLayer`: dispersion, Fermi quantities, Berry curvature,
  intrinsic anomalous Hall conductivity, static polarisation (T = 0 closed
  form, finite T by Maldague's formula), the retarded dynamic polarisation
  ``Pi(q, omega)`` (intra- and interband; ``pi_T0`` at T = 0, ``pi_dynamic``
  exact at finite T), the finite-T intraband ``Im Pi`` and the two drag
  vertices (longitudinal ``g`` and anomalous ``h``) as exact
  one-dimensional integrals.
* :func:`pi_vacuum` (dynamic, undoped cone, Pyatkovskiy's closed form for
  one cone), :func:`pi_vacuum_static`, :func:`drag_resistivity_large_d`,
  :func:`low_temperature_drag_coefficients`.
"""
import dataclasses
import functools
import math

import numpy as np
from scipy.special import zeta

from . import checks
from .constants import COULOMB, HBAR, KB
from .coulomb import interlayer_potential
from .thermal import (THERMAL_WINDOW, fermi, maldague_nodes, thermal_map,
                      thermal_map_inverse)

__all__ = ["MassiveDiracLayer", "pi_vacuum_static", "pi_vacuum", "drag_resistivity_large_d",
           "low_temperature_drag_coefficients", "fermi_wavevector_from_density",
           "kramers_kronig_real"]

#: Masses below this (eV) are treated as 0 in the vacuum polarisation: the
#: correction is O(M / (A q)) < 1e-20 for any physical q and omega, while
#: the massive closed form overflows for M ~ 1e-154 eV.
MASSLESS_BELOW = 1e-30


def fermi_wavevector_from_density(n):
    """k_F (1/nm) of one non-degenerate Dirac cone at carrier density n (1/nm^2).

    One flavour (a TI surface): ``n = k_F^2 / (4 pi)``.  (Graphene, with
    spin and valley, would have ``n = k_F^2 / pi``.)
    """
    n = _real(n, "n (density)", "1/nm^2")
    if n < 0:
        raise ValueError(f"n (density) must be >= 0 (1/nm^2), got {n}")
    return math.sqrt(4 * math.pi * n)


def _real(value, name, unit):
    """A finite real number, by name (:func:`kwant_noneq.checks.real_number`)."""
    return checks.real_number(name, value, unit=unit)

def pi_vacuum_static(q, A, M):
    """Static polarisation of an undoped massive Dirac cone (1/(eV nm^2)).

    ``Pi_vac(q, 0) = [ |M| + (A^2 q^2 - 4 M^2) / (2 A q)
    * arcsin(A q / sqrt(A^2 q^2 + 4 M^2)) ] / (4 pi A^2)``

    Derived from ``Pi_vac = int d^2k/(2 pi)^2 2 F_{+-}(k, k+q) / (E_k + E_{k+q})``
    (interband virtual transitions of the filled valence band, one flavour).
    Limits: ``q / (16 A)`` for ``M = 0`` (graphene per flavour);
    ``q^2 / (12 pi |M|)`` for ``A q << |M|`` (insulator).  Checked against the
    direct two-dimensional integral in the tests.
    """
    q = np.asarray(q, dtype=float)
    M = abs(float(M))
    aq = A * q
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (M + (aq ** 2 - 4 * M ** 2) / (2 * aq)
               * np.arcsin(aq / np.sqrt(aq ** 2 + 4 * M ** 2))) / (4 * np.pi * A ** 2)
    return np.where(q > 0, out, 0.0)


# ------------------------------------------------------------------------
# Dynamic polarisation Pi(q, omega) of one massive Dirac cone
# ------------------------------------------------------------------------
def _phi_vacuum(u):
    """``phi(u) = [1 + (u - 1) arctan(sqrt u)/sqrt u]/u`` continued to u < 0
    with the retarded branch (Im >= 0); series for |u| < 1e-3."""
    u = np.asarray(u, dtype=float)
    out = np.zeros(u.shape, dtype=complex)
    small = np.abs(u) < 1e-3
    # phi = sum_{n>=1} (-1)^(n-1) 4n/(4n^2 - 1) u^(n-1); 7 terms: error < u^7 < 1e-21
    us = np.where(small, u, 0.0)
    out[small] = sum((-1) ** (n - 1) * 4 * n / (4 * n ** 2 - 1) * us[small] ** (n - 1)
                     for n in range(1, 9))
    pos = (u >= 1e-3)
    r = np.sqrt(np.where(pos, u, 1.0))
    out[pos] = ((1 + (u[pos] - 1) * np.arctan(r[pos]) / r[pos]) / u[pos])
    mid = (u <= -1e-3) & (u > -1)
    y = np.sqrt(np.where(mid, -u, 0.25))
    out[mid] = (1 + (u[mid] - 1) * np.arctanh(y[mid]) / y[mid]) / u[mid]
    big = u < -1
    y = np.sqrt(np.where(big, -u, 4.0))
    at = 0.5 * np.log((y + 1) / (y - 1)) + 0.5j * np.pi
    out[big] = (1 + (u[big] - 1) * at[big] / y[big]) / u[big]
    out[u == -1] = np.inf
    return out


def pi_vacuum(q, omega, A, M):
    """Retarded polarisation of an undoped massive Dirac cone (1/(eV nm^2)).

    With ``c = A^2 q^2 - omega^2`` and ``u = c/(4 M^2)``:

    ``Pi_vac(q, omega) = q^2/(16 pi |M|) [1 + (u - 1) arctan(sqrt u)/sqrt u]/u``

    (Pyatkovskiy, J. Phys.: Condens. Matter 21, 025506 (2009), Eq. 14, for ONE
    cone: his result divided by g = 4; continued to ``c < 0`` by
    ``omega -> omega + i0``, which gives ``arctan(sqrt u)/sqrt u =
    artanh(y)/y`` with ``y = sqrt(-u)`` and ``artanh(y > 1) =
    ln((y+1)/(y-1))/2 + i pi/2``: interband absorption
    ``Im Pi = q^2 (kappa^2 + 4 M^2)/(16 kappa^3)`` for
    ``kappa = sqrt(omega^2 - A^2 q^2) > 2|M|``).  ``omega = 0`` gives
    :func:`pi_vacuum_static`; ``M = 0`` gives graphene's ``q^2/(16 sqrt(c))``
    per flavour.  ``Pi(q, -omega) = Pi(q, omega)^*``.
    """
    q, omega = np.broadcast_arrays(np.asarray(q, float), np.asarray(omega, float))
    M = abs(float(M))
    w = np.abs(omega)
    c = A ** 2 * q ** 2 - w ** 2
    # The massless form is exact to relative O(M / sqrt|c|); below
    # MASSLESS_BELOW the massive one overflows (c / 4M^2 -> inf, NaN drag).
    if M > MASSLESS_BELOW:
        out = q ** 2 / (16 * np.pi * M) * _phi_vacuum(c / (4 * M ** 2))
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(c > 0, q ** 2 / (16 * np.sqrt(np.abs(c))),
                           1j * q ** 2 / (16 * np.sqrt(np.abs(c))))
    out = np.where(q > 0, out, 0.0)
    return np.where(omega < 0, np.conj(out), out)


#: Gauss-Legendre nodes per piece of the Fermi-sea energy integrals of
#: :meth:`MassiveDiracLayer.pi_dynamic` (cosine map per piece: the integrand
#: is smooth; 16 nodes give ~1e-10 unless an edge lies just outside a piece).
N_SEA = 16
#: Nodes per piece of the T = 0 Fermi sea (edge-adapted maps, the integrand
#: is a polynomial in E = r + g sinh^2 u, spanning several e-folds in u).
N_SEA_T0 = 24


@functools.lru_cache(maxsize=None)
def _leggauss(n):
    return np.polynomial.legendre.leggauss(n)


def _cos_nodes(n):
    x, wx = _leggauss(n)
    t = 0.5 * np.pi * (x + 1)
    # x = (1 - cos t)/2 on [0, 1] removes inverse square roots at both ends.
    return 0.5 * (1 - np.cos(t)), 0.25 * np.pi * np.sin(t) * wx


def _sea_quadratic(E, q, w, A, M, sig):
    """``N_sigma(E)``, ``R_sigma(E)``, ``gamma_sigma(E)`` of the angular integral."""
    c = A ** 2 * q ** 2 - w ** 2
    N = 4 * E ** 2 + 4 * sig * w * E - c
    R = -4 * c * E ** 2 - 4 * sig * w * c * E + c ** 2 + 4 * A ** 2 * q ** 2 * M ** 2
    return N, R, 2 * sig * w * E - c


def _sea_edges(q, w, A, M, sig):
    """Roots of ``R_sigma(E)``: ``E = (-sigma omega -+ A q sqrt(1 + 4M^2/c))/2``
    (the kinematic edges ``E_{k +- q} = |E_k + sigma omega|``); nan if none."""
    c = A ** 2 * q ** 2 - w ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = 1 + 4 * M ** 2 / c
        r = A * q * np.sqrt(np.where(disc >= 0, disc, np.nan))
    return (-sig * w - r) / 2, (-sig * w + r) / 2


def _integrate_sea(q, w, A, M, x_lo, x_hi, E_of_x, x_of_E, weight, n):
    """``int dx weight(x) G(E(x))`` over ``[x_lo, x_hi]`` (complex).

    ``G(E) = sum_sigma N/sqrt(R) sgn(gamma)`` where ``R > 0`` and
    ``-i sum_sigma N s_sigma/sqrt(-R)`` where ``R < 0``, ``s_+ = 1``,
    ``s_- = sgn(omega - E)``.  The interval is cut at the edges (roots of R,
    mapped by ``x_of_E``) and each piece gets the cosine map, which removes
    the inverse square roots of G at the edges."""
    s, ws = _cos_nodes(n)
    x_lo = np.broadcast_to(x_lo, q.shape)
    x_hi = np.broadcast_to(x_hi, q.shape)
    total = np.zeros(q.shape, dtype=complex)
    qn, wn = q[..., None], w[..., None]
    for sig in (1.0, -1.0):
        with np.errstate(invalid="ignore"):
            cuts = [np.clip(np.nan_to_num(x_of_E(r), nan=-np.inf), x_lo, x_hi)
                    for r in _sea_edges(q, w, A, M, sig)]
        pts = np.sort(np.stack([x_lo] + cuts + [x_hi]), axis=0)
        for j in range(3):
            a, b = pts[j][..., None], pts[j + 1][..., None]
            positive = _sea_quadratic(E_of_x(0.5 * (a + b)), qn, wn, A, M, sig)[1] > 0
            x = a + (b - a) * s
            E = E_of_x(x)
            N, R, gam = _sea_quadratic(E, qn, wn, A, M, sig)
            root = np.sqrt(np.maximum(np.abs(R), 1e-300))
            sgn_s = 1.0 if sig > 0 else np.sign(wn - E)
            G = np.where(positive, N * np.sign(gam) / root, -1j * N * sgn_s / root)
            total += ((b - a) * ws * weight(x) * G).sum(-1)
    return total


def _sea_T0(q, w, A, M, lo, hi, n):
    """``int_lo^hi dE G(E)`` (the T = 0 Fermi sea), maps adapted to the edges.

    ``R_sigma = a (E - r1)(E - r2)`` with ``a = -4c``.  Next to a pair of
    real roots the substitutions ``E = r2 + g sinh^2 u`` (outside, ``g = r2 -
    r1``) and ``E = r1 + g sin^2 u`` (between) make ``dE/sqrt|R| = 2 du/sqrt|a|``
    exactly, with the factors ``E - r`` formed without cancellation; for
    complex roots ``rho +- i eta``, ``E = rho + eta sinh u``.  The integrand
    left is a polynomial in E: smooth in u even when the two edges are much
    closer to each other than to the ends of the interval (small q).  Where
    the edges are farther from the interval than its length, the cosine map
    in E is used instead (the integrand is smooth there).
    """
    x, wx = _leggauss(n)
    t, wt = 0.5 * (x + 1), 0.5 * wx
    lo = np.broadcast_to(np.asarray(lo, float), q.shape)
    hi = np.broadcast_to(np.asarray(hi, float), q.shape)
    c = A ** 2 * q ** 2 - w ** 2
    acoef = -4 * c
    safe_a = np.where(acoef != 0, acoef, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = 1 + 4 * M ** 2 / np.where(c != 0, c, np.inf)
    half = 0.5 * A * q * np.sqrt(np.abs(disc))
    total = np.zeros(q.shape, dtype=complex)
    s_cos, w_cos = _cos_nodes(n)
    for sig in (1.0, -1.0):
        rho = -sig * w / 2
        real = disc >= 0
        r1, r2 = rho - half, rho + half
        g = 2 * half
        # distance of the nearest edge from [lo, hi]
        d1 = np.maximum.reduce([lo - r1, r1 - hi, np.zeros_like(lo)])
        d2 = np.maximum.reduce([lo - r2, r2 - hi, np.zeros_like(lo)])
        d0 = np.maximum.reduce([lo - rho, rho - hi, np.zeros_like(lo)])
        dist = np.where(real, np.minimum(d1, d2), np.hypot(d0, half))
        near = (dist < (hi - lo)) & (acoef != 0)
        pieces = []
        # far: cosine map in E on the whole interval, R evaluated directly
        E = lo[..., None] + (hi - lo)[..., None] * s_cos
        N, R, gam = _sea_quadratic(E, q[..., None], w[..., None], A, M, sig)
        jac_over_root = (hi - lo)[..., None] * w_cos / np.sqrt(np.maximum(np.abs(R), 1e-300))
        pieces.append((~near, E, R > 0, gam, N, jac_over_root))
        # near, real roots: three pieces (below r1, between, above r2)
        gg = np.where(real & near & (g > 0), g, 1.0)[..., None]
        rr1, rr2 = r1[..., None], r2[..., None]
        lo_, hi_ = lo[..., None], hi[..., None]
        ra = 2 / np.sqrt(np.abs(safe_a))[..., None]
        # above r2: E = r2 + g sinh^2 u on [max(lo, r2), hi]
        a_ = np.maximum(lo_, rr2); b_ = np.maximum(hi_, rr2)
        ua = np.arcsinh(np.sqrt((a_ - rr2) / gg)); ub = np.arcsinh(np.sqrt((b_ - rr2) / gg))
        u = ua + (ub - ua) * t
        E = rr2 + gg * np.sinh(u) ** 2
        N, _, gam = _sea_quadratic(E, q[..., None], w[..., None], A, M, sig)
        pieces.append((real & near, E, (safe_a > 0)[..., None], gam, N, (ub - ua) * wt * ra))
        # below r1: E = r1 - g sinh^2 u on [lo, min(hi, r1)]
        a_ = np.minimum(hi_, rr1); b_ = np.minimum(lo_, rr1)
        ua = np.arcsinh(np.sqrt((rr1 - a_) / gg)); ub = np.arcsinh(np.sqrt((rr1 - b_) / gg))
        u = ua + (ub - ua) * t
        E = rr1 - gg * np.sinh(u) ** 2
        N, _, gam = _sea_quadratic(E, q[..., None], w[..., None], A, M, sig)
        pieces.append((real & near, E, (safe_a > 0)[..., None], gam, N, (ub - ua) * wt * ra))
        # between: E = r1 + g sin^2 u on [max(lo, r1), min(hi, r2)]
        a_ = np.clip(lo_, rr1, rr2); b_ = np.clip(hi_, rr1, rr2)
        ua = np.arcsin(np.sqrt(np.clip((a_ - rr1) / gg, 0, 1)))
        ub = np.arcsin(np.sqrt(np.clip((b_ - rr1) / gg, 0, 1)))
        u = ua + (ub - ua) * t
        E = rr1 + gg * np.sin(u) ** 2
        N, _, gam = _sea_quadratic(E, q[..., None], w[..., None], A, M, sig)
        pieces.append((real & near, E, (safe_a < 0)[..., None], gam, N, (ub - ua) * wt * ra))
        # near, complex roots: E = rho + eta sinh u (R = a((E - rho)^2 + eta^2) > 0)
        eta = np.where(~real & near, half, 1.0)[..., None]
        ua = np.arcsinh((lo_ - rho[..., None]) / eta); ub = np.arcsinh((hi_ - rho[..., None]) / eta)
        u = ua + (ub - ua) * t
        E = rho[..., None] + eta * np.sinh(u)
        N, _, gam = _sea_quadratic(E, q[..., None], w[..., None], A, M, sig)
        pieces.append((~real & near, E, np.ones_like(E, dtype=bool), gam, N,
                       (ub - ua) * wt / np.sqrt(np.abs(safe_a))[..., None]))
        for use, E, positive, gam, N, jac in pieces:
            sgn_s = 1.0 if sig > 0 else np.sign(w[..., None] - E)
            G = np.where(positive, N * np.sign(gam), -1j * N * sgn_s) * jac
            total += np.where(use, np.nan_to_num(G.sum(-1)), 0.0)
    return total


@dataclasses.dataclass(frozen=True)
class MassiveDiracLayer:
    """One massive Dirac surface: ``h = A sigma.(k x z) + M sigma_z``.

    Parameters
    ----------
    A : float
        Dirac velocity times hbar (eV nm); 4.1 eV Angstrom = 0.41 eV nm.
    M : float
        Exchange mass (eV); its sign sets the sign of the Berry curvature.
    mu : float
        Chemical potential (eV) measured from the gap centre.
    tau : float
        Transport (momentum relaxation) time (ps), energy independent.
    """

    A: float
    M: float
    mu: float
    tau: float = 0.1

    def __post_init__(self):
        for name, unit in (("A", "eV nm"), ("M", "eV"), ("mu", "eV"),
                           ("tau", "ps")):
            # frozen dataclass: store the checked float
            object.__setattr__(self, name, _real(getattr(self, name), name, unit))
        if not self.A > 0:
            raise ValueError(f"A must be > 0 (eV nm), got {self.A}")
        if not self.tau > 0:
            raise ValueError(f"tau must be > 0 (ps), got {self.tau}")

    @classmethod
    def from_density(cls, n, A, M, tau=0.1):
        """Electron-doped layer with T = 0 density n (1/nm^2)."""
        kf = fermi_wavevector_from_density(n)
        return cls(A=A, M=M, mu=math.sqrt(A ** 2 * kf ** 2 + M ** 2), tau=tau)

    # ------------------------------------------------------------ bands
    def energy(self, k):
        """Conduction-band energy sqrt(A^2 k^2 + M^2) (eV)."""
        return np.sqrt(self.A ** 2 * np.asarray(k) ** 2 + self.M ** 2)

    def wavevector(self, E):
        """``|k|`` (1/nm) of conduction-band energy ``E >= |M|``."""
        return np.sqrt(np.maximum(np.asarray(E) ** 2 - self.M ** 2, 0)) / self.A

    @property
    def doped(self):
        return abs(self.mu) > abs(self.M)

    @property
    def fermi_wavevector(self):
        """k_F (1/nm) at T = 0; 0 when the chemical potential is in the gap."""
        return float(self.wavevector(abs(self.mu))) if self.doped else 0.0

    @property
    def density(self):
        """T = 0 carrier density k_F^2 / (4 pi) (1/nm^2), one flavour."""
        return self.fermi_wavevector ** 2 / (4 * np.pi)

    @property
    def fermi_velocity(self):
        """``v_F = A^2 k_F / (hbar |mu|)`` (nm/ps)."""
        if not self.doped:
            return 0.0
        return self.A ** 2 * self.fermi_wavevector / (HBAR * abs(self.mu))

    def dos(self, E):
        """Density of states ``|E| / (2 pi A^2)`` for ``|E| > |M|`` (1/(eV nm^2))."""
        E = np.asarray(E, dtype=float)
        return np.where(np.abs(E) > abs(self.M), np.abs(E) / (2 * np.pi * self.A ** 2), 0.0)

    def berry_curvature(self, E):
        """Berry curvature of the conduction band at energy E (nm^2).

        ``Omega_z = -A^2 M / (2 E^3)`` with ``Omega = curl_k <u| i grad_k |u>``
        (the valence band has the opposite sign).  Checked against the
        gauge-invariant plaquette formula in the tests.
        """
        return -self.A ** 2 * self.M / (2 * np.asarray(E, dtype=float) ** 3)

    def drude_conductivity(self):
        """sigma_xx = tau v_F k_F / (4 pi) in e^2/hbar (T = 0, one flavour).

        From ``sigma = e^2 tau int d^2k/(2 pi)^2 v_x^2 (-f')
        = e^2 tau v_F^2 D(mu) / 2`` with ``D = mu / (2 pi A^2)`` and
        ``v_F = A^2 k_F / (hbar mu)``.  Thermal corrections are O((T/E_F)^2).
        """
        return self.tau * self.fermi_velocity * self.fermi_wavevector / (4 * np.pi)

    def intrinsic_hall_conductivity(self):
        """Intrinsic anomalous Hall conductivity sigma_yx (e^2/hbar), T = 0.

        ``sigma_yx = int d^2k/(2pi)^2 sum_n f_n Omega_n = M/(4 pi |mu|)`` for
        ``|mu| > |M|`` and ``sgn(M)/(4 pi)`` (= e^2/2h) in the gap: filled
        valence band (``+sgn(M)/4pi``) minus the conduction states above
        ``mu``.  Sign convention: ``rdot = v - kdot x Omega`` (the one of the
        side-jump displacement ``Omega_z zhat x q`` in :meth:`response`), so
        ``j_y = sigma_yx E_x``.  Side-jump and skew-scattering AHE of the
        layer's own current are not included (see :mod:`kwant_noneq.drag`).
        """
        if not self.doped:
            return float(np.sign(self.M)) / (4 * np.pi)
        return self.M / (4 * np.pi * abs(self.mu))

    # ---------------------------------------------------- polarisation
    def pi_static_T0(self, q, mu=None, n_phi=64):
        """Static polarisation Pi(q, 0) at T = 0 (1/(eV nm^2)).

        ``Pi = Pi_vac(q) + (mu - |M|)/(2 pi A^2)
        + 1/(pi A^2 q) int_0^{min(k_F, q/2)} dk k (2 E_k^2 - A^2 q^2/2)
        / (E_k sqrt(q^2 - 4 k^2))``

        Derivation: the Fermi-sea part ``-2 int_{k<k_F} d^2k/(2pi)^2
        [F_{++}/(E - E') + F_{+-}/(E + E')]`` combines into
        ``(2E^2 + A^2 k q cos t)/(E (E^2 - E'^2))``; the principal-value
        angular integral of ``1/(q^2 + 2kq cos t)`` is ``2 pi/(q sqrt(q^2-4k^2))``
        for ``k < q/2`` and zero otherwise.  For ``q <= 2 k_F`` the sum equals
        the density of states ``mu / (2 pi A^2)`` (checked numerically: it
        needs ``Pi_vac`` and the Fermi-sea integral to cancel to ``|M|/(2 pi A^2)``).
        The k integral is done with ``k = (q/2) sin(phi)`` (removes the
        inverse square root) and Gauss-Legendre nodes in phi.
        """
        mu = abs(self.mu if mu is None else mu)
        A, M = self.A, abs(self.M)
        q = np.atleast_1d(np.asarray(q, dtype=float))
        out = pi_vacuum_static(q, A, M)
        if mu <= M:
            return out
        kf = math.sqrt(mu ** 2 - M ** 2) / A
        x, w = np.polynomial.legendre.leggauss(n_phi)
        with np.errstate(divide="ignore", invalid="ignore"):
            phimax = np.arcsin(np.minimum(1.0, 2 * kf / q))
        phi = 0.5 * phimax[:, None] * (x + 1)
        k = 0.5 * q[:, None] * np.sin(phi)
        E = np.sqrt(A ** 2 * k ** 2 + M ** 2)
        integrand = 0.5 * k * (2 * E ** 2 - A ** 2 * q[:, None] ** 2 / 2) / E
        sea = (integrand * w).sum(-1) * 0.5 * phimax
        with np.errstate(divide="ignore", invalid="ignore"):
            sea = np.where(q > 0, sea / (np.pi * A ** 2 * q), 0.0)
        return out + (mu - M) / (2 * np.pi * A ** 2) + sea

    def pi_static(self, q, T=0.0, n_mu=400):
        """Static Pi(q, 0) at temperature T (K), 1/(eV nm^2).

        Finite T by Maldague's identity ``Pi_T(mu) = int dmu' Pi_0(mu')
        / (4 k_B T cosh^2((mu' - mu)/(2 k_B T)))``, with
        ``x = tanh((mu' - mu)/(2 k_B T))`` (uniform measure on (-1, 1)).
        """
        if T < 0:
            raise ValueError(f"T must be >= 0 (K), got {T}")
        if T == 0:
            return self.pi_static_T0(q)
        mus, w = maldague_nodes(self.mu, T, n_mu)
        q = np.atleast_1d(np.asarray(q, dtype=float))
        vals = np.array([self.pi_static_T0(q, mu=m) for m in mus])
        return (w[:, None] * vals).sum(0)

    def pi_T0(self, q, omega, mu=None, n=N_SEA):
        """Retarded dynamic polarisation Pi(q, omega) at T = 0 (complex, 1/(eV nm^2)).

        Intra- and interband, one cone.  ``Pi = pi_vacuum(q, omega) +
        Pi_sea``, the Fermi-sea part of the conduction band filled to
        ``|mu|`` (particle-hole symmetry for ``mu < 0``):

        ``Pi_sea = (|mu| - |M|)/(2 pi A^2) - 1/(4 pi A^2) int_{|M|}^{|mu|} dE G(E)``,

        ``G = sum_{sigma=+-} [ N sgn(gamma)/sqrt(R) theta(R) - i N s_sigma/sqrt(-R) theta(-R) ]``,

        ``N = 4E^2 + 4 sigma omega E - c``, ``gamma = 2 sigma omega E - c``,
        ``R = gamma^2 - 4 A^2 q^2 (E^2 - M^2)`` (a quadratic in E),
        ``c = A^2 q^2 - omega^2``, ``s_+ = 1``, ``s_- = sgn(omega - E)``.

        Derivation: for a filled conduction state k, the sum over both final
        bands is ``sum_s' F_{+s'}/(omega + E - s'E') = (omega + 2E + A^2 k q
        cos t/E)/(gamma - 2 A^2 k q cos t)`` (the square root E' cancels);
        the ``f(k+q)`` terms give the same with ``omega -> -omega`` (after
        ``k -> -k - q``).  The angular integral is elementary:
        ``int dt/(gamma + i0 - delta cos t) = 2 pi sgn(gamma)/sqrt(gamma^2 -
        delta^2)`` or ``-2 pi i sgn(Im gamma)/sqrt(delta^2 - gamma^2)``.
        With ``k dk = E dE/A^2`` the remaining integrand is a quadratic over
        the square root of a quadratic in E: elementary too (Pyatkovskiy's
        closed form, J. Phys.: Condens. Matter 21, 025506 (2009), Eqs. 15-19,
        divided by g = 4 for one cone).  It is evaluated here by Gauss-Legendre
        between the roots of R with a cosine map, because the elementary
        antiderivative has ``1/c^2`` cancellations near the light cone; the
        result is exact to ~1e-10.  ``omega -> 0`` reproduces
        :meth:`pi_static_T0`; ``Pi(q, -omega) = Pi(q, omega)^*``.
        """
        mu = abs(self.mu if mu is None else mu)
        A, M = self.A, abs(self.M)
        q, omega = np.broadcast_arrays(np.asarray(q, float), np.asarray(omega, float))
        w = np.abs(omega)
        out = pi_vacuum(q, w, A, M).astype(complex)
        if mu > M:
            sea = _sea_T0(q, w, A, M, M, mu, N_SEA_T0)
            out = out + (mu - M) / (2 * np.pi * A ** 2) - sea / (4 * np.pi * A ** 2)
        out = np.where(q > 0, out, 0.0)
        return np.where(omega < 0, np.conj(out), out)

    def pi_dynamic(self, q, omega, T, n=N_SEA):
        """Retarded Pi(q, omega) at temperature T (K): complex, 1/(eV nm^2).

        Exact at finite T (intra- and interband): the T = 0 Fermi-sea
        integrand ``G(E)`` of :meth:`pi_T0` weighted with the Fermi
        function, ``Pi_T = pi_vacuum + sum_{m = +-mu} [ int_{|M|}^inf f(E; m) dE
        /(2 pi A^2) - int_{|M|}^inf f(E; m) G(E) dE/(4 pi A^2) ]`` (conduction
        electrons, and valence holes as electrons at ``-mu``).  This is
        Maldague's formula ``Pi_T(mu) = int dmu' Pi_0(mu') (-df/dmu')``
        integrated by parts.  Numerics: ``int_{|M|}^{m} G`` (the T = 0 sea)
        plus the Sommerfeld-type correction ``k_BT int_0^1 dx [G(m + 2k_BT
        artanh x) - G(m - 2k_BT artanh x)]/(1 + x)`` (in x the Fermi factor is
        linear: smooth integrand), all cut at the kinematic edges; terms
        below ``exp(-THERMAL_WINDOW)`` are dropped.
        """
        if T < 0:
            raise ValueError(f"T must be >= 0 (K), got {T}")
        if T == 0:
            return self.pi_T0(q, omega, n=n)
        A, M = self.A, abs(self.M)
        kT = KB * T
        W = THERMAL_WINDOW * kT
        q, omega = np.broadcast_arrays(np.asarray(q, float), np.asarray(omega, float))
        w = np.abs(omega)
        out = pi_vacuum(q, w, A, M).astype(complex)
        for m in (self.mu, -self.mu):
            if M - m > W:
                continue                      # weight below exp(-THERMAL_WINDOW)
            occupied = kT * np.logaddexp(0.0, (m - M) / kT)
            if m > M:
                sea = _sea_T0(q, w, A, M, M, m, N_SEA_T0)
                up = lambda x, m=m: thermal_map(m, kT, x)
                sea = sea + _integrate_sea(
                    q, w, A, M, 0.0, math.tanh(W / (2 * kT)), up,
                    lambda E, m=m: thermal_map_inverse(m, kT, E),
                    lambda x: kT / (1 + x), n)
                down = lambda x, m=m: thermal_map(m, -kT, x)
                sea = sea + _integrate_sea(
                    q, w, A, M, 0.0, math.tanh(min(W, m - M) / (2 * kT)), down,
                    lambda E, m=m: thermal_map_inverse(m, -kT, E),
                    lambda x: -kT / (1 + x), n)
            else:
                # Non-degenerate: E = |M| + 2 k_BT artanh(x), f(E) dE smooth in x.
                up = lambda x: thermal_map(M, kT, x)
                sea = _integrate_sea(
                    q, w, A, M, 0.0, math.tanh(W / (2 * kT)), up,
                    lambda E: thermal_map_inverse(M, kT, E),
                    lambda x, m=m: (fermi(up(x), m, kT)
                                    * 2 * kT / (1 - x ** 2)), n)
            out = out + occupied / (2 * np.pi * A ** 2) - sea / (4 * np.pi * A ** 2)
        out = np.where(q > 0, out, 0.0)
        return np.where(omega < 0, np.conj(out), out)

    def im_pi_slope(self, q):
        """``lim_{omega->0} Im Pi(q, omega)/omega`` at T = 0 (1/(eV^2 nm^2)).

        ``S(q) = mu^2 (1 - A^2 q^2/(4 mu^2)) / (2 pi A^4 k_F q sqrt(1 - q^2/(4 k_F^2)))``
        for ``q < 2 k_F``, zero above.  Fermi-surface transitions
        ``|k| = |k+q| = k_F`` (angle ``cos t = -q/(2 k_F)``) with chirality
        factor ``F = 1 - A^2 q^2/(4 mu^2)``; for M = 0 it is graphene's
        ``k_F sqrt(1 - (q/2k_F)^2) / (2 pi A^2 q)`` per flavour.
        """
        q = np.asarray(q, dtype=float)
        if not self.doped:
            return np.zeros_like(q)
        mu, A, kf = abs(self.mu), self.A, self.fermi_wavevector
        inside = (q > 0) & (q < 2 * kf)
        qq = np.where(inside, q, kf)
        val = (mu ** 2 * (1 - A ** 2 * qq ** 2 / (4 * mu ** 2))
               / (2 * np.pi * A ** 4 * kf * qq * np.sqrt(1 - qq ** 2 / (4 * kf ** 2))))
        return np.where(inside, val, 0.0)

    # ------------------------------------------- drag kinematics
    def q_support(self, T):
        """Largest q (1/nm) with intraband transitions at ``|omega| ~ k_B T``:
        ``2 k(max(|mu|, |M|) + THERMAL_WINDOW k_B T)``."""
        e = max(abs(self.mu), abs(self.M)) + THERMAL_WINDOW * KB * T
        return 2 * float(self.wavevector(e))

    def q_breakpoint(self, T):
        """Where Im Pi has its inverse-square-root edge: 2 k_F when doped."""
        if abs(self.mu) - abs(self.M) > THERMAL_WINDOW * KB * T:
            return 2 * self.fermi_wavevector
        return self.q_support(T)

    def edge_energy(self, q, T):
        """Upper edge E(k_ref + q) - E(k_ref) of the intraband continuum (eV).

        ``k_ref = k_F`` when doped: there Im Pi has its inverse-square-root
        edge (for M = 0 it is the light cone A q); the states that could
        reach beyond it lie >> k_B T above mu when M << mu (their edge
        moves by (M/mu)^2 of the window), so the omega integral stops here.
        Undoped layers: ``k_ref`` at the top of the thermal window.
        """
        if abs(self.mu) - abs(self.M) > THERMAL_WINDOW * KB * T:
            kref = self.fermi_wavevector
        else:
            kref = 0.5 * self.q_support(T)
        return self.energy(kref + np.asarray(q)) - self.energy(kref)

    def response(self, q, omega, T, n_k=48):
        """Im Pi and the two drag vertices of this layer at finite T.

        Parameters
        ----------
        q : array (1/nm), > 0
        omega : array (eV), broadcast with q; any sign (all three are odd).
        T : float (K), > 0
        n_k : int, Gauss-Legendre nodes of the k integral.

        Returns
        -------
        im_pi : array (1/(eV nm^2))
            ``Im Pi = pi int d^2k/(2pi)^2 F delta(E_{k+q} - E_k - omega)
            (f_k - f_{k+q})`` (intraband, both bands).
        g : array (1/(eV nm ps))
            Longitudinal vertex ``int d^2k/(2pi)^2 F delta(...) (f_k - f_{k+q})
            (v_{k+q} - v_k).q_hat``; the layer's transport vector is
            ``tau g q_hat``.
        h : array (1/(eV nm))
            Anomalous vertex ``int ... (f_k - f_{k+q}) Omega_z(E_mid) q``: the
            Berry-curvature displacement ``Omega_z zhat x q`` of each transition
            (Eq. 10 of the paper: ``A a_k b_k/Omega_k (theta_1 - theta)``
            = ``hbar |Omega_z| zhat x (k_1 - k)`` on the Fermi circle), projected
            on ``zhat x q_hat``.  ``E_mid = E + omega/2`` makes it exactly odd
            (the paper evaluates it at k: the same to O(omega/E_F)).  Eq. (10)
            as printed lacks the chirality factor F of the passive
            transition; the Golden rule requires it, so it is kept here.
            Interpretation: the gauge-invariant shift (side jump) of a
            wave packet moved from k to k + q, ``Omega_z zhat x q`` to
            leading order in q, as the anomalous velocity
            ``-(dk/dt) x Omega`` integrated over the transition.

        Notes
        -----
        The angle is removed by the delta function: with ``k' = |k + q|``,
        ``int d^2k delta(E' - E - omega) G = int dk 4 k k' G / (|dE'/dk'|
        sqrt(P))``, ``P = ((k+q)^2 - k'^2)(k'^2 - (k-q)^2)``.  For the
        conduction band the allowed k are ``k > k_min`` with the closed form
        ``k_min = |q/2 - (omega/2A) sqrt(1 + 4 M^2/(A^2 q^2 - omega^2))|``
        (no transitions for ``omega >= A q``); ``P`` vanishes linearly at
        ``k_min``, so ``k = k_min + u^2`` removes the inverse square root and
        Gauss-Legendre in u is spectrally accurate.  Valence-band intraband
        terms follow from particle-hole symmetry (``mu -> -mu``; g and h
        change sign).  Interband terms need ``|omega| >= 2|M|`` and are
        dropped: their weight in the drag is below ``exp(-2|M|/k_B T)``.
        """
        if not T > 0:
            raise ValueError(f"response needs T > 0 (K), got {T}")
        q, omega = np.broadcast_arrays(np.asarray(q, float), np.asarray(omega, float))
        sign = np.sign(omega)
        w = np.abs(omega)
        ic, gc, hc = self._conduction_intraband(q, w, self.mu, T, n_k)
        iv, gv, hv = self._conduction_intraband(q, w, -self.mu, T, n_k)
        return sign * (ic + iv), sign * (gc - gv), sign * (hc - hv)

    def _conduction_intraband(self, q, w, mu, T, n_k):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self._conduction_intraband_raw(q, w, mu, T, n_k)

    def _conduction_intraband_raw(self, q, w, mu, T, n_k):
        A, M = self.A, self.M
        kT = KB * T
        c = A ** 2 * q ** 2 - w ** 2
        valid = (c > 0) & (q > 0) & (w > 0)
        c = np.where(valid, c, 1.0)
        kmin = np.abs(q / 2 - w / (2 * A) * np.sqrt(1 + 4 * M ** 2 / c))
        emin = np.sqrt(A ** 2 * kmin ** 2 + M ** 2)
        # Window: from THERMAL_WINDOW k_B T below mu - omega to the same
        # distance above max(mu, |M|), so that a layer with mu in the gap keeps
        # its whole Boltzmann tail (relative accuracy, not only absolute).
        elo = np.maximum(emin, mu - w - THERMAL_WINDOW * kT)
        ehi = max(mu, abs(M)) + THERMAL_WINDOW * kT
        valid &= ehi > elo
        # Energy map adapted to the Fermi window: E = c + 2 s artanh(x) makes
        # the thermal factor smooth in x (scale s = max(k_B T, omega/2)), and
        # x = x_lo + v^2 removes the inverse square root at the edge k_min.
        s = np.maximum(kT, w / 2)
        # Centre at mu - omega/2, or at the window edge when mu lies outside
        # it (non-degenerate tail): keeps x away from +-1 (no round-off).
        cen = np.clip(mu - w / 2, elo, ehi)
        xlo = thermal_map_inverse(cen, s, elo)
        xhi = thermal_map_inverse(cen, s, ehi)
        vhi = np.sqrt(np.maximum(xhi - xlo, 0))
        x, wx = _leggauss(n_k)
        half = 0.5 * vhi[..., None]
        v = half * (x + 1)
        # Clip away from +-1: tanh of the window edges may round to 1.
        xx = np.clip(xlo[..., None] + v ** 2, -1 + 1e-15, 1 - 1e-15)
        E = thermal_map(cen[..., None], s[..., None], xx)
        E = np.maximum(E, emin[..., None])
        k = np.sqrt(np.maximum(E ** 2 - M ** 2, 0)) / A
        # k dk = (E/A^2) dE,  dE = 2 s dx/(1 - x^2),  dx = 2 v dv.
        kdk = E / A ** 2 * 2 * s[..., None] / (1 - xx ** 2) * 2 * v * half * wx
        qq, ww = q[..., None], w[..., None]
        Ep = E + ww
        kp2 = (Ep ** 2 - M ** 2) / A ** 2
        # k'^2 - k^2 = omega (2E + omega)/A^2 without cancellation: at q << k_F
        # the form ((k+q)^2 - k'^2)(k'^2 - (k-q)^2) loses ~k_F/q digits and
        # turned negative near the edge (then 1/sqrt(max(P, 1e-300)) ~ 1e150).
        dk2 = ww * (2 * E + ww) / A ** 2
        P = (2 * k * qq + qq ** 2 - dk2) * (2 * k * qq - qq ** 2 + dk2)
        # P <= 0 only for nodes pushed past k_min by round-off: no support.
        valid = valid[..., None] & (P > 0)
        P = np.where(P > 0, P, 1.0)
        kkp = 0.5 * (k ** 2 + kp2 - qq ** 2)
        F = 0.5 * (1 + (A ** 2 * kkp + M ** 2) / (E * Ep))
        df = 0.5 * (np.tanh((Ep - mu) / (2 * kT)) - np.tanh((E - mu) / (2 * kT)))
        # Im Pi = (1/(pi A^2)) int dk k E' F df / sqrt(P).
        base = kdk * Ep * F * df / np.sqrt(P) / (np.pi * A ** 2)
        dv = (A ** 2 / (HBAR * qq)) * ((dk2 + qq ** 2) / (2 * Ep)
                                       - (dk2 - qq ** 2) / (2 * E))
        omega_mid = -A ** 2 * M / (2 * (E + ww / 2) ** 3)
        base = np.where(valid, base, 0.0)
        im_pi = base.sum(-1)
        g = (base * dv).sum(-1) / np.pi
        h = (base * omega_mid).sum(-1) * q / np.pi
        return im_pi, g, h


def drag_resistivity_large_d(T, d, eps_r, kf_a, kf_p, A=None, mu_a=None,
                             mu_p=None, q_tf_a=None, q_tf_p=None):
    """Longitudinal drag resistivity for ``k_F d >> 1`` and ``q_TF d >> 1``.

    ``rho_D = (hbar/e^2) pi^2 zeta(3) (k_B T)^2 eps_r^2
    / ((e^2/4 pi eps0)^2 k_Fa^3 k_Fp^3 d^4)``

    Derivation: for ``q ~ 1/d << k_F``, ``Im Pi_l = omega k_Fl/(2 pi (hbar v_l)^2 q)``,
    the transport vertex is ``tau_l (v_l/k_Fl) q Im Pi_l / pi``,
    ``|V_12|^2 = q^2/(4 q_TFa^2 D_p^2 sinh^2(q d))`` (strong screening,
    ``Pi = D``), ``int d omega omega^2/sinh^2(omega/2T) = 8 pi^2 T^3/3``,
    ``int x^3/sinh^2 x = 3 zeta(3)/2`` and ``D_l hbar v_l = k_Fl/(2 pi)``:
    velocities and masses cancel (M-independent; graphene's ``n^-3 d^-4``
    law per flavour).

    If ``q_tf_a, q_tf_p`` (1/nm) and ``A, mu_a, mu_p`` are given, the two
    leading corrections are included as factors
    ``1 - 2 c1 (1/(q_TFa d) + 1/(q_TFp d))`` (expansion of the screened
    denominator) and ``1 + c2 sum_l (1/(8 k_Fl^2) - A^2/(4 mu_l^2))/d^2``
    (q dependence of Im Pi), ``c1 = <x/(1 - e^{-2x})>``, ``c2 = <x^2>``
    averaged with weight ``x^3/sinh^2 x``.  The remainder is
    O((q_TF d)^-2, (k_F d)^-4, k_B T d/(hbar v_F)).

    Returns
    -------
    rho : float, hbar/e^2 units.
    """
    kT = KB * T
    rho = (np.pi ** 2 * zeta(3) * kT ** 2 * eps_r ** 2
           / (COULOMB ** 2 * kf_a ** 3 * kf_p ** 3 * d ** 4))
    if q_tf_a is None:
        return rho
    from scipy.integrate import quad
    w3 = quad(lambda x: x ** 3 / np.sinh(x) ** 2, 0, 60)[0]
    c1 = quad(lambda x: x ** 4 / ((1 - np.exp(-2 * x)) * np.sinh(x) ** 2), 0, 60)[0] / w3
    c2 = quad(lambda x: x ** 5 / np.sinh(x) ** 2, 0, 60)[0] / w3
    screen = 1 - 2 * c1 * (1 / (q_tf_a * d) + 1 / (q_tf_p * d))
    curv = 1 + c2 * ((1 / (8 * kf_a ** 2) - A ** 2 / (4 * mu_a ** 2))
                     + (1 / (8 * kf_p ** 2) - A ** 2 / (4 * mu_p ** 2))) / d ** 2
    return rho * screen * curv


def low_temperature_drag_coefficients(active, passive, d, eps_r, n_q=400):
    """``lim_{T->0} rho_D^{xx}/T^2`` and ``rho_D^{yx}/T^2`` (hbar/e^2 per K^2).

    At ``k_B T << hbar v_F/d, E_F``: ``Im Pi_l = omega S_l(q)``
    (:meth:`MassiveDiracLayer.im_pi_slope`), the vertices are
    ``g_l = omega (v_l q/k_Fl) S_l/pi`` and ``h_p = omega q Omega_p(mu_p) S_p/pi``
    (Fermi-circle transitions: ``(v_{k+q} - v_k) = (v_F/k_F) q``), the
    interaction is the static screened one, and
    ``int d omega omega^2/sinh^2(omega/2k_BT) = (8 pi^2/3)(k_B T)^3``, so
    (see :func:`kwant_noneq.drag.drag_conductivity` for the prefactor)

    ``sigma_D^{xx} = (pi^2/6)(k_B T)^2 tau_a tau_p (v_a v_p/(pi^2 k_Fa k_Fp))
    int dq q^3 |V(q,0)|^2 S_a S_p``  and the same with
    ``tau_p v_p/k_Fp -> Omega_p(mu_p)`` for ``sigma_D^{yx}``.

    The q integral stops at ``2 min(k_F)``; with equal densities the two
    inverse-square-root edges meet there and give a ``T^2 ln T`` term of
    weight ``(M_a M_p/(mu_a mu_p))^2 |V(2k_F)|^2`` (``e^{-4 k_F d}``), which is
    not part of this coefficient.  ``q = 2 k_F sin(u)`` removes one edge.
    """
    qmax = 2 * min(active.fermi_wavevector, passive.fermi_wavevector)
    x, w = np.polynomial.legendre.leggauss(n_q)
    u = 0.25 * np.pi * (x + 1)
    q = qmax * np.sin(u)
    jac = qmax * np.cos(u) * 0.25 * np.pi * w
    V = interlayer_potential(q, active.pi_static(q), passive.pi_static(q), d, eps_r)
    base = q ** 3 * np.abs(V) ** 2 * active.im_pi_slope(q) * passive.im_pi_slope(q) * jac
    kB2 = KB ** 2
    common = (np.pi ** 2 / 6) * kB2 * active.tau * active.fermi_velocity \
        / (np.pi ** 2 * active.fermi_wavevector) * base.sum()
    sxx = common * passive.tau * passive.fermi_velocity / passive.fermi_wavevector
    syx = common * float(passive.berry_curvature(abs(passive.mu)))
    norm = active.drude_conductivity() * passive.drude_conductivity()
    return sxx / norm, syx / norm


def _gl(a, b, n, cosmap=True):
    """Gauss-Legendre nodes and weights on [a, b], cosine-mapped (edges
    with inverse square roots) unless ``cosmap`` is False."""
    x, w = np.polynomial.legendre.leggauss(n)
    if not cosmap:
        return a + (b - a) * 0.5 * (x + 1), (b - a) * 0.5 * w
    t = 0.5 * np.pi * (x + 1)
    return a + (b - a) * 0.5 * (1 - np.cos(t)), (b - a) * 0.25 * np.pi * np.sin(t) * w


def kramers_kronig_real(layer, q, w0, T, n=300):
    """Re Pi(q, w0) of a :class:`MassiveDiracLayer` from its Im Pi (Kramers-Kronig).

    ``(2/pi) P int_0^inf dw w Im Pi(w)/(w^2 - w0^2)`` with Im Pi from
    ``response`` (the intraband code) below the light cone ``A q`` and from
    ``pi_dynamic`` (interband) above it: an independent check of
    :meth:`MassiveDiracLayer.pi_dynamic`.

    Parameters
    ----------
    layer : MassiveDiracLayer
    q : float
        Wavevector (1/nm).
    w0 : float
        Energy ``hbar omega`` (eV), below the interband threshold (no pole in
        the interband part).
    T : float
        Temperature (K), > 0.
    n : int
        Gauss-Legendre nodes per panel.

    Returns
    -------
    float
        Re Pi (1/(eV nm^2)).
    """
    A = layer.A
    E = lambda k: np.sqrt(A ** 2 * k ** 2 + layer.M ** 2)
    kf, Aq = layer.fermi_wavevector, A * q
    edge = E(kf + q) - E(kf)
    im = lambda w: layer.response(q, w, T, n_k=200)[0]
    g0 = w0 * im(w0) if w0 < Aq else 0.0
    total = 0.0
    for a, b in ((0, min(w0, edge)), (min(w0, edge), edge), (edge, Aq)):
        x, wx = _gl(a, b, n)
        total += np.sum(wx * (x * im(x) - g0) / (x ** 2 - w0 ** 2))
    total += g0 / (2 * w0) * np.log(abs((Aq - w0) / (Aq + w0)))
    th = np.sqrt(Aq ** 2 + 4 * layer.M ** 2)
    pts = sorted({th, E(kf) + E(abs(kf - q)), E(kf) + E(kf + q)})
    pts = [Aq] + [p for p in pts if p >= th] + [4 * max(pts)]
    for a, b in zip(pts[:-1], pts[1:]):
        x, wx = _gl(a, b, n)
        total += np.sum(wx * x * layer.pi_dynamic(q, x, T).imag / (x ** 2 - w0 ** 2))
    s, ws = _gl(0.0, 1.0, n, cosmap=False)
    x, wx = pts[-1] / s, ws * pts[-1] / s ** 2
    total += np.sum(wx * x * layer.pi_dynamic(q, x, T).imag / (x ** 2 - w0 ** 2))
    return 2 / np.pi * total
