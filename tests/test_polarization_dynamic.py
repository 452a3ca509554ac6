"""Dynamic polarisation Pi(q, omega) of a massive Dirac cone (T = 0 and T > 0)."""
import numpy as np
import pytest

from kwant_noneq.analytic_drag import (MassiveDiracLayer, kramers_kronig_real, pi_vacuum,
                                       pi_vacuum_static)
from kwant_noneq.drag import drag_conductivity

A = 0.41


@pytest.mark.parametrize("M", [0.0, 0.02])
def test_vacuum_static_limit_and_conjugation(M):
    q = np.array([0.05, 0.3, 1.2])
    assert np.allclose(pi_vacuum(q, 0.0, A, M).real, pi_vacuum_static(q, A, M), rtol=1e-13)
    w = 0.7 * A * q
    assert np.allclose(pi_vacuum(q, -w, A, M), np.conj(pi_vacuum(q, w, A, M)))


def test_vacuum_interband_absorption():
    # Im Pi = q^2 (kappa^2 + 4M^2)/(16 kappa^3) above the pair threshold, 0 below.
    M, q = 0.02, 0.1
    kappa = np.array([0.5, 1.5, 3.0]) * 2 * M
    w = np.sqrt(A ** 2 * q ** 2 + kappa ** 2)
    im = pi_vacuum(q, w, A, M).imag
    expect = np.where(kappa > 2 * M, q ** 2 * (kappa ** 2 + 4 * M ** 2) / (16 * kappa ** 3), 0)
    assert np.allclose(im, expect, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("M", [0.0, 0.01])
def test_omega_to_zero_is_the_static_closed_form(M):
    layer = MassiveDiracLayer.from_density(0.01, A, M)
    q = np.array([0.1, 1.0, 1.99, 2.01, 3.0]) * layer.fermi_wavevector
    assert np.allclose(layer.pi_T0(q, 0.0).real, layer.pi_static_T0(q), rtol=1e-12)
    assert np.all(layer.pi_T0(q, 0.0).imag == 0)
    # finite T against Maldague's static formula (1600 nodes: its own error ~1e-9 at 2 k_F)
    assert np.allclose(layer.pi_dynamic(q, 1e-9, 50.0).real,
                       layer.pi_static(q, 50.0, n_mu=1600), rtol=1e-7)


def test_imaginary_part_equals_existing_response():
    # Two independent routes: angle done by the delta function (response)
    # and by the residue of the angular integral (pi_dynamic).
    layer = MassiveDiracLayer.from_density(0.01, A, 0.01)
    q = np.array([0.1, 1.0, 1.99, 2.5]) * layer.fermi_wavevector
    for w in (0.3 * A * q, 1e-3 + 0 * q):
        ref = layer.response(q, w, 5.0, n_k=800)[0]
        assert np.allclose(layer.pi_dynamic(q, w, 5.0).imag, ref, rtol=1e-7)


def test_re_pi_is_the_dos_inside_the_continuum():
    # Stern-like identity: Re Pi(q, omega; T=0) = D(mu) for q < 2k_F and omega
    # well inside the intraband continuum, so dynamic screening changes the
    # drag only through the edges of this region.
    layer = MassiveDiracLayer.from_density(0.01, A, 0.01)
    v = A ** 2 * layer.fermi_wavevector / layer.mu
    q = np.array([0.03, 0.1, 0.3])
    for r in (0.01, 0.1, 0.5):
        assert np.allclose(layer.pi_T0(q, r * v * q).real, layer.dos(layer.mu), rtol=1e-12)


@pytest.mark.parametrize("M", [0.0, 0.03])
def test_f_sum_plasmon_limit(M):
    # v_F q << omega << mu: Re Pi -> -(A^2 k_F^2/(4 pi mu)) (q/omega)^2
    # [1 + (3/4)(v_F q/omega)^2]; interband correction O((omega/mu)^2).
    layer = MassiveDiracLayer(A, M, 0.15)
    kf, mu = layer.fermi_wavevector, layer.mu
    v = A ** 2 * kf / mu
    q, w = 1e-5 * kf, 1e-3 * mu
    drude = A ** 2 * kf ** 2 / (4 * np.pi * mu) * (q / w) ** 2 * (1 + 0.75 * (v * q / w) ** 2)
    assert -layer.pi_T0(q, w).real == pytest.approx(drude, rel=(w / mu) ** 2)
    # Finite T: Sommerfeld correction of the Drude weight, d^2/dmu^2 of
    # (mu^2 - M^2)/mu: relative -(pi^2/3)(k_BT)^2 M^2/(mu^2 (mu^2 - M^2)).
    kT = 8.617333262e-5 * 5.0
    thermal = 1 - np.pi ** 2 / 3 * kT ** 2 * M ** 2 / (mu ** 2 * (mu ** 2 - M ** 2))
    assert -layer.pi_dynamic(q, w, 5.0).real == pytest.approx(drude * thermal, rel=(w / mu) ** 2)


@pytest.mark.parametrize("qx, ratio", [(0.5, 0.3), (1.5, 0.5), (0.2, 1.3)])
def test_kramers_kronig(qx, ratio):
    # 1.3 A q at q = 0.2 k_F: above the light cone, below the pair threshold
    # (the plasmon region).  Error: quadrature of the rounded intraband edge.
    layer = MassiveDiracLayer(A, 0.03, 0.15)
    q = qx * layer.fermi_wavevector
    w0 = ratio * A * q
    assert kramers_kronig_real(layer, q, w0, 50.0) == pytest.approx(
        layer.pi_dynamic(q, w0, 50.0).real, rel=1e-7)


def test_dynamic_screening_changes_drag_little():
    a = MassiveDiracLayer.from_density(0.01, A, 0.01)
    dyn = drag_conductivity(a, a, 10.0, 20.0, 5.0)
    sta = drag_conductivity(a, a, 10.0, 20.0, 5.0, screening="static")
    # bound (k_BT/E_F)^2 ~ 1e-5; measured 4e-8 (see validation record)
    assert dyn.rho_xx == pytest.approx(sta.rho_xx, rel=1e-5)
    assert dyn.rho_yx == pytest.approx(sta.rho_yx, rel=1e-5)
    with pytest.raises(ValueError):
        drag_conductivity(a, a, 10.0, 20.0, 5.0, screening="dynamical")


@pytest.mark.parametrize("region", ["intraband", "interband"])
def test_lattice_im_pi_triangle_method(region):
    from kwant_noneq.polarization import dynamic_polarization_imag
    from kwant_noneq.systems.ti_film import continuum_hamiltonian, layer_projectors
    M, mu = 0.03, 0.15
    layer = MassiveDiracLayer(A, M, mu)
    kf = layer.fermi_wavevector
    q = 0.5 * kf
    w = 0.3 * A * q if region == "intraband" else 2.2 * mu
    exact = layer.pi_T0(q, w).imag
    H, (pa, _) = continuum_hamiltonian(A, M, 0.02), layer_projectors()
    K = 1.3 * max(kf + q, w / A)
    coarse, fine = (dynamic_polarization_imag(H, [q, 0], w, mu, [-q / 2, 0], K, n, vertex=pa)
                    for n in (100, 200))
    # a-posteriori: for an error ~h^p, p >= 1.5, |fine - exact| < |fine - coarse|
    assert abs(fine - exact) < abs(fine - coarse)
    assert fine == pytest.approx(exact, rel=1e-3)      # h/k_F = 0.02-0.03
    with pytest.raises(ValueError):    # box cuts the resonant region
        dynamic_polarization_imag(H, [q, 0], w, mu, [-q / 2, 0], (0.45 if region == "intraband" else 0.3) * K, 50,
                                   vertex=pa)
