"""Reservoir occupations and the energy window where they differ.

Energies in the Hamiltonian's unit (eV in :mod:`kwant_noneq.systems`); temperatures in
kelvin, converted once here with ``k_B`` of :mod:`kwant_noneq.constants`.  A system
whose Hamiltonian is in another energy unit passes ``temperature`` already
multiplied by ``k_B`` in that unit and ``boltzmann=1``.
"""
import numpy as np

from . import checks
from .constants import KB as K_B
from .thermal import THERMAL_WINDOW, fermi  # noqa: F401  (fermi: for importers)

__all__ = ["K_B", "check_reservoirs", "bias_window", "thermal_energy",
           "TEMPERATURE_KEYWORD"]

#: What replaced the keyword ``kT`` [eV] of the k-space thermal averages and
#: nonlinear Hall responses (for :func:`kwant_noneq.checks.renamed_keywords`).
TEMPERATURE_KEYWORD = ("temperature [K] (temperature = kT / "
                       "kwant_noneq.constants.KB, kT in eV)")


def thermal_energy(temperature, boltzmann=K_B, *, name="temperature"):
    """``k_B T`` of one temperature, checked.

    Parameters
    ----------
    temperature : float
        [K], finite and ``>= 0`` (a negative temperature is refused, not
        read as T = 0).
    boltzmann : float
        ``k_B`` in the energy unit per kelvin (default eV/K).
    name : str
        The argument's name, for the error message.

    Returns
    -------
    float
        ``k_B T`` [eV with the default ``boltzmann``].
    """
    try:
        T = checks.real_number(name, temperature, unit="K", nonnegative=True)
    except ValueError as err:
        if np.isfinite(temperature) and temperature < 0:
            raise ValueError(f"{err}: a negative temperature is not T = 0") from None
        raise
    return T * boltzmann


def _finite(name, x):
    try:
        raw = np.asarray(x)
    except ValueError as err:          # ragged nested sequences
        raise TypeError(f"{name} must be a number or a flat sequence of "
                        f"numbers, got {x!r}") from err
    if raw.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be real numbers, got {x!r} "
                        f"(dtype {raw.dtype})")
    x = raw.astype(float)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite, got {x}")
    return x


def check_reservoirs(n_leads, chemical_potentials, temperatures, boltzmann=K_B):
    """Validate and broadcast reservoir parameters.

    Returns ``(mu, kT)``, arrays of shape ``(n_leads,)``; ``kT`` in energy
    units.  Raises ``ValueError`` on a wrong count, NaN/inf, or a negative
    temperature.
    """
    if n_leads == 0:
        raise ValueError("the system has no leads: a nonequilibrium state "
                         "needs reservoirs (attach leads before finalizing)")
    mu = np.atleast_1d(_finite("chemical_potentials", chemical_potentials))
    T = np.atleast_1d(_finite("temperatures", temperatures))
    if mu.ndim != 1 or len(mu) not in (1, n_leads):
        raise ValueError(f"give one chemical potential per lead ({n_leads}), "
                         f"got {len(mu)}")
    if T.ndim != 1 or len(T) not in (1, n_leads):
        raise ValueError(f"give one temperature per lead ({n_leads}) or one "
                         f"for all, got {len(T)}")
    if np.any(T < 0):
        raise ValueError(f"temperatures must be >= 0 K, got {T}")
    return (np.broadcast_to(mu, (n_leads,)).copy(),
            np.broadcast_to(T * boltzmann, (n_leads,)).copy())


def bias_window(mu, kT):
    """Energy interval outside which all reservoirs' occupations agree.

    Below ``mu.min() - 36 kT`` every reservoir is full, above
    ``mu.max() + 36 kT`` every one is empty (to double precision).
    Returns ``(lower, upper, breakpoints)``; the breakpoints are the window
    ends and every chemical potential (kinks of the T = 0 integrand).
    """
    mu = np.asarray(mu, float)
    kT = np.asarray(kT, float)
    lower = np.min(mu - THERMAL_WINDOW * kT)
    upper = np.max(mu + THERMAL_WINDOW * kT)
    breaks = np.unique(np.concatenate([[lower, upper], mu]))
    return lower, upper, breaks
