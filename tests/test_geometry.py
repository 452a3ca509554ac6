"""Band geometry: gauge invariance, two-band identities, symmetry zeros."""
import numpy as np
import pytest

from kwant_noneq.geometry import band_geometry, geometry_from_eigensystem
from kwant_noneq.systems.dirac2d import (h_pt_builder, h_pt_continuum, h_t_continuum,
                             paper_parameters, spin_operators_pt,
                             spin_operators_t)
from kwant_noneq.bloch import bloch_hamiltonian

P = paper_parameters()
MODEL = {k: P[k] for k in ("delta", "hbar_vx", "hbar_vy", "alpha")}
RNG = np.random.default_rng(7)
K = RNG.uniform(-0.8, 0.8, size=(40, 2))


def random_gauge(energies, vectors, tol=1e-9):
    """Random phases, and random unitaries inside degenerate subspaces."""
    out = vectors.copy()
    for i in range(len(energies)):
        e = energies[i]
        n = 0
        while n < len(e):
            m = n + 1
            while m < len(e) and abs(e[m] - e[n]) < tol:
                m += 1
            d = m - n
            z = RNG.normal(size=(d, d)) + 1j * RNG.normal(size=(d, d))
            q, _ = np.linalg.qr(z)
            out[i, :, n:m] = vectors[i, :, n:m] @ q
            n = m
    return out


@pytest.mark.parametrize("model", ["T", "PT"])
def test_gauge_invariance(model):
    if model == "T":
        H, spin = h_t_continuum(1, **MODEL), spin_operators_t()
    else:
        H, spin = h_pt_continuum(**MODEL), spin_operators_pt()
    e, U = np.linalg.eigh(H(K))
    dH = H.derivative(K)
    g1 = geometry_from_eigensystem(e, U, dH, spin)
    g2 = geometry_from_eigensystem(e, random_gauge(e, U), dH, spin)
    for name in ("velocity", "berry_curvature", "bcp", "sbp", "spin"):
        np.testing.assert_allclose(getattr(g2, name), getattr(g1, name),
                                   rtol=1e-10, atol=1e-10, err_msg=name)


def _dirac_vector_t(k, xi):
    hv = P["hbar_vx"]
    d = np.stack([-xi * hv * k[:, 1], hv * k[:, 0],
                  P["delta"] + 0 * k[:, 0]], -1)
    dd = np.array([[0, hv, 0], [-xi * hv, 0, 0]], float)   # d d / d k_a
    return d, dd


@pytest.mark.parametrize("xi", [1, -1])
def test_two_band_identities(xi):
    """For H = d0 + d.s with n = d/|d| (derived in docs/nonlinear_hall.md):

    S^{eta a}_+- = +-(n x d_a n)_eta / (2|d|),  G^ab_+- = +-(d_a n.d_b n)/(4|d|),
    Omega^xy_+- = -+ n.(d_x n x d_y n)/2,        s^eta_+-+- = +-n_eta.
    """
    H = h_t_continuum(xi, **MODEL)
    g = band_geometry(H, K, spin_operators_t())
    d, dd = _dirac_vector_t(K, xi)
    norm = np.linalg.norm(d, axis=-1)
    n = d / norm[:, None]
    # d_a n = (d_a d - n (n . d_a d)) / |d|
    dn = (dd[None] - n[:, None, :] * (n @ dd.T)[:, :, None]) / norm[:, None, None]
    sgn = np.array([-1, 1])   # band order: lower (-), upper (+)
    sbp = np.cross(n[:, None, :], dn).transpose(0, 2, 1) / (2 * norm)[:, None, None]
    np.testing.assert_allclose(g.sbp, sbp[..., None] * sgn, atol=1e-12)
    metric = np.einsum("kai,kbi->kab", dn, dn)
    np.testing.assert_allclose(g.bcp, (metric / (4 * norm)[:, None, None])[..., None]
                               * sgn, atol=1e-12)
    omega = np.einsum("ki,ki->k", n, np.cross(dn[:, 0], dn[:, 1])) / 2
    np.testing.assert_allclose(g.berry_curvature[:, 0, 1], -omega[:, None] * sgn,
                               atol=1e-12)
    np.testing.assert_allclose(g.berry_curvature[:, 1, 0], omega[:, None] * sgn,
                               atol=1e-12)
    np.testing.assert_allclose(g.spin, n[:, :, None] * sgn, atol=1e-12)
    # Hellmann-Feynman velocity of the tilted cone.
    v = n @ dd.T
    np.testing.assert_allclose(g.velocity[:, 0], v[:, 0, None] * sgn, atol=1e-12)
    np.testing.assert_allclose(g.velocity[:, 1], v[:, 1, None] * sgn
                               + xi * P["alpha"], atol=1e-12)


def test_sbp_closed_form_pt_and_symmetry_zeros():
    """H_PT: S^{eta x} = hv (0, D, -hv k_y)/(2E^3), S^{eta y} = hv (-D, 0,
    hv k_x)/(2E^3) per conduction band (Fig. 2); S^{1x} = S^{2y} = 0; PT
    forces zero Berry curvature and zero spin at every k."""
    H = h_pt_continuum(**MODEL)
    g = band_geometry(H, K, spin_operators_pt())
    hv, D = P["hbar_vx"], P["delta"]
    E = np.sqrt(hv ** 2 * (K ** 2).sum(-1) + D ** 2)
    cond = g.sbp[..., 2]                 # bands 2, 3 (conduction pair)
    np.testing.assert_allclose(g.sbp[..., 3], cond, atol=1e-14)
    ref_x = np.stack([0 * E, D + 0 * E, -hv * K[:, 1]], -1) * hv / (2 * E[:, None] ** 3)
    ref_y = np.stack([-D + 0 * E, 0 * E, hv * K[:, 0]], -1) * hv / (2 * E[:, None] ** 3)
    np.testing.assert_allclose(cond[:, :, 0], ref_x, atol=1e-12)
    np.testing.assert_allclose(cond[:, :, 1], ref_y, atol=1e-12)
    np.testing.assert_allclose(g.sbp[..., 0], -cond, atol=1e-12)
    assert np.abs(g.sbp[:, 0, 0]).max() < 1e-13     # S^{1x}
    assert np.abs(g.sbp[:, 1, 1]).max() < 1e-13     # S^{2y}
    assert np.abs(g.berry_curvature).max() < 1e-12
    assert np.abs(g.spin).max() < 1e-13
    # sum rule: the SBP and BCP summed over all bands vanish.
    assert np.abs(g.sbp.sum(-1)).max() < 1e-12
    assert np.abs(g.bcp.sum(-1)).max() < 1e-12


def test_lattice_geometry_matches_continuum_at_small_k():
    """Lattice H_PT (a = 0.1 nm, B = 0.4 eV): the Wilson mass shifts Delta by
    dm = B a^2 k^2 / 2, so S ~ m/E^3 changes by up to ~3 dm/m (plus the
    mass-gradient term B a^2 k_x k_y / Delta in S^{1x}); sin(ka)/a adds
    (ka)^2/6 < 1e-5.  Bound: 4 dm/m at |k| <= 0.05/nm."""
    H = bloch_hamiltonian(h_pt_builder(a=0.1, wilson=0.4), MODEL)
    Hc = h_pt_continuum(**MODEL)
    k = RNG.uniform(-0.035, 0.035, size=(10, 2))
    gl = band_geometry(H, k, spin_operators_pt())
    gc = band_geometry(Hc, k, spin_operators_pt())
    scale = np.abs(gc.sbp).max()
    dm_over_m = 0.4 * 0.1 ** 2 * 0.05 ** 2 / 2 / MODEL["delta"]
    np.testing.assert_allclose(gl.sbp, gc.sbp, atol=4 * dm_over_m * scale)
