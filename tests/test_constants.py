"""kwant_noneq.constants: SciPy's CODATA values, in eV, nm, ps, K."""
import math

import pytest
import scipy.constants as si

from kwant_noneq import constants as c


@pytest.mark.parametrize("value, reference, rel", [
    # Exact in the 2019 SI (CODATA 2018 and later).
    (c.ELEMENTARY_CHARGE, 1.602176634e-19, 0),
    (c.HBAR_SI, 1.054571817e-34, 1e-9),           # 1.054571817... J s
    (c.HBAR, 6.582119569e-4, 1e-9),               # eV ps
    (c.KB, 8.617333262e-5, 1e-9),                 # eV / K
    # Measured: eps0 changed by 7e-10 from CODATA 2018 to 2022.
    (c.COULOMB, 1.43996454784, 1e-8),             # e^2/(4 pi eps0), eV nm
    (c.E2_OVER_HBAR, 2.434134807e-4, 1e-9),       # A / V
    (c.HBAR_OVER_E2_OHM, 4108.2359, 1e-7),        # Ohm (R_K / 2 pi)
])
def test_constants_match_codata(value, reference, rel):
    assert value == pytest.approx(reference, rel=rel, abs=0)


def test_constants_are_scipys():
    assert c.HBAR == si.hbar / si.e * 1e12
    assert c.KB == si.k / si.e
    assert c.COULOMB == pytest.approx(1 / (4 * math.pi * si.epsilon_0) * si.e * 1e9,
                                      rel=1e-15)
    assert c.HBAR_OVER_E2_OHM == pytest.approx(si.physical_constants[
        "von Klitzing constant"][0] / (2 * math.pi), rel=1e-15)


def test_velocity_conversion():
    """hbar v for v = 1e6 m/s is 0.6582 eV nm (hbar = 0.6582 eV fs)."""
    assert c.velocity_to_hbar_v(1e6) == pytest.approx(0.6582119569, rel=1e-9)
