"""Finite-temperature exchange nonlinear Hall with a screened V(q)."""
import numpy as np
import pytest

from kwant_noneq.constants import KB
from kwant_noneq.kintegrate import ContinuumPolar, fermi_window_rule
from kwant_noneq.nonlinear_hall import (Flavour, enh_pt_conductivity,
                                        enh_t_conductivity,
                                        screened_interaction)
from kwant_noneq.systems.dirac2d import (h_pt_continuum, h_t_continuum, paper_parameters,
                             spin_operators_pt, spin_operators_t)

P = paper_parameters()
HV, DELTA, TAU, V0, QS = P["hbar_vx"], P["delta"], P["tau"], P["V0"], P["q_s"]
MODEL = dict(delta=DELTA, hbar_vx=HV, hbar_vy=HV, alpha=0.1 * HV)


def valleys(n_angles, n_radial):
    integ = ContinuumPolar(4.0, n_angles=n_angles, n_radial=n_radial)
    return [Flavour(h_t_continuum(xi, **MODEL), spin_operators_t(), integ)
            for xi in (1, -1)]


def pt(n_angles, n_radial):
    integ = ContinuumPolar(4.0, n_angles=n_angles, n_radial=n_radial)
    return Flavour(h_pt_continuum(**MODEL), spin_operators_pt(), integ)


def constant(q):
    return V0 * np.ones_like(q)


def test_fermi_window_rule_known_integrals():
    """int (-f') = 1, int (-f') x^2 = pi^2/3, int (f - theta) x dx = pi^2/6;
    Gauss panels, 6 nodes: panel error ~1e-9 (measured 2e-9), truncation
    at x = 24 ~ 24^3 e^-24 ~ 5e-7 for the growing x^2 moment."""
    r = fermi_window_rule(6)
    assert abs(r.derivative_weight.sum() - 1) < 1e-8
    assert abs((r.derivative_weight * r.x ** 2).sum() - np.pi ** 2 / 3) < 1e-7
    assert abs((r.occupation_weight * r.x).sum() - np.pi ** 2 / 6) < 1e-7
    # (f - theta) integrates to 0 against even functions of x.
    assert abs(r.occupation_weight.sum()) < 1e-15


@pytest.mark.parametrize("ve", ["intra", "inter"])
def test_constant_callable_equals_contact_at_finite_T_enh_t(ve):
    """V(q) = V0 given as a callable goes through the pairwise double energy
    average; the contact path factorises with a trapezoid rule.  Two
    quadratures of one integral: they agree within their convergence
    estimates (scale: the intravalley result, since 'inter' is 0)."""
    tv = valleys(32, 12)
    mu, kT = 0.12, 3e-3
    a = enh_t_conductivity(tv, mu, TAU, constant, ve, temperature=kT / KB)
    b = enh_t_conductivity(tv, mu, TAU, V0, ve, temperature=kT / KB)
    scale = np.abs(enh_t_conductivity(tv, mu, TAU, V0, temperature=kT / KB).sigma).max()
    tol = a.convergence * np.abs(a.sigma).max() + b.convergence * np.abs(b.sigma).max()
    assert np.abs(a.sigma - b.sigma).max() < tol + 1e-12 * scale
    if ve == "intra":                       # 'inter' is 0: no relative scale
        assert a.convergence < 1e-3


def test_constant_callable_equals_contact_at_finite_T_enh_pt():
    """ENH_PT: T = 0 sea + thermal shell (pairs) vs the trapezoid average
    of T = 0 seas (contact)."""
    f = pt(32, 12)
    mu, kT = 0.12, 3e-3
    a = enh_pt_conductivity(f, mu, constant, temperature=kT / KB)
    b = enh_pt_conductivity(f, mu, V0, temperature=kT / KB)
    tol = (a.convergence + b.convergence) * np.abs(b.sigma).max()
    assert np.abs(a.sigma - b.sigma).max() < tol
    assert abs(a.sigma[0, 1, 0]) > 0


def test_screened_finite_T_approaches_zero_T_quadratically():
    """sigma(kT) - sigma(0) = c2 kT^2 (1 + O((pi kT/w)^2)), w = min(mu -
    Delta, hbar v q_s) = 53 meV: the ratio of the changes at 4 and 2 meV is
    4 within 4 [3 (pi 2 meV/w)^2 + k-noise] (intravalley, screened q_s =
    0.2/nm).  T = 0 at the same k resolution (16 -> refined 32 angles)."""
    sv = screened_interaction(V0, QS)
    mu = 0.12
    zero = enh_t_conductivity(valleys(16, 6), mu, TAU, sv).sigma[0, 1, 1]
    res = [enh_t_conductivity(valleys(32, 12), mu, TAU, sv, temperature=t / KB)
           for t in (2e-3, 4e-3)]
    d = [r.sigma[0, 1, 1] - zero for r in res]
    w = min(mu - DELTA, HV * QS)
    noise = 2 * max(r.convergence for r in res) * abs(zero) / abs(d[0])
    assert abs(d[1] / d[0] - 4) < 4 * (3 * (np.pi * 2e-3 / w) ** 2 + noise)
    assert abs(d[0] / zero) > 1e-2          # the temperature effect is resolved


@pytest.mark.slow
def test_screened_finite_T_pt_and_intervalley_approach_zero_T():
    sv = screened_interaction(V0, QS)
    for mu, run, lo, hi in (
            (0.10, lambda fl, t: enh_pt_conductivity(fl, 0.10, sv, temperature=t / KB),
             pt(16, 6), pt(32, 12)),
            (0.12, lambda fl, t: enh_t_conductivity(fl, 0.12, TAU, sv, "inter", temperature=t / KB),
             valleys(16, 6), valleys(32, 12))):
        comp = (0, 1, 0) if isinstance(lo, Flavour) else (0, 1, 1)
        zero = run(lo, 0.0).sigma[comp]
        res = [run(hi, t) for t in (2e-3, 4e-3)]
        d = [r.sigma[comp] - zero for r in res]
        w = min(mu - DELTA, HV * QS)
        noise = 2 * max(r.convergence for r in res) * abs(zero) / abs(d[0])
        assert abs(d[1] / d[0] - 4) < 4 * (3 * (np.pi * 2e-3 / w) ** 2 + noise)


def test_screened_intervalley_differs_from_contact_zero():
    """With a contact V the intervalley ENH^(T) of H_T vanishes (odd valley
    factors); with V(|k - k'|) the mirrored valley sees a different kernel,
    so it does not, and it tends to 0 as q_s -> infinity (relative to the
    intravalley value, error ~ k_F/q_s)."""
    tv = valleys(16, 6)
    mu = 0.12
    intra = enh_t_conductivity(tv, mu, TAU, V0).sigma[0, 1, 1]
    finite = enh_t_conductivity(tv, mu, TAU, screened_interaction(V0, QS),
                                "inter").sigma[0, 1, 1]
    wide = enh_t_conductivity(tv, mu, TAU, screened_interaction(V0, 1e3),
                              "inter").sigma[0, 1, 1]
    kf = np.sqrt(mu ** 2 - DELTA ** 2) / HV
    assert abs(finite / intra) > 0.1
    assert abs(wide / intra) < 4 * kf / 1e3


def test_caches_follow_the_hamiltonian():
    """The mu-independent caches (lattice grid geometry, ray grids) must not
    serve a Flavour whose Hamiltonian was replaced: the result equals a
    fresh computation."""
    from kwant_noneq.systems.dirac2d import h_pt_flavour
    p = dict(P, alpha=0.1 * HV)
    fl = h_pt_flavour(p, lattice=True, n_grid=32, n_angles=16, n_radial=8)
    enh_pt_conductivity(fl, 0.15, V0)                      # fills the caches
    p2 = dict(p, delta=0.06)
    fresh = h_pt_flavour(p2, lattice=True, n_grid=32, n_angles=16, n_radial=8)
    fl.hamiltonian = fresh.hamiltonian
    np.testing.assert_allclose(enh_pt_conductivity(fl, 0.15, V0).sigma,
                               enh_pt_conductivity(fresh, 0.15, V0).sigma,
                               rtol=1e-12, atol=0)
