"""Tests of kwant_noneq.bloch: builders vs callables vs known dispersions."""
import numpy as np
import pytest

import kwant

from kwant_noneq.bloch import (bands, bloch_hamiltonian, onsite_operator,
                               velocity_operators)
from kwant_noneq.pauli import SIGMA_X as SX, SIGMA_Y as SY, SIGMA_Z as SZ


def qwz_builder(a=0.5):
    """Qi-Wu-Zhang model on a square lattice of constant a (nm)."""
    lat = kwant.lattice.square(a, norbs=2)
    syst = kwant.Builder(kwant.TranslationalSymmetry((a, 0), (0, a)))
    syst[lat(0, 0)] = lambda site, m, t: (m + 2 * t) * SZ
    syst[kwant.builder.HoppingKind((1, 0), lat)] = \
        lambda s1, s2, m, t: -t / 2 * SZ + 1j * t / 2 * SX
    syst[kwant.builder.HoppingKind((0, 1), lat)] = \
        lambda s1, s2, m, t: -t / 2 * SZ + 1j * t / 2 * SY
    return syst


def qwz_callable(k, a=0.5, m=-0.3, t=1.0):
    """Same model written by hand: H = sin-terms + mass term."""
    kx, ky = k[..., 0] * a, k[..., 1] * a
    d = (m + 2 * t - t * np.cos(kx) - t * np.cos(ky))
    h = (d[..., None, None] * SZ
         + (t * np.sin(kx))[..., None, None] * SX
         + (t * np.sin(ky))[..., None, None] * SY)
    return h


def test_builder_dispersion_matches_known_form():
    params = dict(m=-0.3, t=1.0)
    H = bloch_hamiltonian(qwz_builder(), params)
    rng = np.random.default_rng(1)
    k = rng.uniform(-7, 7, size=(50, 2))
    e, _ = bands(H, k)
    kx, ky = k[:, 0] * 0.5, k[:, 1] * 0.5
    d = np.sqrt(np.sin(kx) ** 2 + np.sin(ky) ** 2
                + (-0.3 + 2 - np.cos(kx) - np.cos(ky)) ** 2)
    np.testing.assert_allclose(e, np.stack([-d, d], -1), atol=1e-12)


def test_builder_equals_wraparound_and_callable():
    params = dict(m=-0.3, t=1.0)
    builder = qwz_builder()
    H = bloch_hamiltonian(builder, params)
    wrapped = kwant.wraparound.wraparound(builder).finalized()
    rng = np.random.default_rng(2)
    for k in rng.uniform(-5, 5, size=(5, 2)):
        ref = wrapped.hamiltonian_submatrix(
            params=dict(params, k_x=k[0] * 0.5, k_y=k[1] * 0.5))
        np.testing.assert_allclose(H(k), ref, atol=1e-13)
    # Convention exp(+i k.R) with <0|H|R>: HoppingKind((1, 0)) stores
    # T = <R=1|H|0> = -t/2 sz + i t/2 sx, so H(k) = T^+ e^{ik} + T e^{-ik}
    # = -t cos(k) sz + t sin(k) sx, the hand-written form.
    k = rng.uniform(-5, 5, size=(7, 3, 2))
    np.testing.assert_allclose(H(k), qwz_callable(k), atol=1e-13)


def test_velocity_builder_vs_finite_difference_callable():
    H = bloch_hamiltonian(qwz_builder(), dict(m=-0.3, t=1.0))
    Hc = bloch_hamiltonian(qwz_callable, dim=2)
    k = np.random.default_rng(3).uniform(-5, 5, size=(4, 2))
    v_exact = velocity_operators(H, k)
    v_fd = velocity_operators(Hc, k)
    assert v_exact.shape == (4, 2, 2, 2)
    # 4th-order FD with h = 1e-3/nm: error ~ h^4 a^5 t ~ 1e-13 eV nm.
    np.testing.assert_allclose(v_fd, v_exact, atol=1e-9)
    # Analytic: d/dkx of t sin(kx a) sx - t cos(kx a) sz, t = 1, a = 0.5.
    ref = 0.5 * np.cos(k[:, 0] * 0.5)[:, None, None] * SX \
        + 0.5 * np.sin(k[:, 0] * 0.5)[:, None, None] * SZ
    np.testing.assert_allclose(v_exact[:, 0], ref, atol=1e-13)


def test_second_neighbour_and_several_sites():
    """Honeycomb with NNN hoppings: 2 sites, hopping range 2 cells."""
    lat = kwant.lattice.honeycomb(1.0, norbs=1)
    A, B = lat.sublattices
    syst = kwant.Builder(kwant.TranslationalSymmetry(*lat.prim_vecs))
    syst[A(0, 0)] = 0.1
    syst[B(0, 0)] = -0.1
    syst[lat.neighbors(1)] = -1.0
    syst[lat.neighbors(2)] = 0.05
    H = bloch_hamiltonian(syst)
    wrapped = kwant.wraparound.wraparound(syst).finalized()
    periods = np.array(lat.prim_vecs)
    rng = np.random.default_rng(4)
    for k in rng.uniform(-4, 4, size=(5, 2)):
        kd = periods @ k
        ref = wrapped.hamiltonian_submatrix(params=dict(k_x=kd[0], k_y=kd[1]))
        np.testing.assert_allclose(H(k), ref, atol=1e-13)
    assert H.norbs == 2
    op = onsite_operator(H, lambda site: 1.0 if site.family is A else -1.0)
    np.testing.assert_allclose(np.diag(op).real, [
        1.0 if s.family is A else -1.0 for s in H.sites])


def test_ribbon_one_period():
    lat = kwant.lattice.square(1.0, norbs=1)
    syst = kwant.Builder(kwant.TranslationalSymmetry((2.0, 0)))
    syst[(lat(x, y) for x in range(2) for y in range(3))] = 0.0
    syst[lat.neighbors()] = -1.0
    H = bloch_hamiltonian(syst)
    assert H.dim == 1
    e, _ = bands(H, np.array([[0.0]]))
    # Bands at k=0 of a 3-wide ribbon folded by 2: -2cos(q) + transverse.
    trans = -2 * np.cos(np.pi * np.arange(1, 4) / 4)
    ref = np.sort(np.concatenate([trans - 2, trans + 2]))
    np.testing.assert_allclose(e[0], ref, atol=1e-12)


def test_bad_input():
    with pytest.raises(TypeError):
        bloch_hamiltonian(3.0)
    H = bloch_hamiltonian(qwz_callable, dim=2)
    with pytest.raises(ValueError):
        H(np.zeros(3))
