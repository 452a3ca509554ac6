"""Property-based tests (hypothesis) of the public k-space, drag,
occupation and quadrature APIs.

Valid random inputs give finite results with the symmetries the physics
requires; invalid random inputs (NaN, infinities, negative temperatures,
strings) raise ValueError or TypeError, never a silent result.  Cheap
quadratures and few examples keep the file to a few seconds.
"""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kwant_noneq.analytic_drag import MassiveDiracLayer
from kwant_noneq.drag import drag_conductivity
from kwant_noneq.kintegrate import (ContinuumPolar, fermi_window_rule,
                                    thermal_average)
from kwant_noneq.nonlinear_hall import (Flavour, bcd_conductivity,
                                        enh_pt_conductivity,
                                        enh_t_conductivity, inh_conductivity)
from kwant_noneq.occupation import K_B, check_reservoirs, fermi
from kwant_noneq.quadrature import gauss_kronrod_grid, integrate
from kwant_noneq.systems.dirac2d import (h_pt_continuum, h_t_continuum, spin_operators_pt,
                             spin_operators_t)

FAST = settings(max_examples=12, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
HV = 0.263                      # eV nm (v = 4e5 m/s)
K_MAX = 4.0
QUAD = dict(n_angles=16, n_radial=6)

finite = st.floats(allow_nan=False, allow_infinity=False)
bad_number = st.one_of(st.just(float("nan")), st.just(float("inf")),
                       st.just(-float("inf")), st.text(max_size=3),
                       st.none(), st.lists(st.floats(), min_size=2, max_size=2))
negative = st.floats(max_value=-1e-12, min_value=-1e3, allow_nan=False)


def t_valleys(delta, w):
    integ = ContinuumPolar(K_MAX, **QUAD)
    return [Flavour(h_t_continuum(xi, delta, HV, HV, w * HV),
                    spin_operators_t(), integ) for xi in (1, -1)]


def pt_flavour(delta, w):
    return Flavour(h_pt_continuum(delta, HV, HV, w * HV), spin_operators_pt(),
                   ContinuumPolar(K_MAX, **QUAD))


# Conduction-band mu whose tilted Fermi surface stays well inside K_MAX:
# k_F <= mu / (hv (1 - w)) <= 0.5 / (0.263 * 0.8) = 2.4 / nm.
nh_inputs = st.tuples(st.floats(0.01, 0.1),          # delta (eV)
                      st.floats(0.01, 0.2),           # alpha / hbar v
                      st.floats(1.2, 5.0))            # mu / delta


@FAST
@given(nh_inputs)
def test_nonlinear_hall_finite_antisymmetric_and_odd_in_tilt(args):
    """Every response is antisymmetric in (c, a) (module docstring) and odd
    in the tilt alpha (k_y -> -k_y maps H(alpha) onto H(-alpha), and the
    angular nodes are symmetric under it)."""
    delta, w, ratio = args
    mu = min(ratio * delta, 0.5)
    for res_p, res_m in (
            (bcd_conductivity(t_valleys(delta, w), mu, 0.5),
             bcd_conductivity(t_valleys(delta, -w), mu, 0.5)),
            (inh_conductivity(pt_flavour(delta, w), mu),
             inh_conductivity(pt_flavour(delta, -w), mu)),
            (enh_t_conductivity(t_valleys(delta, w), mu, 0.5, 7.2),
             enh_t_conductivity(t_valleys(delta, -w), mu, 0.5, 7.2))):
        s = res_p.sigma
        scale = np.abs(s).max()
        assert np.all(np.isfinite(s)) and math.isfinite(res_p.convergence)
        assert scale > 0
        np.testing.assert_allclose(s, -np.swapaxes(s, 0, 1), rtol=0,
                                   atol=1e-12 * scale)
        np.testing.assert_allclose(res_m.sigma, -s, rtol=0, atol=1e-8 * scale)


@FAST
@given(st.floats(0.01, 0.1), st.floats(0.0, 0.95))
def test_no_fermi_surface_in_the_gap(delta, frac):
    """mu inside the gap: no Fermi surface, BCD and INH vanish exactly."""
    mu = frac * delta
    assert np.all(bcd_conductivity(t_valleys(delta, 0.1), mu, 0.5).sigma == 0)
    assert np.all(inh_conductivity(pt_flavour(delta, 0.1), mu).sigma == 0)


@FAST
@given(st.sampled_from(["mu", "tau", "temperature", "interaction"]), bad_number)
def test_nonlinear_hall_bad_inputs_raise(name, value):
    args = dict(mu=0.1, tau=0.5, temperature=0.0, interaction=7.2)
    args[name] = value
    with pytest.raises((ValueError, TypeError), match=name):
        if name == "interaction":
            enh_t_conductivity(t_valleys(0.05, 0.1), args["mu"], args["tau"],
                               args["interaction"], temperature=args["temperature"])
        else:
            bcd_conductivity(t_valleys(0.05, 0.1), args["mu"], args["tau"],
                             temperature=args["temperature"])


@FAST
@given(negative)
def test_negative_temperature_never_means_zero(T):
    with pytest.raises(ValueError, match="temperature"):
        enh_pt_conductivity(pt_flavour(0.05, 0.1), 0.1, 7.2, temperature=T)
    with pytest.raises(ValueError, match="temperature"):
        thermal_average(lambda e: e, 0.1, temperature=T)


@FAST
@given(st.sampled_from(["delta", "hbar_vx", "alpha"]), bad_number)
def test_bad_model_parameters_raise(name, value):
    args = dict(delta=0.05, hbar_vx=HV, hbar_vy=HV, alpha=0.01)
    args[name] = value
    with pytest.raises((ValueError, TypeError), match=name):
        h_t_continuum(1, **args)


@FAST
@given(st.floats(0.5, 4.0), st.floats(-0.5, 0.5))
def test_fermi_surface_beyond_the_domain_always_refused(excess, w):
    """A Fermi surface reaching beyond k_max (mu > hv k_max (1 + |w|)...)
    raises rather than being cut; the message names k_max."""
    mu = HV * K_MAX * (1 + excess)
    with pytest.raises(ValueError, match="k_max"):
        bcd_conductivity(t_valleys(0.05, w), mu, 0.5)


@FAST
@given(st.integers(2, 24), st.floats(0.0, 0.3))
def test_thermal_rules(nodes, x0):
    """The Fermi-window rule integrates -f' to 1 (Gauss panels; truncation
    exp(-24)), and the trapezoid thermal average of a constant is the
    constant up to its aliasing error (8 pi^2/h) exp(-2 pi^2/h) at step h
    (Poisson summation, kernel transform pi w/sinh(pi w)) plus the
    truncation 2 exp(-24) of the window beyond |x| = 24."""
    r = fermi_window_rule(nodes)
    assert abs(r.derivative_weight.sum() - 1) < 1e-9 + 10.0 ** (-nodes)
    for h in (1.0, 0.5):
        alias = 8 * np.pi ** 2 / h * np.exp(-2 * np.pi ** 2 / h)
        avg = thermal_average(lambda e: np.array(3.0), x0, temperature=0.01 / K_B,
                              step=h)
        assert abs(avg / 3.0 - 1) <= 1.05 * (alias + 2 * np.exp(-24.0)) + 1e-14


# ----------------------------------------------------------------- drag
drag_inputs = st.tuples(st.floats(0.5, 20.0),         # T (K)
                        st.floats(5.0, 40.0),          # d (nm)
                        st.floats(2.0, 30.0),          # eps_r
                        st.floats(0.05, 0.2),          # mu (eV)
                        st.floats(0.0, 0.03))          # M_p (eV)


@FAST
@given(drag_inputs)
def test_drag_finite_positive_and_odd_in_passive_mass(args):
    """Like carriers: sigma_D^xx > 0; sigma_D^yx is odd in M_p (Berry
    curvature ~ M_p) and sigma_D^xx even; errors are finite and >= 0."""
    T, d, eps, mu, mp = args
    a = MassiveDiracLayer(0.41, 0.01, mu, 0.1)
    nodes = dict(n_q=8, n_tail=4, n_omega=8, n_k=8)
    r = drag_conductivity(a, MassiveDiracLayer(0.41, mp, mu, 0.1), d, eps, T, **nodes)
    s = drag_conductivity(a, MassiveDiracLayer(0.41, -mp, mu, 0.1), d, eps, T, **nodes)
    assert r.sigma_xx > 0 and math.isfinite(r.rho_xx)
    for err in (r.sigma_xx_error, r.sigma_yx_error, r.rho_xx_error, r.rho_yx_error):
        assert math.isfinite(err) and err >= 0
    assert s.sigma_xx == pytest.approx(r.sigma_xx, rel=1e-12)
    assert s.sigma_yx == pytest.approx(-r.sigma_yx, rel=1e-12, abs=1e-300)


@FAST
@given(st.sampled_from(["d", "eps_r", "T"]), st.one_of(bad_number, negative))
def test_drag_bad_arguments_raise(name, value):
    a = MassiveDiracLayer(0.41, 0.01, 0.1, 0.1)
    args = dict(d=10.0, eps_r=20.0, T=5.0)
    args[name] = value
    with pytest.raises((ValueError, TypeError), match=name):
        drag_conductivity(a, a, args["d"], args["eps_r"], args["T"])


@FAST
@given(st.sampled_from(["A", "M", "mu", "tau"]), bad_number)
def test_layer_bad_parameters_raise(name, value):
    args = dict(A=0.41, M=0.01, mu=0.1, tau=0.1)
    args[name] = value
    with pytest.raises((ValueError, TypeError), match=name):
        MassiveDiracLayer(**args)


# ------------------------------------------------- occupation, quadrature
@FAST
@given(st.floats(-1, 1), st.floats(-1, 1), st.floats(1e-4, 0.1))
def test_fermi_bounds_and_particle_hole(mu, x, kT):
    f, g = fermi(mu + x, mu, kT), fermi(mu - x, mu, kT)
    assert 0 <= f <= 1 and f + g == pytest.approx(1.0, abs=1e-15)
    if x > 0:
        assert f <= 0.5 <= g


@FAST
@given(st.lists(finite.filter(lambda v: abs(v) < 1e3), min_size=1, max_size=3),
       st.one_of(st.just(float("nan")), negative))
def test_reservoirs_refuse_nan_and_negative_temperature(mus, bad_T):
    with pytest.raises(ValueError, match="temperatures"):
        check_reservoirs(len(mus), mus, [bad_T] * len(mus))
    with pytest.raises(ValueError, match="chemical_potentials"):
        check_reservoirs(len(mus), [float("nan")] * len(mus), 1.0)


@FAST
@given(st.floats(-2, 0), st.floats(0.1, 3), st.integers(1, 8),
       st.lists(st.floats(-1, 1), min_size=1, max_size=8))
def test_gauss_kronrod_exact_for_polynomials(lo, width, panels, coeffs):
    """G7/K15 is exact for degree <= 13 on each panel; the error estimate
    K15 - G7 is ~0 for degree <= 13 too (G7 exact to degree 13)."""
    grid = gauss_kronrod_grid([lo, lo + width], panels)
    p = np.polynomial.Polynomial(coeffs)
    val, err = integrate(grid, p(grid.energies))
    exact = p.integ()(lo + width) - p.integ()(lo)
    scale = max(1.0, np.abs(coeffs).sum() * max(abs(lo), abs(lo + width)) ** len(coeffs))
    assert val == pytest.approx(exact, abs=1e-12 * scale * width)
    assert 0 <= err <= 1e-11 * scale * width
