"""Coulomb drag and anomalous Hall drag (Eq. 9, 10) of a magnetic TI film."""
import math

import numpy as np
import pytest

from kwant_noneq.constants import COULOMB, HBAR, HBAR_OVER_E2_OHM, KB
from kwant_noneq.analytic_drag import (MassiveDiracLayer, drag_resistivity_large_d,
                                       low_temperature_drag_coefficients)
from kwant_noneq.drag import (coulomb_potential, drag_conductivity, drag_convergence,
                              interlayer_potential)
from systems.ti_film import TIFilm, per_cm2

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
