"""Segment chaining (locally equilibrated edge) against Eq. (8)."""
import numpy as np
import pytest

from kwant_noneq import analytic
from kwant_noneq.dephasing import chained_iv, series_transmission, solve_chained


@pytest.mark.parametrize("L", [1e2, 1e5, 1e8, 1e11])
def test_chained_with_eq5_rate_is_eq8(L):
    """With p = C mu_bar^2 dmu^2 (Eq. 5), Eq. (6) with the boundary
    conditions is Eq. (8) exactly: agreement to the ODE/root tolerance."""
    mu0, C = 0.15, 1e-3
    V = np.array([0.003, 0.01, 0.03])
    chained = chained_iv(V, mu0, L, lambda m, d: C * m**2 * d**2)
    eq8 = analytic.solve_eq8(V, mu0, L, C)
    assert np.allclose(chained, eq8, rtol=1e-7, atol=0)


def test_limits():
    mu0, C = 0.15, 1e-3
    # nearly ballistic: dmu = eV - L C mu0^2 eV^3
    L, eV = 1e3, 0.01
    d = solve_chained(eV, mu0, L, lambda m, x: C * m**2 * x**2).dmu
    assert abs(d - analytic.current_eq9_ballistic(eV, mu0, L, C)) < 1e-3 * (eV - d)
    # resistive: I^3 ~ V (kappa ~ 1e8): relative correction x = dmu/eV ~ 1e-3
    L = 1e12
    d = solve_chained(eV, mu0, L, lambda m, x: C * m**2 * x**2).dmu
    ref = analytic.current_eq9_resistive(eV, mu0, L, C)
    assert abs(d / ref - 1) < 3 * d / eV
    # no backscattering: ballistic
    assert solve_chained(eV, mu0, L, lambda m, x: 0.0).dmu == eV
    assert solve_chained(0.0, mu0, L, lambda m, x: 1.0).dmu == 0.0


def test_profile_boundary_conditions():
    mu0, C, L, eV = 0.15, 1e-3, 1e8, 0.02
    sol = solve_chained(eV, mu0, L, lambda m, x: C * m**2 * x**2)
    assert abs(sol.mu_bar[0] - (mu0 - (eV - sol.dmu) / 2)) < 1e-14
    assert abs(sol.mu_bar[-1] - (mu0 + (eV - sol.dmu) / 2)) < 1e-9 * eV
    assert np.all(np.diff(sol.mu_bar) > 0)


def test_series_transmission():
    # two scatterers of T = 1/2: 1/T - 1 = 2
    assert np.isclose(series_transmission([0.5, 0.5]), 1 / 3)
    assert series_transmission([1.0, 1.0]) == 1.0
    with pytest.raises(ValueError):
        series_transmission([0.0])


def test_errors():
    with pytest.raises(ValueError):
        solve_chained(-0.01, 0.15, 1.0, lambda m, x: 0.0)
    with pytest.raises(ValueError):
        solve_chained(0.01, 0.15, 0.0, lambda m, x: 0.0)
