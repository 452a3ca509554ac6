"""Physical constants for the Coulomb-drag modules (private, temporary).

Units of kwant_noneq: energy eV, length nm, time ps, charge e > 0.
Values and names follow ``kwant_noneq/constants.py`` of branch ``nlh``
(CODATA 2018); this module goes away once that one is on main.
"""
import math

#: Reduced Planck constant (eV ps).
HBAR = 6.582119569e-4
#: Elementary charge (C).
ELEMENTARY_CHARGE = 1.602176634e-19
#: Reduced Planck constant (J s).
HBAR_SI = 1.054571817e-34
#: Coulomb constant e^2 / (4 pi eps0) (eV nm).
COULOMB = 1.4399645468667814
#: Boltzmann constant (eV / K).
KB = 8.617333262e-5
#: Resistance quantum hbar / e^2 (Ohm): converts resistivities from hbar/e^2.
HBAR_OVER_E2_OHM = HBAR_SI / ELEMENTARY_CHARGE ** 2

__all__ = ["HBAR", "COULOMB", "KB", "HBAR_OVER_E2_OHM"]
