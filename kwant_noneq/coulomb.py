"""Coulomb interactions of two-dimensional layers.

The bare 2D interaction and the RPA-screened interaction between two
layers, shared by the numerical drag (:mod:`kwant_noneq.drag`) and its
closed forms (:mod:`kwant_noneq.analytic_drag`).

Units: wavevectors in 1/nm, distances in nm, polarisations in 1/(eV nm^2),
interactions in eV nm^2 (Gaussian-like: ``e^2/(4 pi eps0) = COULOMB`` eV nm).
"""
import numpy as np

from . import checks
from .constants import COULOMB

__all__ = ["coulomb_potential", "interlayer_potential"]


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
