"""Coulomb drag and anomalous Hall drag (Eq. 9, 10) of a magnetic TI film."""
import math

import numpy as np
import pytest

from kwant_noneq.constants import COULOMB, HBAR, HBAR_OVER_E2_OHM, KB
from kwant_noneq.analytic_drag import (MassiveDiracLayer, drag_resistivity_large_d,
                                       low_temperature_drag_coefficients)
from kwant_noneq.coulomb import coulomb_potential, interlayer_potential
from kwant_noneq.drag import drag_conductivity, drag_convergence
from kwant_noneq.systems.ti_film import TIFilm, per_cm2

A, N = 0.41, per_cm2(1e12)


def layer(M=0.01, n=N, tau=0.1):
    return MassiveDiracLayer.from_density(n, A, M, tau)


def test_interlayer_potential_is_the_rpa_matrix_inverse():
    q, d, eps = np.array([0.05, 0.3]), 10.0, 20.0
    pa, pp = 0.1 + 0.02j, 0.2 + 0.01j
    v = coulomb_potential(q, eps)
    for i, qi in enumerate(q):
        bare = v[i] * np.array([[1, np.exp(-qi * d)], [np.exp(-qi * d), 1]])
        full = np.linalg.solve(np.eye(2) + bare @ np.diag([pa, pp]), bare)
        assert interlayer_potential(qi, pa, pp, d, eps) == pytest.approx(full[0, 1], rel=1e-12)
    assert np.allclose(interlayer_potential(q, 0, 0, d, eps), v * np.exp(-q * d))
    with pytest.raises(ValueError):
        interlayer_potential(q, pa, pp, -1.0, eps)


def test_signs_and_symmetries():
    d, eps, T = 10.0, 20.0, 5.0
    base = drag_conductivity(layer(), layer(), d, eps, T)
    assert base.sigma_xx > 0                          # like carriers drag along
    flipped = drag_conductivity(layer(), layer(M=-0.01), d, eps, T)
    assert flipped.sigma_yx == pytest.approx(-base.sigma_yx, rel=1e-12)   # odd in M_p
    assert drag_conductivity(layer(), layer(M=0.0), d, eps, T).sigma_yx == 0
    # Only M_a^2 enters: the active layer's Berry curvature does not drag.
    other = drag_conductivity(layer(M=-0.01), layer(), d, eps, T)
    assert other.sigma_yx == pytest.approx(base.sigma_yx, rel=1e-12)
    holes = MassiveDiracLayer(A, 0.01, -layer().mu, 0.1)
    assert drag_conductivity(layer(), holes, d, eps, T).sigma_xx == pytest.approx(
        -base.sigma_xx, rel=1e-10)                    # particle-hole mirror
    assert base.rho_xx_ohm == pytest.approx(base.rho_xx * HBAR_OVER_E2_OHM)


def test_quadrature_converged():
    _, _, rxx, ryx = drag_convergence(layer(), layer(), 10.0, 20.0, 5.0)
    assert rxx < 1e-4 and ryx < 1e-4


def test_exact_T2_limit_and_hall_ratio():
    a, p = layer(), layer()
    cxx, cyx = low_temperature_drag_coefficients(a, p, 10.0, 20.0)
    r = drag_conductivity(a, p, 10.0, 20.0, 0.5)
    # corrections ~ (T/T_d)^2 ln(T_d/T), T_d ~ 470 K: 4e-4 measured at 0.5 K
    assert r.rho_xx / 0.25 == pytest.approx(cxx, rel=1e-3)
    assert r.rho_yx / 0.25 == pytest.approx(cyx, rel=1e-3)
    # Side-jump Hall angle of the dragged passive carriers.
    assert r.rho_yx / r.rho_xx == pytest.approx(-HBAR * p.M / (2 * p.tau * p.mu ** 2), rel=1e-3)


def test_large_separation_law():
    a, p = layer(), layer()
    kf, D = a.fermi_wavevector, a.dos(a.mu)
    eps, d, T = 1.0, 200.0, 0.05
    qtf = 2 * np.pi * COULOMB * D / eps
    r = drag_conductivity(a, p, d, eps, T)
    asym = drag_resistivity_large_d(T, d, eps, kf, kf, A, a.mu, p.mu, qtf, qtf)
    assert r.rho_xx == pytest.approx(asym, rel=3e-3)   # residual (q_TF d)^-2 ~ 6e-4


def test_undoped_active_layer_is_activated():
    p, T = layer(), 5.0
    s = [drag_conductivity(MassiveDiracLayer(A, 0.03, m, 0.1), p, 10, 20, T).sigma_yx
         for m in (0.018, 0.02)]
    assert KB * T * math.log(s[1] / s[0]) / 0.002 == pytest.approx(1.0, abs=1e-3)
    assert math.isnan(drag_conductivity(MassiveDiracLayer(A, 0.03, 0.0, 0.1), p, 10, 20, T).rho_yx)


def test_film_builder_and_errors():
    film = TIFilm()
    assert film.active.fermi_wavevector == pytest.approx(math.sqrt(4 * math.pi * 0.01))
    assert film.hamiltonian()(np.zeros(2)).shape == (4, 4)
    with pytest.raises(ValueError):
        TIFilm(d=0)
    with pytest.raises(ValueError):
        MassiveDiracLayer(A=-1, M=0, mu=0.1)
    with pytest.raises(ValueError):
        drag_conductivity(layer(), layer(), 10, 20, 0.0)


def test_full_tensor_inversion_vs_leading_order():
    from kwant_noneq.drag import conductivity_tensor, drag_resistivity
    a, p = layer(), layer()
    none = drag_conductivity(a, p, 10.0, 20.0, 5.0)
    drag2 = none.sigma_xx ** 2 / (a.drude_conductivity() * p.drude_conductivity())
    # Without layer Hall effect: only O(drag^2) corrections (expansion parameter ~1e-13).
    assert none.rho_xx == pytest.approx(none.rho_xx_leading, rel=10 * drag2)
    assert none.rho_yx == pytest.approx(none.rho_yx_leading, rel=10 * drag2 * none.sigma_xx / abs(none.sigma_yx))
    full = drag_conductivity(a, p, 10.0, 20.0, 5.0, anomalous_hall="intrinsic")
    ta, tp = full.hall_angles
    assert ta == pytest.approx(a.intrinsic_hall_conductivity() / a.drude_conductivity())
    # Hall-angle-exact product rho_p D rho_a: equal up to O(drag^2).
    norm = a.drude_conductivity() * p.drude_conductivity() * (1 + ta ** 2) * (1 + tp ** 2)
    yx = (full.sigma_yx - full.sigma_xx * (ta + tp) - ta * tp * full.sigma_yx) / norm
    xx = (full.sigma_xx + full.sigma_yx * (ta + tp) - ta * tp * full.sigma_xx) / norm
    assert full.rho_yx == pytest.approx(yx, rel=10 * drag2 * full.sigma_xx / abs(full.sigma_yx))
    assert full.rho_xx == pytest.approx(xx, rel=10 * drag2)
    # Sign conventions of the blocks: a pure Hall layer rotates the drag field.
    s = conductivity_tensor(1.0, 1.0, 0.1, 0.0, 1e-6, 0.0)
    assert drag_resistivity(s)[1, 0] == pytest.approx(-1e-6 * 0.1 / (1 + 0.01), rel=1e-9)
    with pytest.raises(ValueError):
        drag_conductivity(a, p, 10.0, 20.0, 5.0, anomalous_hall="extrinsic")
    with pytest.raises(TypeError):
        drag_conductivity(a, p, 10.0, 20.0, 5.0, anomalous_hall=3.0)


def test_intrinsic_hall_conductivity():
    # M/(4 pi mu) when doped, e^2/2h = 1/(4 pi) in the gap; check by direct k sum.
    from scipy.integrate import quad
    l, M = MassiveDiracLayer(A, 0.02, 0.1), 0.02
    om = lambda k: A ** 2 * M / (2 * (A ** 2 * k ** 2 + M ** 2) ** 1.5)   # valence; conduction -om
    kf = l.fermi_wavevector
    dens = quad(lambda k: k * om(k), kf, np.inf, epsabs=0, epsrel=1e-12)[0] / (2 * np.pi)
    assert l.intrinsic_hall_conductivity() == pytest.approx(dens, rel=1e-5)
    assert MassiveDiracLayer(A, -0.02, 0.0).intrinsic_hall_conductivity() == pytest.approx(-1 / (4 * np.pi))
