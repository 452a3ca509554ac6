r"""Closed forms of the nonlinear Hall responses of the tilted Dirac models.

Seed paper 001 (Tan, Matsyshyn, Vignale, Song), models::

    H_T  = hv (k_x s_y - xi k_y s_x) + Delta s_z + xi alpha k_y   (xi = +-1)
    H_PT = tau_y (hv k_x s_x + hv k_y s_y + Delta s_z) + alpha k_y

(isotropic hv = hbar v_x = hbar v_y), at T = 0, chemical potential in the
conduction band (mu > Delta), to first order in the tilt alpha, with the
contact interaction V0 (intravalley for H_T).  Conductivities in
A nm / V^2 as in :mod:`kwant_noneq.nonlinear_hall`; ``sigma[c, a, b]`` with
``j^c = sigma^{cab} E^a E^b``.

Derivation (docs/nonlinear_hall.md has the steps).  The tilt is
proportional to the identity, so eigenvectors, and hence Omega, G, S, s,
do not depend on alpha; only the occupations do.  With ``P = hv|k|``,
E = sqrt(P^2 + Delta^2), P_F^2 = mu^2 - Delta^2 and t the tilt vector,
``f = theta(mu - E) - delta(mu - E) t.k + O(alpha^2)`` and
``sum_k d_c f X = -sum_k f d_c X``.  Two-band (and Kramers-pair) identities
(``n = d/|d|``)::

    S^{eta a}_c = (n x d_a n)_eta / (2|d|),  G^{ab}_c = d_a n . d_b n / (4|d|),
    Omega_c = -n . (d_x n x d_y n) / 2,       s^eta_c = n_eta

per conduction band (valence: opposite sign; H_PT: per member of the pair).
Per valley of H_T one finds (w = alpha / hv)::

    sum Omega d_y f = 3 alpha Delta P_F^2 / (8 pi mu^4)
    A^{xy,3} = -xi P_F^2 / (4 pi mu^3),   A^{xy,1} = -3 xi w Delta P_F^2 / (8 pi mu^4)
    C^{1y} = xi P_F^2 / (4 pi hv mu),     C^{3y} = -xi w Delta P_F^2 / (4 pi hv mu^2)

with A^{ca,eta} = sum [d_c f S^{eta a} - (c<->a)], C^{eta b} = sum s^eta d_b f,
and for H_PT (Kramers pairs summed)::

    curl_b of G: sum [G^{by} d_x f - G^{bx} d_y f] = alpha P_F^2 / (4 pi mu^4) delta_bx
    A^{xy,3} = -P_F^2 / (2 pi mu^3),      A^{xy,2} = 3 w Delta P_F^2 / (4 pi mu^4)
    B^{2x} = -Delta / (2 pi hv mu),       B^{3x} = w P_F^2 / (4 pi hv mu^2)

with B^{eta b} = sum_n f_n S^{eta b}_n over the whole (symmetrically cut)
Fermi sea: the filled valence pair contributes -int_all S_c (only its
k-even part survives the symmetric cut-off), so B = -int_outside S_c for
the monopolar components and B = int_inside S_c for the dipolar ones.
"""
import numpy as np

from .constants import E2_OVER_HBAR, HBAR

__all__ = ["bcd_t", "enh_t", "inh_pt", "enh_pt", "exchange_factors_t",
           "exchange_factors_pt"]


def _check(mu, delta):
    mu = np.asarray(mu, dtype=float)
    if np.any(mu < -abs(delta)):
        raise ValueError("closed forms are derived for mu > -Delta "
                         "(conduction band or gap) only")
    return mu, np.where(mu > abs(delta), mu ** 2 - delta ** 2, 0.0)


def _hall_tensor(value, b_index):
    """sigma[0, 1, b] = value, sigma[1, 0, b] = -value."""
    value = np.asarray(value, dtype=float)
    out = np.zeros(value.shape + (2, 2, 2))
    out[..., 0, 1, b_index] = value
    out[..., 1, 0, b_index] = -value
    return out


def bcd_t(mu, delta, hbar_v, alpha, tau):
    """BCD conductivity of H_T, both valleys, first order in alpha.

    ``sigma^{xyy} = -sigma^{yxy} = (e^3 tau/hbar^2) 3 alpha Delta (mu^2 -
    Delta^2) / (4 pi mu^4)`` [A nm / V^2], from sigma_BCD of the paper
    (Sodemann-Fu; text after Eq. 10) with the dipole of both valleys.
    """
    mu, pf2 = _check(mu, delta)
    val = 2 * 3 * alpha * delta * pf2 / (8 * np.pi * np.where(pf2 > 0, mu, 1) ** 4)
    return E2_OVER_HBAR * (tau / HBAR) * _hall_tensor(val, 1)


def exchange_factors_t(mu, delta, hbar_v, alpha, xi):
    """First-order factors A^{xy,eta} [1/eV] and C^{eta y} [1/nm] of one
    valley of H_T (module docstring); returns (A, C) arrays of length 3.

    ``C`` is the Fermi-surface (tau) part of the exchange field of Eq. (3):
    ``U^eta = e E^y V0 (tau/hbar) C^{eta y}`` (contact V0); ``A`` is the
    Fermi-surface factor of Eq. (8)/(10)."""
    mu, pf2 = _check(mu, delta)
    m = np.where(pf2 > 0, mu, 1.0)
    w = alpha / hbar_v
    A = np.array([-3 * xi * w * delta * pf2 / (8 * np.pi * m ** 4),
                  0 * m, -xi * pf2 / (4 * np.pi * m ** 3)])
    C = np.array([xi * pf2 / (4 * np.pi * hbar_v * m), 0 * m,
                  -xi * w * delta * pf2 / (4 * np.pi * hbar_v * m ** 2)])
    return A, C


def enh_t(mu, delta, hbar_v, alpha, tau, V0, valley_exchange="intra"):
    """Exchange nonlinear Hall sigma_ENH^(T) of H_T, Eq. (10), contact V0.

    Intravalley, both valleys, first order in alpha::

        sigma^{xyy} = -sigma^{yxy} = -(e^3 tau/hbar^2) V0 alpha Delta
                      (mu^2 - Delta^2)^2 / (16 pi^2 (hbar v)^2 mu^5)

    ``valley_exchange="inter"``: zero (each valley's factors are odd in xi).
    Ratio to BCD: -V0 (mu^2 - Delta^2) / (12 pi (hbar v)^2 mu).
    """
    mu, pf2 = _check(mu, delta)
    if valley_exchange == "inter":
        return _hall_tensor(0 * mu, 1)
    if valley_exchange != "intra":
        raise ValueError(f"valley_exchange {valley_exchange!r}")
    m = np.where(pf2 > 0, mu, 1.0)
    val = -V0 * alpha * delta * pf2 ** 2 / (16 * np.pi ** 2 * hbar_v ** 2 * m ** 5)
    return E2_OVER_HBAR * (tau / HBAR) * _hall_tensor(val, 1)


def inh_pt(mu, delta, hbar_v, alpha):
    """Intrinsic (BCP) nonlinear Hall of H_PT, first order in alpha (the
    paper's sigma_INH, in the text on H_PT, unnumbered; BCP G after Eq. 5)::

        sigma^{xyx} = -sigma^{yxx} = (e^3/hbar) alpha (mu^2 - Delta^2) / (4 pi mu^4)

    [A nm / V^2]; ~ 1/mu^2 at large mu.
    """
    mu, pf2 = _check(mu, delta)
    m = np.where(pf2 > 0, mu, 1.0)
    return E2_OVER_HBAR * _hall_tensor(alpha * pf2 / (4 * np.pi * m ** 4), 0)


def exchange_factors_pt(mu, delta, hbar_v, alpha):
    """First-order factors of H_PT: A^{xy,eta} [1/eV] and B^{eta x} [1/nm^2
    x nm/eV = 1/(nm eV)], arrays of length 3 (module docstring).

    ``B`` is the interband (Fermi-sea SBP) part of the exchange field of
    Eq. (3): ``U^eta = e E^x V0 B^{eta x}`` (contact V0); ``A`` the
    Fermi-surface factor of Eq. (8)/(9)."""
    mu, pf2 = _check(mu, delta)
    m = np.where(pf2 > 0, mu, 1.0)
    w = alpha / hbar_v
    A = np.array([0 * m, 3 * w * delta * pf2 / (4 * np.pi * m ** 4),
                  -pf2 / (2 * np.pi * m ** 3)])
    mu_b = np.maximum(np.abs(mu), abs(delta))   # in the gap: B at the band edge
    B = np.array([0 * m, -delta / (2 * np.pi * hbar_v * mu_b),
                  w * pf2 / (4 * np.pi * hbar_v * m ** 2)])
    return A, B


def enh_pt(mu, delta, hbar_v, alpha, V0):
    """Exchange nonlinear Hall sigma_ENH^(PT) of H_PT, Eq. (9), contact V0::

        sigma^{xyx} = -sigma^{yxx} = -(e^3/hbar) V0 alpha (mu^2 - Delta^2)
                      (mu^2 + 2 Delta^2) / (8 pi^2 (hbar v)^2 mu^5)

    [A nm / V^2]; ~ 1/mu at large mu, opposite in sign to INH; ratio
    ENH/INH = -V0 (mu^2 + 2 Delta^2) / (2 pi (hbar v)^2 mu).
    """
    mu, pf2 = _check(mu, delta)
    m = np.where(pf2 > 0, mu, 1.0)
    val = -V0 * alpha * pf2 * (m ** 2 + 2 * delta ** 2) / (
        8 * np.pi ** 2 * hbar_v ** 2 * m ** 5)
    return E2_OVER_HBAR * _hall_tensor(val, 0)
