import numpy as np
import pytest

from kwant_noneq.mixing import ConvergenceError, solve_fixed_point
from kwant_noneq.occupation import bias_window, check_reservoirs, fermi
from kwant_noneq.quadrature import gauss_kronrod_grid, gauss_legendre, integrate


def test_kronrod_exact_for_polynomials():
    g = gauss_kronrod_grid([-1.0, 1.0], 1)
    for p in range(23):
        exact = (1 - (-1) ** (p + 1)) / (p + 1)
        assert np.isclose(np.sum(g.kronrod_weights * g.energies**p), exact, atol=1e-14)
    for p in range(14):       # the embedded Gauss rule is exact to degree 13
        exact = (1 - (-1) ** (p + 1)) / (p + 1)
        assert np.isclose(np.sum(g.gauss_weights * g.energies**p), exact, atol=1e-14)


def test_gauss_legendre_window_exact_to_degree_2n_minus_1():
    center, width = 0.15, 0.04
    lo, hi = center - width / 2, center + width / 2
    for n in (1, 4, 6):
        E, w = gauss_legendre(center, width, n)
        assert np.all(np.diff(E) > 0) and lo < E[0] and E[-1] < hi
        for p in range(2 * n):
            exact = (hi ** (p + 1) - lo ** (p + 1)) / (p + 1)
            assert np.isclose(np.sum(w * E**p), exact, rtol=1e-12, atol=0)
        # one degree more is not integrated exactly: the rule has n nodes
        p = 2 * n
        exact = ((hi - center) ** (p + 1) - (lo - center) ** (p + 1)) / (p + 1)
        assert not np.isclose(np.sum(w * (E - center) ** p), exact, rtol=1e-6, atol=0)
    with pytest.raises(ValueError, match=r"width .*eV"):
        gauss_legendre(0.15, 0.0, 4)
    with pytest.raises((TypeError, ValueError), match="n"):
        gauss_legendre(0.15, 0.04, 0)


def test_integrate_error_estimate_bounds_true_error():
    g = gauss_kronrod_grid([0.0, 0.3, 2.0], 3)
    val, err = integrate(g, np.exp(-g.energies) * np.cos(5 * g.energies))
    exact = (1 + np.exp(-2) * (5 * np.sin(10) - np.cos(10))) / 26
    assert abs(val - exact) <= err + 1e-15
    assert err < 1e-8


def test_fermi_and_window():
    assert fermi(0.1, 0.0, 0.0) == 0 and fermi(-0.1, 0.0, 0.0) == 1
    assert np.isclose(fermi(0.0, 0.0, 0.01), 0.5)
    lo, hi, br = bias_window([0.1, 0.2], [0.0, 0.0])
    assert (lo, hi) == (0.1, 0.2) and list(br) == [0.1, 0.2]
    lo, hi, _ = bias_window([0.1, 0.1], [0.001, 0.001])
    assert fermi(lo, 0.1, 0.001) > 1 - 1e-15 and fermi(hi, 0.1, 0.001) < 1e-15


@pytest.mark.parametrize("mu, T, match", [
    ([0.1], [0.0, 0.0, 0.0], "temperature"),
    ([0.1, 0.2, 0.3], 0.0, "chemical potential"),
    ([np.nan, 0.1], 0.0, "finite"),
    ([0.1, np.inf], 0.0, "finite"),
    ([0.1, 0.2], -1.0, ">= 0"),
])
def test_bad_reservoirs(mu, T, match):
    with pytest.raises(ValueError, match=match):
        check_reservoirs(2, mu, T)


def test_no_leads_is_an_error():
    with pytest.raises(ValueError, match="no leads"):
        check_reservoirs(0, [], 0.0)


def _contraction(x):
    return 0.5 * np.cos(x) + 0.1 * np.roll(x, 1)


@pytest.mark.parametrize("method", ["linear", "anderson", "broyden1", "scipy-anderson"])
def test_fixed_point_methods_converge(method):
    x0 = np.zeros(5)
    fp = solve_fixed_point(_contraction, x0, method=method, tol=1e-12, max_iter=200)
    assert fp.converged
    assert np.max(np.abs(_contraction(fp.x) - fp.x)) <= 1e-11
    assert len(fp.residuals) == fp.iterations


def test_anderson_beats_linear_and_warm_start():
    lin = solve_fixed_point(_contraction, np.zeros(5), method="linear", tol=1e-12,
                            max_iter=500, mixing=0.5)
    and_ = solve_fixed_point(_contraction, np.zeros(5), method="anderson", tol=1e-12)
    assert and_.iterations < lin.iterations
    warm = solve_fixed_point(_contraction, and_.x, tol=1e-10)
    assert warm.iterations == 1


def test_non_convergence_is_never_silent():
    F = lambda x: 2 * x + 1          # repelling fixed point, linear mixing diverges
    with pytest.raises(ConvergenceError) as info:
        solve_fixed_point(F, np.zeros(2), method="linear", max_iter=5)
    assert info.value.result.converged is False
    assert len(info.value.result.residuals) == 5
    with pytest.warns(RuntimeWarning):
        solve_fixed_point(F, np.zeros(2), method="linear", max_iter=3, on_failure="warn")
    res = solve_fixed_point(F, np.zeros(2), method="linear", max_iter=3,
                            on_failure="return")
    assert not res.converged


@pytest.mark.parametrize("kw, match", [
    (dict(tol=0.0), "tolerance"), (dict(tol=-1e-9), "tolerance"),
    (dict(tol=np.nan), "tolerance"), (dict(max_iter=0), "max_iter"),
    (dict(mixing=0.0), "mixing"), (dict(on_failure="ignore"), "on_failure"),
])
def test_fixed_point_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        solve_fixed_point(_contraction, np.zeros(2), **kw)
    with pytest.raises(ValueError, match="NaN"):
        solve_fixed_point(_contraction, np.array([np.nan, 0.0]))
