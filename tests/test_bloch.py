"""Tests of kwant_noneq.bloch: builders vs callables vs known dispersions."""
import numpy as np
import pytest

import kwant

from kwant_noneq.bloch import (bands, bloch_hamiltonian, bracketed_roots,
                               onsite_operator, velocity_operators)
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
    assert H.size == 2 and H.norbs == 1        # two sites of one orbital
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


def ribbon_builder(a=0.5, width=3, t=1.0):
    """Square-lattice ribbon (hopping t [eV], constant a [nm]) with a
    staggered onsite term, so that no two bands are degenerate."""
    lat = kwant.lattice.square(a, norbs=1)
    syst = kwant.Builder(kwant.TranslationalSymmetry((a, 0)))
    for y in range(width):
        syst[lat(0, y)] = 0.3 * y
    syst[lat.neighbors()] = -t
    return syst


def test_lead_builder_and_kwant_bands_agree():
    """One ribbon three ways: its finalized lead (k per cell), its builder
    (k in 1/nm, k a per cell) and Kwant's own kwant.physics.Bands."""
    a = 0.5
    lead = bloch_hamiltonian(ribbon_builder(a).finalized())
    built = bloch_hamiltonian(ribbon_builder(a))
    kwant_bands = kwant.physics.Bands(ribbon_builder(a).finalized())
    assert lead.is_lead and not built.is_lead
    assert lead.period == built.period == a
    assert lead.size == built.size == 3 and lead.norbs == built.norbs == 1
    for ka in np.linspace(-3, 3, 7):
        e_kwant, v_kwant = kwant_bands(ka, derivative_order=1)
        np.testing.assert_allclose(lead.energies([ka]), e_kwant, atol=1e-13)
        np.testing.assert_allclose(built.energies([ka / a]), e_kwant, atol=1e-13)
        band = np.arange(3)
        np.testing.assert_allclose(lead.velocities(np.full((3, 1), ka), band)[:, 0],
                                   v_kwant, atol=1e-13)          # eV per cell
        np.testing.assert_allclose(built.velocities(np.full((3, 1), ka / a), band)[:, 0],
                                   v_kwant * a, atol=1e-13)      # eV nm


def test_crossings_of_a_chain_are_the_cosine_band():
    """E = -2t cos(k a): crossings at k a = +-arccos(-E/2t), dE/d(ka) =
    2t sin(k a); Newton polishes them to ~1e-15 (the test's 1e-12 leaves
    room for the arccos near the band edge)."""
    t = 1.3
    lat = kwant.lattice.chain(0.4, norbs=1)
    builder = kwant.Builder(kwant.TranslationalSymmetry((0.4,)))
    builder[lat(0)] = 0.0
    builder[lat.neighbors()] = -t
    energies = np.array([-2.0, -0.5, 0.0, 1.1, 2.7, 3.0])     # |E| > 2t: none
    for H, scale in ((bloch_hamiltonian(builder.finalized()), 1.0),
                     (bloch_hamiltonian(builder), 0.4)):
        c = H.crossings(energies, nk=64)
        assert len(c) == 8
        np.testing.assert_array_equal(np.bincount(c.energy_index, minlength=6),
                                      [2, 2, 2, 2, 0, 0])
        ka = c.k * scale
        np.testing.assert_allclose(np.abs(ka), np.arccos(-energies[c.energy_index]
                                                         / (2 * t)), atol=1e-12)
        np.testing.assert_allclose(c.velocities / scale, 2 * t * np.sin(ka),
                                   atol=1e-12)
        np.testing.assert_allclose(c.band_energies[:, 0],
                                   energies[c.energy_index], atol=1e-12)
        assert H.crossing_count(0.0) == 2 and H.crossing_count(3.0) == 0
    empty = H.crossings([5.0])
    assert len(empty) == 0 and empty.states is None


def test_crossings_with_a_potential_shift_the_bands():
    """A constant potential V on every orbital moves each crossing energy
    by V: crossings of H + V at E are those of H at E - V."""
    H = bloch_hamiltonian(ribbon_builder().finalized())
    V = 0.2 * np.eye(3)
    shifted = H.crossings([0.5], V)
    plain = H.crossings([0.3])
    np.testing.assert_allclose(np.sort(shifted.k), np.sort(plain.k), atol=1e-12)
    with pytest.raises(ValueError, match=r"potential must be a \(3, 3\)"):
        H.crossings([0.5], np.eye(2))
    with pytest.raises(ValueError, match="nk must be >= 3"):
        H.crossings([0.5], nk=2)


def test_ray_crossings_of_an_isotropic_band():
    """E = c |k|^2 (a callable): on every ray from the origin the band meets
    mu at r = sqrt(mu / c), to machine precision (Illinois method)."""
    c = 0.7
    H = bloch_hamiltonian(lambda k: c * np.sum(k**2, -1)[..., None, None], dim=2)
    angles = np.linspace(0, 2 * np.pi, 9)[:-1]
    i_th, band, r = H.ray_crossings(0.4, np.zeros(2), angles, np.linspace(0, 2, 17))
    np.testing.assert_array_equal(np.sort(i_th), np.arange(8))
    assert np.all(band == 0)
    np.testing.assert_allclose(r, np.sqrt(0.4 / c), rtol=1e-14)
    k = r[:, None] * np.stack([np.cos(angles[i_th]), np.sin(angles[i_th])], -1)
    # Hellmann-Feynman velocity with the finite-difference dH/dk: 2 c k.
    np.testing.assert_allclose(H.velocities(k, band), 2 * c * k, atol=1e-9)


def test_bracketed_roots():
    """Each bracket's root to machine precision: x^n = c (Illinois keeps
    regula falsi from creeping at a strongly curved end), a root on a
    bracket's end, brackets given either way round, a bracket converged while
    the others go on (f sees only the unfinished ones); too few steps raise."""
    n = np.array([1.0, 3.0, 10.0, 20.0, 2.0, 2.0])
    c = np.array([0.3, 0.5, 0.5, 0.9, 1.0, 0.25])
    a = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    b = np.array([1.0, 1.5, 1.5, 1.5, 1.0, 0.0])      # the last reversed
    seen = []

    def f(x, i):
        seen.append(i.copy())
        return x ** n[i] - c[i]

    every = np.arange(len(n))
    root = bracketed_roots(f, a, b, f(a, every), f(b, every))
    np.testing.assert_allclose(root, c ** (1 / n), rtol=4e-16, atol=0)
    assert root[4] == 1.0                               # f(b) = 0 exactly
    assert len(seen[-1]) < len(n)                       # converged ones dropped
    with pytest.raises(RuntimeError, match="did not converge in 2 steps"):
        bracketed_roots(f, a, b, f(a, every), f(b, every), max_iter=2)


def test_crossings_need_the_right_dimension():
    H = bloch_hamiltonian(qwz_callable, dim=2)
    with pytest.raises(ValueError, match="one-dimensional Brillouin zone"):
        H.crossings([0.1])
    lead = bloch_hamiltonian(ribbon_builder().finalized())
    with pytest.raises(ValueError, match="needs a 2D"):
        lead.ray_crossings(0.1, np.zeros(2), np.zeros(1), np.linspace(0, 1, 3))
    with pytest.raises(TypeError, match="finalized lead"):
        bloch_hamiltonian(_finite_system())
    with pytest.raises(TypeError, match="dim describe a callable"):
        bloch_hamiltonian(ribbon_builder(), dim=2)


def _finite_system():
    lat = kwant.lattice.chain(1.0, norbs=1)
    syst = kwant.Builder()
    syst[lat(0)] = 0.0
    return syst.finalized()
