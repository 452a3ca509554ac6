"""Physical constants (CODATA 2018) in the units of kwant_noneq.

Units: energy eV, length nm, time ps, charge e (elementary charge, > 0).
"""
import math

#: Elementary charge (C).
ELEMENTARY_CHARGE = 1.602176634e-19
#: Reduced Planck constant (eV ps).
HBAR = 6.582119569e-4
#: Reduced Planck constant (J s).
HBAR_SI = 1.054571817e-34
#: Vacuum permittivity (e^2 / (eV nm)); e^2/(4 pi EPS0) = 1.43996 eV nm.
EPS0 = 8.8541878128e-12 / ELEMENTARY_CHARGE * 1e-9
#: Coulomb constant e^2 / (4 pi eps0) (eV nm).
COULOMB = 1.0 / (4 * math.pi * EPS0)
#: Conductance quantum e^2 / hbar (A / V).
E2_OVER_HBAR = ELEMENTARY_CHARGE ** 2 / HBAR_SI
#: Boltzmann constant (eV / K).
KB = 8.617333262e-5


def velocity_to_hbar_v(v_m_per_s):
    """hbar v (eV nm) of a velocity given in m/s."""
    return HBAR * v_m_per_s * 1e-3   # (eV ps) * (nm / ps)

#: Resistance quantum hbar / e^2 (Ohm): converts resistivities from hbar/e^2.
HBAR_OVER_E2_OHM = HBAR_SI / ELEMENTARY_CHARGE ** 2
