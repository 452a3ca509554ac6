"""The Fermi function and the thermal (Maldague) substitution.

One home for what every finite-temperature calculation of the package
shares: the Fermi-Dirac occupation, its derivative kernel, the width of the
window outside which Fermi factors are at double-precision round-off, and
the substitution ``E = c + 2 s artanh(u)`` that makes a Fermi factor
smooth.  With ``s = k_B T`` the thermal weight ``-df/dE dE`` becomes the
uniform measure ``du/2`` on ``(-1, 1)``, so Gauss-Legendre in ``u`` averages
T = 0 results over the chemical potential exactly for the weight
(Maldague's identity, :func:`maldague_nodes`).

Units: energies in eV, ``kT`` in eV, temperatures ``T`` in K (converted with
:data:`kwant_noneq.constants.KB`).
"""
import numpy as np
from scipy.special import expit

from . import checks
from .constants import KB

__all__ = ["THERMAL_WINDOW", "fermi", "thermal_kernel", "minus_fermi_derivative",
           "thermal_map", "thermal_map_inverse", "maldague_nodes"]

#: Half-width of the thermal window in units of k_B T: beyond it a Fermi
#: factor differs from a step by less than exp(-36) ~ 2e-16 (double
#: precision).
THERMAL_WINDOW = 36.0


def fermi(energy, mu, kT):
    """Fermi-Dirac occupation ``1 / (exp((E - mu)/kT) + 1)``.

    Parameters
    ----------
    energy : array_like
        Energies (eV).
    mu : float
        Chemical potential (eV).
    kT : float
        Thermal energy ``k_B T`` (eV), >= 0; ``kT = 0`` is the step
        ``energy < mu`` with 1/2 exactly at ``mu``.

    Returns
    -------
    ndarray
        Occupations in [0, 1], the shape of ``energy``.

    Raises
    ------
    TypeError, ValueError
        ``mu`` or ``kT`` not a finite real number, or ``kT < 0``.
    """
    mu = checks.real_number("mu", mu, unit="eV")
    kT = checks.real_number("kT", kT, unit="eV", nonnegative=True)
    energy = np.asarray(energy, float)
    if kT == 0:
        return np.where(energy < mu, 1.0, np.where(energy == mu, 0.5, 0.0))
    return expit(-(energy - mu) / kT)


def thermal_kernel(x):
    """``-df/dx = 1 / (4 cosh^2(x/2))`` in ``x = (E - mu)/kT``
    (dimensionless; integrates to 1)."""
    return 1 / (4 * np.cosh(np.asarray(x) / 2) ** 2)


def minus_fermi_derivative(energy, mu, kT):
    """``-df/dE`` (1/eV) at energies ``energy`` (eV); needs ``kT > 0`` (eV)."""
    if not kT > 0:
        raise ValueError(f"-df/dE needs kT > 0 (eV), got {kT}")
    return thermal_kernel((np.asarray(energy) - mu) / kT) / kT


def thermal_map(center, scale, u):
    """The thermal substitution ``E = center + 2 scale artanh(u)`` (eV).

    ``u`` in (-1, 1); ``scale`` (eV) is ``k_B T`` for a Fermi factor centred
    at ``center`` (a negative scale maps downwards).  In ``u`` the Fermi
    factor ``f(E; center, scale)`` is the linear ``(1 - u)/2``.
    """
    return center + 2 * scale * np.arctanh(u)


def thermal_map_inverse(center, scale, energy):
    """``u = tanh((E - center) / (2 scale))``, the inverse of :func:`thermal_map`."""
    return np.tanh((energy - center) / (2 * scale))


def maldague_nodes(mu, T, n_T):
    """Nodes and weights of Maldague's thermal average of T = 0 results.

    ``int dmu' F(mu') / (4 k_BT cosh^2((mu' - mu)/2k_BT)) ~ sum_i w_i F(mu_i)``.
    With ``u = tanh((mu' - mu)/2k_BT)`` the weight is ``du/2`` on [-1, 1]:
    Gauss-Legendre in ``u`` is exact for the thermal weight, and ``F`` is
    smooth in ``u`` when ``mu' = mu + 2k_BT artanh(u)`` stays away from the
    kinks of ``F``.

    Parameters
    ----------
    mu : float
        Chemical potential (eV).
    T : float
        Temperature (K), >= 0 (T = 0: every node is ``mu``).
    n_T : int
        Number of nodes, >= 1.

    Returns
    -------
    nodes : ndarray
        Chemical potentials ``mu_i`` (eV).
    weights : ndarray
        ``w_i`` (dimensionless; they sum to 1).
    """
    mu = checks.real_number("mu", mu, unit="eV")
    T = checks.real_number("T", T, unit="K", nonnegative=True)
    n_T = checks.integer("n_T", n_T, minimum=1)
    x, w = np.polynomial.legendre.leggauss(n_T)
    return thermal_map(mu, KB * T, x), 0.5 * w
