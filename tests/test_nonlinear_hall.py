"""Nonlinear Hall responses vs first-order closed forms, symmetries, limits."""
import numpy as np
import pytest

from kwant_noneq import analytic_nonlinear_hall as an
from kwant_noneq.constants import E2_OVER_HBAR, HBAR, KB
from kwant_noneq.kintegrate import ContinuumPolar
from kwant_noneq.nonlinear_hall import (Flavour, bcd_conductivity,
                                        enh_pt_conductivity,
                                        enh_t_conductivity, exchange_field,
                                        inh_conductivity, screened_interaction)
from kwant_noneq.systems.dirac2d import (h_pt_continuum, h_t_continuum, paper_parameters,
                             spin_operators_pt, spin_operators_t)

P = paper_parameters()
HV, DELTA, TAU, V0 = P["hbar_vx"], P["delta"], P["tau"], P["V0"]
W_SMALL = 1e-3          # alpha / (hbar v): first-order error ~ (w mu/P_F)^2
INTEG = ContinuumPolar(k_max=3.0, n_angles=32, n_radial=24, k_cut=1.5)


def model(w):
    return dict(delta=DELTA, hbar_vx=HV, hbar_vy=HV, alpha=w * HV)


def valleys(w):
    return [Flavour(h_t_continuum(xi, **model(w)), spin_operators_t(), INTEG)
            for xi in (1, -1)]


def pt(w):
    return Flavour(h_pt_continuum(**model(w)), spin_operators_pt(), INTEG)


def first_order_tol(mu):
    """Responses are odd in alpha, so the first-order form is off by a
    relative O((alpha k_F / (mu - ...))^2) <~ 10 (w mu / P_F)^2; the
    quadrature error (convergence field) is ~1e-9."""
    return 10 * (W_SMALL * mu) ** 2 / (mu ** 2 - DELTA ** 2) + 1e-8


@pytest.mark.parametrize("mu", [0.07, 0.2])
def test_closed_forms_first_order(mu):
    a = W_SMALL * HV
    cases = [
        (bcd_conductivity(valleys(W_SMALL), mu, TAU), an.bcd_t(mu, DELTA, HV, a, TAU)),
        (enh_t_conductivity(valleys(W_SMALL), mu, TAU, V0),
         an.enh_t(mu, DELTA, HV, a, TAU, V0)),
        (inh_conductivity(pt(W_SMALL), mu), an.inh_pt(mu, DELTA, HV, a)),
        (enh_pt_conductivity(pt(W_SMALL), mu, V0), an.enh_pt(mu, DELTA, HV, a, V0)),
    ]
    for res, ref in cases:
        scale = np.abs(ref).max()
        assert res.convergence < 1e-7, res.response
        np.testing.assert_allclose(res.sigma, ref, rtol=0,
                                   atol=first_order_tol(mu) * scale,
                                   err_msg=res.response)


def test_antisymmetry_and_symmetry_zeros():
    mu, w = 0.12, 0.1
    t_res = [bcd_conductivity(valleys(w), mu, TAU),
             enh_t_conductivity(valleys(w), mu, TAU, V0),
             inh_conductivity(valleys(w), mu),
             enh_pt_conductivity(valleys(w), mu, V0, valley_exchange="inter")]
    pt_res = [inh_conductivity(pt(w), mu), enh_pt_conductivity(pt(w), mu, V0),
              bcd_conductivity(pt(w), mu, TAU),
              enh_t_conductivity(pt(w), mu, TAU, V0)]
    for r in t_res + pt_res:
        np.testing.assert_allclose(r.sigma, -np.swapaxes(r.sigma, 0, 1),
                                   atol=1e-14 * np.abs(r.sigma).max() + 1e-30)
    big_t = np.abs(t_res[0].sigma).max()
    big_pt = np.abs(pt_res[0].sigma).max()
    # H_T: tilt along y -> only sigma^{c a y}; T symmetry kills INH and
    # ENH^(PT) (valleys coupled); H_PT: only sigma^{c a x}; PT kills BCD and
    # ENH^(T) (Kramers pairs carry no spin, no total Berry curvature).
    assert np.abs(t_res[0].sigma[..., 0]).max() < 1e-12 * big_t
    assert np.abs(t_res[1].sigma[..., 0]).max() < 1e-12 * big_t
    assert np.abs(t_res[2].sigma).max() < 1e-10 * big_pt
    assert np.abs(t_res[3].sigma).max() < 1e-10 * big_pt
    assert np.abs(pt_res[0].sigma[..., 1]).max() < 1e-12 * big_pt
    assert np.abs(pt_res[1].sigma[..., 1]).max() < 1e-12 * big_pt
    assert np.abs(pt_res[2].sigma).max() < 1e-10 * big_t
    assert np.abs(pt_res[3].sigma).max() < 1e-10 * big_t


def test_intervalley_exchange_vanishes_for_h_t():
    r = enh_t_conductivity(valleys(0.1), 0.12, TAU, V0, valley_exchange="inter")
    intra = enh_t_conductivity(valleys(0.1), 0.12, TAU, V0)
    assert np.abs(r.sigma).max() < 1e-10 * np.abs(intra.sigma).max()


def test_screened_interaction_limits():
    """V(q) = V0 q_s/(q + q_s): for q_s >> 2 k_F it is the contact V0 up to a
    relative 2 k_F / q_s; for finite q_s it reduces |sigma|."""
    mu, w = 0.12, 0.1
    kf = np.sqrt(mu ** 2 - DELTA ** 2) / HV
    contact = enh_t_conductivity(valleys(w), mu, TAU, V0).sigma[0, 1, 1]
    q_s = 1e4
    wide = enh_t_conductivity(valleys(w), mu, TAU,
                              screened_interaction(V0, q_s)).sigma[0, 1, 1]
    assert abs(wide / contact - 1) < 2 * 2 * kf / q_s
    narrow = enh_t_conductivity(valleys(w), mu, TAU,
                                screened_interaction(V0, 0.2)).sigma[0, 1, 1]
    assert 0 < narrow / contact < 1
    c_pt = enh_pt_conductivity(pt(w), mu, V0).sigma[0, 1, 0]
    wide_pt = enh_pt_conductivity(pt(w), mu,
                                  screened_interaction(V0, 1e4)).sigma[0, 1, 0]
    # the sea extends to k ~ k_cut: relative error <~ 2 k_cut / q_s
    assert abs(wide_pt / c_pt - 1) < 2 * 2 * INTEG.k_cut / 1e4 + 1e-6


def test_scalings_in_tau_and_interaction():
    mu, w = 0.12, 0.1
    r1 = enh_t_conductivity(valleys(w), mu, 0.5, V0).sigma
    r2 = enh_t_conductivity(valleys(w), mu, 1.0, 2 * V0).sigma
    np.testing.assert_allclose(r2, 4 * r1, rtol=1e-12)
    b1 = bcd_conductivity(valleys(w), mu, 0.5).sigma
    np.testing.assert_allclose(bcd_conductivity(valleys(w), mu, 1.5).sigma,
                               3 * b1, rtol=1e-12)


def test_finite_temperature_against_closed_form_factors():
    """At T > 0 the contact-interaction sigma is a product of two thermally
    averaged factors (each is linear in f).  Compare with the product of
    the thermally averaged closed-form factors (first order in alpha, same
    trapezoid rule, step kT/2), at kT = 3 meV where the T dependence is ~10 %."""
    from kwant_noneq.kintegrate import thermal_average
    mu, kT = 0.12, 3e-3
    a = W_SMALL * HV
    AT = [thermal_average(lambda m: np.concatenate(
        an.exchange_factors_t(m, DELTA, HV, a, xi)), mu, temperature=kT / KB,
        step=0.5) for xi in (1, -1)]
    ref_t = sum(x[:3] @ x[3:] for x in AT) * V0 * E2_OVER_HBAR * TAU / HBAR
    num_t = enh_t_conductivity(valleys(W_SMALL), mu, TAU, V0, temperature=kT / KB,
                               thermal_step=1.0)
    assert num_t.convergence < 1e-3
    assert abs(num_t.sigma[0, 1, 1] / ref_t - 1) < 1e-4
    zero_t = an.enh_t(mu, DELTA, HV, a, TAU, V0)[0, 1, 1]
    assert abs(ref_t / zero_t - 1) > 1e-2       # the test is not trivial

    APT = thermal_average(lambda m: np.concatenate(
        an.exchange_factors_pt(m, DELTA, HV, a)), mu, temperature=kT / KB, step=0.5)
    ref_pt = APT[:3] @ APT[3:] * V0 * E2_OVER_HBAR
    num_pt = enh_pt_conductivity(pt(W_SMALL), mu, V0, temperature=kT / KB,
                                 thermal_step=1.0)
    assert num_pt.convergence < 1e-3
    assert abs(num_pt.sigma[0, 1, 0] / ref_pt - 1) < 1e-4


def test_exchange_field_contact_matches_factors():
    """U^eta = e E^b V0 [(tau/hbar) C^{eta b} + B^{eta b}] (Eq. 3')."""
    mu, w = 0.15, W_SMALL
    a = w * HV
    u = exchange_field(valleys(w), mu, TAU, V0, k=np.zeros((1, 2)))
    _, C = an.exchange_factors_t(mu, DELTA, HV, a, xi=1)
    np.testing.assert_allclose(u.tau_part[0, :, 1], V0 * TAU / HBAR * C,
                               rtol=1e-5, atol=1e-9 * np.abs(C).max() * V0 * TAU / HBAR)
    up = exchange_field(pt(w), mu, TAU, V0, k=np.zeros((1, 2)))
    _, B = an.exchange_factors_pt(mu, DELTA, HV, a)
    np.testing.assert_allclose(up.intrinsic_part[0, :, 0], V0 * B,
                               rtol=1e-5, atol=1e-6 * np.abs(B).max() * V0)
    assert np.abs(up.tau_part).max() == 0 or np.abs(up.tau_part).max() < 1e-12


def test_quadratures_known_integrals():
    """DOS mu/(2 pi hv^2) per valley; pocket density k_F^2/(4 pi); the full
    valence-band integral of Delta hv/E^3 is 1/(2 pi hv) (mass independent)."""
    mu = 0.1
    H = h_t_continuum(1, **model(0.0))
    fs = INTEG.fermi_surface(H, mu)
    assert abs(fs.weight.sum() / (mu / (2 * np.pi * HV ** 2)) - 1) < 1e-12
    sea = INTEG.fermi_sea(H, mu)
    cond = sea.band == 1
    kf2 = (mu ** 2 - DELTA ** 2) / HV ** 2
    assert abs(sea.weight[cond].sum() / (kf2 / (4 * np.pi)) - 1) < 1e-12
    E = np.sqrt(HV ** 2 * (sea.k ** 2).sum(-1) + DELTA ** 2)
    val = sea.band == 0
    integral = (sea.weight[val] * DELTA * HV / E[val] ** 3).sum()
    assert abs(integral * 2 * np.pi * HV - 1) < 1e-8


def test_lattice_pockets_match_continuum_pocket():
    """Lattice H_T valley: the Fermi-sea pocket density and DOS match the
    continuum up to (k_F a)^2 lattice corrections."""
    from kwant_noneq.bloch import bloch_hamiltonian
    from kwant_noneq.kintegrate import LatticePockets
    from kwant_noneq.systems.dirac2d import h_t_builder
    mu, a = 0.1, 0.1
    H = bloch_hamiltonian(h_t_builder(1, a=a), model(0.1))
    lp = LatticePockets(2 * np.pi / a * np.eye(2), [(0, 0)], 8.0, n_grid=64,
                        n_angles=32, n_radial=12)
    Hc = h_t_continuum(1, **model(0.1))
    kf2 = (mu ** 2 - DELTA ** 2) / HV ** 2
    tol = 3 * kf2 * a ** 2
    dos_l = lp.fermi_surface(H, mu).weight.sum()
    dos_c = INTEG.fermi_surface(Hc, mu).weight.sum()
    assert abs(dos_l / dos_c - 1) < tol
    sea = lp.fermi_sea(H, mu)
    n_l = sea.weight[sea.band == 1].sum()
    n_c = INTEG.fermi_sea(Hc, mu)
    n_c = n_c.weight[n_c.band == 1].sum()
    assert abs(n_l / n_c - 1) < tol
    # The filled valence band covers the whole Brillouin zone: 1 / a^2 states.
    # The grid (spacing 1/nm) resolves the window's transition (width 4/nm)
    # to ~2e-6 at n_grid = 64 (2e-7 at 128, 2e-9 at 256): bound 1e-5.
    assert abs(sea.weight[sea.band == 0].sum() * a ** 2 - 1) < 1e-5
