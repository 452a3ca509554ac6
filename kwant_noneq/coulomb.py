"""Coulomb interactions of two-dimensional layers and of gated wires.

The bare 2D interaction and the RPA-screened interaction between two
layers, shared by the numerical drag (:mod:`kwant_noneq.drag`) and its
closed forms (:mod:`kwant_noneq.analytic_drag`); the real-space interaction
of charges in front of a metallic gate (the Hartree kernel of
:mod:`kwant_noneq.meanfield`) and its sum along a wire (the geometric
capacitance).

Units: wavevectors in 1/nm, distances in nm, polarisations in 1/(eV nm^2),
interactions in eV nm^2 (Gaussian-like: ``e^2/(4 pi eps0) = COULOMB`` eV nm).
"""
import numpy as np
import scipy.special

from . import checks
from .constants import COULOMB

__all__ = ["coulomb_potential", "interlayer_potential", "gated_coulomb",
           "gated_wire_interaction_sum"]


def coulomb_potential(q, eps_r):
    """Bare 2D Coulomb interaction ``2 pi e^2/(4 pi eps0 eps_r q)`` (eV nm^2).

    Parameters
    ----------
    q : array_like
        Wavevector magnitudes (1/nm).
    eps_r : float
        Relative permittivity of the surrounding dielectric (> 0).
    """
    eps_r = checks.real_number("eps_r", eps_r, unit="dimensionless", positive=True)
    return 2 * np.pi * COULOMB / (eps_r * np.asarray(q, dtype=float))


def interlayer_potential(q, pi_a, pi_p, d, eps_r):
    """Dynamically screened interlayer interaction of a double layer (RPA).

    ``V_12 = v_q e^{-qd} / [(1 + v_q Pi_a)(1 + v_q Pi_p) - v_q^2 e^{-2qd} Pi_a Pi_p]``

    with ``v_q = 2 pi e^2/(eps_r q)`` and complex ``Pi_l(q, omega)`` (the
    full 2x2 RPA matrix inverted, not ``V_12/(1 + V (Pi_a + Pi_p))``).
    Uniform dielectric ``eps_r`` around both layers.

    Parameters
    ----------
    q : array_like
        Wavevector magnitudes (1/nm).
    pi_a, pi_p : array_like
        Polarisations of the active and passive layer (1/(eV nm^2)).
    d : float
        Layer separation (nm, > 0).
    eps_r : float
        Relative permittivity (> 0).

    Returns
    -------
    ndarray
        ``V_12`` (eV nm^2), complex when a polarisation is.
    """
    d = checks.real_number("d (layer separation)", d, unit="nm", positive=True)
    q = np.asarray(q, dtype=float)
    v = coulomb_potential(q, eps_r)
    e = np.exp(-q * d)
    return v * e / ((1 + v * pi_a) * (1 + v * pi_p) - (v * e) ** 2 * pi_a * pi_p)


def gated_coulomb(r, gate_distance, eps_r, width):
    """Interaction of two electrons at distance ``r`` in front of a gate [eV].

    ``V(r) = e^2/(4 pi eps0 eps_r) [1/sqrt(r^2 + w^2) - 1/sqrt(r^2 + w^2 + 4 d^2)]``:
    the charge's field and that of its image at ``2 d`` behind a metallic
    plane at distance ``d``, regularised on the scale ``w`` (a wire's width,
    a site's extent) so that ``V(0)`` is finite.  For ``r >> d``, ``V ~ 2
    d^2 e^2 / (4 pi eps0 eps_r r^3)``.

    Parameters
    ----------
    r : array_like
        Distances [nm], ``>= 0``.
    gate_distance : float
        ``d`` [nm], ``> 0``.
    eps_r : float
        Relative permittivity, ``> 0``.
    width : float
        ``w`` [nm], ``> 0``.
    """
    d = checks.real_number("gate_distance", gate_distance, unit="nm", positive=True)
    eps_r = checks.real_number("eps_r", eps_r, unit="dimensionless", positive=True)
    w = checks.real_number("width", width, unit="nm", positive=True)
    r2 = np.asarray(r, dtype=float) ** 2 + w ** 2
    return COULOMB / eps_r * (1 / np.sqrt(r2) - 1 / np.sqrt(r2 + 4 * d ** 2))


def gated_wire_interaction_sum(gate_distance, eps_r, width, spacing=None):
    """``sum_j V(|j| a)`` over a straight chain [eV], or its continuum limit.

    The potential ``phi = V_0 n`` [eV] that a uniform density of ``n``
    electrons per site on an infinite chain of spacing ``a`` in front of a
    gate puts on every site, ``V`` from :func:`gated_coulomb`: the inverse
    geometric capacitance per site, ``V_0 = e^2 / (a C_geom)`` with
    ``C_geom`` per unit length.  By Poisson summation (the Fourier transform
    of ``1/sqrt(x^2 + b^2)`` is ``2 K_0(|q| b)``), with ``C = e^2/(4 pi
    eps0 eps_r)`` and ``D = sqrt(w^2 + 4 d^2)``,

        V_0 = (C / a) [2 ln(D / w) + 4 sum_{m >= 1} (K_0(2 pi m w / a)
                                                 - K_0(2 pi m D / a))],

    the ``m = 0`` term being the continuum ``e^2 / C_geom = 2 C ln(D / w)
    ~ 2 C ln(2 d / w)`` (for ``d >> w``) per unit length, and the others the
    lattice's correction, ``~ exp(-2 pi w / a)``.

    Parameters
    ----------
    gate_distance, eps_r, width :
        As for :func:`gated_coulomb` ([nm], dimensionless, [nm]).
    spacing : float, optional
        ``a`` [nm]: the lattice sum ``V_0`` [eV].  None: the continuum
        ``e^2 / C_geom`` [eV nm] (the ``m = 0`` term times ``a``).
    """
    d = checks.real_number("gate_distance", gate_distance, unit="nm", positive=True)
    eps_r = checks.real_number("eps_r", eps_r, unit="dimensionless", positive=True)
    w = checks.real_number("width", width, unit="nm", positive=True)
    c = COULOMB / eps_r
    big = np.sqrt(w ** 2 + 4 * d ** 2)
    continuum = 2 * c * np.log(big / w)
    if spacing is None:
        return float(continuum)
    a = checks.real_number("spacing", spacing, unit="nm", positive=True)
    # K_0(x) < exp(-x) sqrt(pi / 2x): stop once the next term is below 1e-17
    # of the sum.
    m = np.arange(1, int(np.ceil(40 * a / (2 * np.pi * w))) + 2)
    images = 4 * c * np.sum(scipy.special.k0(2 * np.pi * m * w / a)
                            - scipy.special.k0(2 * np.pi * m * big / a))
    return float((continuum + images) / a)
