"""Physical constants in the units of kwant_noneq, from :mod:`scipy.constants`.

Units: energy eV, length nm, time ps, temperature K, charge e (elementary
charge, > 0).  The values are SciPy's CODATA set (exact in the 2019 SI for
``e``, ``hbar`` and ``k_B``); ``tests/test_constants.py`` checks them against
reference values.
"""
import math

import scipy.constants as _si

__all__ = ["ELEMENTARY_CHARGE", "HBAR", "HBAR_SI", "EPS0", "COULOMB",
           "E2_OVER_HBAR", "KB", "HBAR_OVER_E2_OHM", "velocity_to_hbar_v"]

#: Elementary charge (C).
ELEMENTARY_CHARGE = _si.e
#: Reduced Planck constant (eV ps).
HBAR = _si.hbar / _si.e * 1e12
#: Reduced Planck constant (J s).
HBAR_SI = _si.hbar
#: Vacuum permittivity (e^2 / (eV nm)); e^2/(4 pi EPS0) = 1.43996 eV nm.
EPS0 = _si.epsilon_0 / _si.e * 1e-9
#: Coulomb constant e^2 / (4 pi eps0) (eV nm).
COULOMB = 1.0 / (4 * math.pi * EPS0)
#: Conductance quantum e^2 / hbar (A / V).
E2_OVER_HBAR = ELEMENTARY_CHARGE ** 2 / HBAR_SI
#: Boltzmann constant (eV / K).
KB = _si.k / _si.e
#: Resistance quantum hbar / e^2 (Ohm): converts resistivities from hbar/e^2.
HBAR_OVER_E2_OHM = HBAR_SI / ELEMENTARY_CHARGE ** 2


def velocity_to_hbar_v(v_m_per_s):
    """``hbar v`` (eV nm) of a velocity ``v`` given in m/s."""
    return HBAR * v_m_per_s * 1e-3   # (eV ps) * (nm / ps)
