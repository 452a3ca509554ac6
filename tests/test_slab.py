"""The 3D-TI slab builder: symmetry, surface Dirac cone, v and lambda,
hybridisation gap, rotated warping, disorder, parameter checks."""
import numpy as np
import pytest
import kwant

from kwant_noneq.systems import ti_slab

A = 0.5                     # lattice constant [nm] used throughout
CLEAN = dict(D1=0.0, D2=0.0)   # particle-hole symmetric: v = A2, lambda = R


def _theta_op(n_sites):
    """Time reversal Theta = (1 (x) i s_y (x) t_0) K, as the unitary part."""
    return np.kron(np.eye(n_sites), ti_slab.SPIN[1] * 1j)


def test_five_gamma_matrices_anticommute():
    G = ti_slab.GAMMA
    for i in range(5):
        for j in range(5):
            assert np.allclose(G[i] @ G[j] + G[j] @ G[i], 2 * (i == j) * np.eye(4))


def test_slab_bloch_hamiltonian_time_reversal():
    # H(-k) = Theta H(k) Theta^-1 with the warping rotated and D != 0.
    p = ti_slab.default_params(theta=0.37)
    N = 4
    U = _theta_op(N)
    for kx, ky in [(0.3, -0.2), (1.1, 2.0)]:
        H = ti_slab.slab_hamiltonian(p, N, kx, ky, A)
        Hm = ti_slab.slab_hamiltonian(p, N, -kx, -ky, A)
        assert np.allclose(U @ H.conj() @ U.conj().T, Hm, atol=1e-13)
        assert not np.allclose(H, Hm, atol=1e-6)      # the test is not empty


def test_finite_slab_time_reversal_and_kramers():
    syst = ti_slab.make_slab(3, 4, width=1.0, a=A).finalized()
    n = len(syst.sites)
    U = _theta_op(n)
    p = ti_slab.default_params(theta=0.2, disorder=0.3, disorder_seed=3)
    H = lambda k: syst.hamiltonian_submatrix(params=dict(p, k_y=k))
    assert np.allclose(U @ H(0.7).conj() @ U.conj().T, H(-0.7), atol=1e-13)
    # Kramers pairs at the time-reversal-invariant momenta k_y = 0, pi
    for k in (0.0, np.pi):
        e = np.linalg.eigvalsh(H(k))
        assert np.allclose(e[0::2], e[1::2], atol=1e-10)
    # an out-of-plane exchange field breaks it
    p["exchange"] = lambda site: (0.0, 0.0, 0.01)
    e = np.linalg.eigvalsh(H(0.0))
    assert np.abs(e[0::2] - e[1::2]).max() > 1e-3


def test_lead_is_the_slab_bloch_hamiltonian():
    # The Kwant lead (two columns per cell, wrapped in y) and
    # slab_hamiltonian describe the same model: the lead's bands at cell
    # phase K are the slab's at kx = K / 2a and kx + pi / a.
    N = 3
    lead = ti_slab.make_slab_lead(N, a=A).finalized()
    p = ti_slab.default_params(theta=0.4)
    ky = 0.37                                           # 1/nm
    pl = dict(p, k_y=ky * A)
    h = lead.cell_hamiltonian(params=pl)
    t = np.zeros_like(h)
    t[:, :lead.inter_cell_hopping(params=pl).shape[1]] = \
        lead.inter_cell_hopping(params=pl)
    for K in (0.0, 0.5, 2.5):
        e_lead = np.linalg.eigvalsh(h + t * np.exp(-1j * K) + t.conj().T * np.exp(1j * K))
        kx = K / (2 * A)
        e_slab = np.sort(np.concatenate([
            np.linalg.eigvalsh(ti_slab.slab_hamiltonian(p, N, kx, ky, A)),
            np.linalg.eigvalsh(ti_slab.slab_hamiltonian(p, N, kx + np.pi / A, ky, A))]))
        assert np.allclose(e_lead, e_slab, atol=1e-12)


def test_clean_slab_transmits_the_two_surfaces():
    # In the bulk gap at k_y = 0, above the Dirac point: one mode per
    # surface, perfectly transmitted through a clean slab.
    syst = ti_slab.make_slab(2, 10, a=A).finalized()
    p = ti_slab.default_params()
    E_D = p["C"] + p["D1"] * p["M"] / p["B1"]
    sm = kwant.smatrix(syst, E_D + 0.05, params=dict(p, k_y=0.0))
    assert sm.num_propagating(0) == 2
    assert np.isclose(sm.transmission(1, 0), 2.0, atol=1e-8)


# --- surface Dirac cone ------------------------------------------------------

def test_hybridisation_gap_decays_as_the_surface_state():
    """gap(N) = C |z|^N |cos(N alpha + beta)| (two conjugate roots z, z*).

    Any window of consecutive N spanning at least pi / alpha contains a
    maximum of |cos| to within alpha / 2, so the window maxima of
    gap(N) / |z|^N agree within a factor cos(alpha / 2); corrections are of
    relative order |z|^N (second order in the overlap) and smaller.
    """
    p = ti_slab.default_params()
    z = ti_slab.decay_factor(p, A)
    alpha = abs(np.angle(z))
    assert 0 < abs(z) < 1
    span = int(np.ceil(np.pi / max(alpha, np.pi / 6))) + 1
    N1 = np.arange(8, 8 + span)
    N2 = N1 + span
    r1 = max(ti_slab.hybridisation_gap(p, int(n), A) / abs(z)**n for n in N1)
    r2 = max(ti_slab.hybridisation_gap(p, int(n), A) / abs(z)**n for n in N2)
    slack = np.cos(alpha / 2) * (1 - abs(z)**N1[0])
    assert slack <= r2 / r1 <= 1 / slack
    # falls with N, and below 1e-5 eV at 20 layers (10 nm) by the envelope
    C = max(r1, r2) / slack
    assert C * abs(z)**20 < 1e-5
    assert ti_slab.hybridisation_gap(p, 20, A) <= C * abs(z)**20
    assert ti_slab.hybridisation_gap(p, 6, A) > 1e3 * C * abs(z)**20


def test_surface_velocity_and_warping_match_A2_and_R():
    """v = A2, lambda = +R on top, -A2, -R at the bottom (D1 = D2 = 0).

    Lattice: |d|^2 = A2^2 (sin^2 kx a + sin^2 ky a)/a^2 + R^2 w^2, whose
    isotropic part gives v(k) = A2 (1 - (ka)^2 / 8 + O((ka)^4)); the k^2
    extrapolation leaves O((k_max a)^4) (coefficient < 0.1 from the
    sixth-order terms), and the hybridisation at N = 20 enters as
    (gap / v k)^2 < 1e-8.  Tolerance: (k_max a)^4.
    """
    k_max = 0.1
    tol = (k_max * A) ** 4
    p = ti_slab.default_params(**CLEAN)
    top = ti_slab.surface_parameters(p, 20, A, k_max=k_max)
    assert top.weight > 0.99
    assert np.isclose(top.v, p["A2"], rtol=tol)
    assert np.isclose(top.lam, p["R"], rtol=tol)
    # before extrapolation: the leading lattice correction is (ka)^2 / 8
    assert np.allclose(top.v_k, p["A2"] * (1 - (top.k * A) ** 2 / 8), rtol=tol)
    bottom = ti_slab.surface_parameters(p, 20, A, k_max=k_max, surface="bottom")
    assert np.isclose(bottom.v, -p["A2"], rtol=tol)
    assert np.isclose(bottom.lam, -p["R"], rtol=tol)


def test_surface_parameters_with_particle_hole_asymmetry():
    """D1 != 0 tilts the surface spinor: v = A2 sqrt(1 - (D1/B1)^2),
    lambda = R sqrt(1 - (D1/B1)^2), Dirac point C + D1 M / B1 (both
    tau_x-type terms are reduced by the same <tau_x>).  Same tolerance."""
    k_max = 0.1
    tol = (k_max * A) ** 4
    p = ti_slab.default_params()                        # Bi2Se3
    fit = ti_slab.surface_parameters(p, 20, A, k_max=k_max)
    factor = np.sqrt(1 - (p["D1"] / p["B1"]) ** 2)
    assert factor < 1 - 1e-3                            # a real change
    assert np.isclose(fit.v, p["A2"] * factor, rtol=tol)
    assert np.isclose(fit.lam, p["R"] * factor, rtol=tol)
    assert np.isclose(fit.E_D, p["C"] + p["D1"] * p["M"] / p["B1"], atol=1e-8)


def _splitting2(p, N, k, phi):
    e, _, _ = ti_slab.surface_bands(p, N, k * np.cos(phi), k * np.sin(phi), A)
    return (0.5 * (e[..., 1] - e[..., 0])) ** 2


def test_rotated_warping_is_the_unrotated_band_at_phi_plus_theta():
    """The current at theta to the crystal: band(theta, phi) = band(0, phi + theta).

    With D1 = D2 = 0, |d|^2 = eps_z^2 + A2^2 s(k) + R^2 w_theta(k)^2
    exactly; the warping part W = |d|^2 - |d|^2_{R=0} = R^2 w_theta^2 with
    w_theta = k^3 cos 3(phi + theta) + (ka)^2 k^3 f_theta.  From the
    fifth-order terms of the lattice warping, |f_0| <= 1/4 and
    |f_theta| <= sqrt(2)/4, so |W_theta(phi) - W_0(phi + theta)|
    <= (1 + sqrt 2)/2 R^2 k^6 (ka)^2.  The square-lattice C4 part s(k) is
    not rotated: it is compared at theta = pi/2, where the lattice maps
    onto itself and the identity is exact.
    """
    N, k = 12, 0.3
    phi = np.linspace(0, 2 * np.pi, 25)
    p0 = ti_slab.default_params(**CLEAN)
    W0 = lambda ph: (_splitting2(p0, N, k, ph)
                     - _splitting2(dict(p0, R=0.0), N, k, ph))
    tol = (1 + np.sqrt(2)) / 2 * p0["R"] ** 2 * k**6 * (k * A) ** 2
    for theta in (0.2, 0.5):
        pt = dict(p0, theta=theta)
        Wt = _splitting2(pt, N, k, phi) - _splitting2(dict(pt, R=0.0), N, k, phi)
        assert np.abs(Wt - W0(phi + theta)).max() < tol
        # the warping varies by far more than the tolerance with phi
        assert np.ptp(Wt) > 10 * tol
    pt = dict(p0, theta=np.pi / 2)
    assert np.allclose(_splitting2(pt, N, k, phi),
                       _splitting2(p0, N, k, phi + np.pi / 2), rtol=1e-12)


def test_rotated_warping_fit_is_direction_independent():
    # v and lambda (defined relative to the crystal axes) do not depend on
    # the current direction: the fit projects on cos 6 (phi + theta).
    p = ti_slab.default_params(**CLEAN, theta=0.3)
    fit = ti_slab.surface_parameters(p, 16, A, k_max=0.1)
    tol = (0.1 * A) ** 4
    assert np.isclose(fit.v, p["A2"], rtol=tol)
    assert np.isclose(fit.lam, p["R"], rtol=tol)


# --- operators, disorder, checks ---------------------------------------------

def test_surface_projectors_and_spin():
    syst = ti_slab.make_slab(2, 6, a=A).finalized()
    P = ti_slab.surface_projectors(syst, depth=2)
    assert P.shape == (2, len(syst.sites), 4, 4)
    layer = np.array([s.tag[2] for s in syst.sites])
    assert np.array_equal(P[0, :, 0, 0] == 1, layer >= 4)
    assert np.array_equal(P[1, :, 0, 0] == 1, layer < 2)
    assert ti_slab.SPIN.shape == (3, 4, 4)
    # sigma (x) tau_0: Pauli algebra, s_x s_y = i s_z
    assert np.allclose(ti_slab.SPIN[0] @ ti_slab.SPIN[1], 1j * ti_slab.SPIN[2])
    with pytest.raises(ValueError, match="depth"):
        ti_slab.surface_projectors(syst, depth=4)


def test_disorder_depends_on_seed_only():
    make = lambda: ti_slab.make_slab(3, 3, width=1.0, a=A,
                                     disorder_type="gaussian").finalized()
    syst = make()
    p = ti_slab.default_params(disorder=0.3, disorder_seed=7)
    diag = lambda s, q: s.hamiltonian_submatrix(params=dict(q, k_y=0.0)).diagonal()
    H1 = diag(syst, p)
    assert np.array_equal(H1, diag(make(), p))
    assert not np.allclose(H1, diag(syst, dict(p, disorder_seed=8)))
    # scalar: the same shift on all four orbitals of a site, varying in y
    d = (H1 - diag(syst, ti_slab.default_params())).real.reshape(-1, 4)
    assert np.allclose(d, d[:, :1])
    assert np.unique(np.round(d[:, 0], 12)).size == len(syst.sites)


def test_bad_parameters_raise_clear_errors():
    with pytest.raises(TypeError, match="R must be a real number"):
        ti_slab.default_params(R="0.1")
    with pytest.raises(ValueError, match="A2 must be finite"):
        ti_slab.default_params(A2=np.inf)
    with pytest.raises(ValueError, match="disorder"):
        ti_slab.default_params(disorder=-0.1)
    with pytest.raises(TypeError, match="did you mean 'theta'"):
        ti_slab.default_params(thetta=0.1)
    with pytest.raises(TypeError, match="disorder_seed"):
        ti_slab.default_params(disorder_seed=1.5)
    with pytest.raises(ValueError, match="multiple"):
        ti_slab.make_slab(2.2, 4, a=A)
    with pytest.raises(ValueError, match="layers"):
        ti_slab.make_slab(2, 1, a=A)
    with pytest.raises(TypeError, match="layers"):
        ti_slab.make_slab_lead(4.0, a=A)
    with pytest.raises(ValueError, match="lattice constant"):
        ti_slab.make_slab_lead(4, a=-1)
    with pytest.raises(ValueError, match="surface"):
        ti_slab.surface_bands(ti_slab.default_params(), 4, 0.1, 0.0, A,
                              surface="middle")
    with pytest.raises(ValueError, match="k_max"):
        ti_slab.surface_parameters(ti_slab.default_params(), 6, A, k_max=3.0)


# --- issue 10, section 5: the surface's symmetries and Dirac point -----------

def test_surface_bands_time_reversal_without_field():
    """No field: the top surface's bands satisfy E(k) = E(-k) and the
    spin of each band is opposite at k and -k (Kramers partners), for the
    particle-hole asymmetric Bi2Se3 model with a rotated warping."""
    p = ti_slab.default_params(theta=0.37)
    N = 12
    k = np.array([[0.2, -0.1], [0.35, 0.3], [-0.05, 0.4]])
    e_p, u_p, _ = ti_slab.surface_bands(p, N, k[:, 0], k[:, 1], A)
    e_m, u_m, _ = ti_slab.surface_bands(p, N, -k[:, 0], -k[:, 1], A)
    assert np.allclose(e_p, e_m, atol=1e-12)
    spin = lambda u: np.einsum("kib,cij,kjb->kbc", u.conj(),
                               np.array([np.kron(np.eye(N), s) for s in ti_slab.SPIN]),
                               u).real
    s_p, s_m = spin(u_p), spin(u_m)
    assert np.abs(s_p).max() > 0.5                  # the spin is locked
    assert np.allclose(s_p, -s_m, atol=1e-9)
    # a field breaks it: h_z gaps the cone, E(k) != E(-k) with in-plane h
    h = np.zeros((N, 3))
    h[-2:] = (0.0, 0.01, 0.0)
    e_p, _, _ = ti_slab.surface_bands(p, N, k[:, 0], k[:, 1], A, layer_field=h)
    e_m, _, _ = ti_slab.surface_bands(p, N, -k[:, 0], -k[:, 1], A, layer_field=h)
    assert np.abs(e_p - e_m).max() > 1e-4


def test_surface_dirac_point():
    """The top cone's Dirac point: at Gamma, energy C + D1 M / B1 (the
    continuum value; measured within 1e-8 eV on the lattice) and a
    Kramers-degenerate pair;
    a uniform field h on the top layers moves it to k* = (-h_y, h_x) / v
    (h weighted by the surface state's layers) and h_z opens 2 |h_z,eff|.

    Tolerances: hybridisation t = gap_hyb/2 shifts the energies by
    t^2 / (v |k*|) (second order, 1e-9 eV here), and the k* formula is
    first order in h / (B2 k*^2)... the quadratic terms B2 k^2 leave
    relative (h / M)^2 ~ 1e-3 on k*."""
    for p in (ti_slab.default_params(D1=0.0, D2=0.0), ti_slab.default_params()):
        N, a = 20, 1.0
        e, states, _ = ti_slab.surface_bands(p, N, 0.0, 0.0, a)
        E_D = p["C"] + p["D1"] * p["M"] / p["B1"]
        assert abs(e.mean() - E_D) < 1e-8
        # the top pair is a Kramers pair at Gamma (degenerate); the
        # top-bottom hybridisation can only move it by its own size
        assert abs(e[1] - e[0]) <= ti_slab.hybridisation_gap(p, N, a)
        fit = ti_slab.surface_parameters(p, N, a, k_max=0.05)
        P = ti_slab.layer_weights(states, N).mean(-1)
        h = np.zeros((N, 3))
        h[-3:] = (0.004, -0.006, 0.0)
        heff = P @ h
        g = ti_slab.surface_gap(p, N, h, a)
        kstar = np.array([-heff[1], heff[0]]) / fit.v
        assert np.allclose([g.kx, g.ky], kstar, rtol=1e-2, atol=0)
        # in-plane only: the cone still closes (lambda |k*|^3 ~ 1e-9 eV)
        assert g.gap < 1e-6
        h[-3:, 2] = 0.002
        gz = ti_slab.surface_gap(p, N, h, a)
        assert np.isclose(gz.gap, 2 * abs(P @ h)[2], rtol=1e-2)


def test_disorder_is_a_function_of_the_site_and_seed_only():
    """The same seed gives the same potential on a site whatever the
    system it is built in (length, build order of the sites): the
    realisation depends on the tag and the seed only."""
    p = ti_slab.default_params(disorder=0.3, disorder_seed="s1")
    pots = []
    for length in (3.0, 5.0):
        syst = ti_slab.make_slab(length, 3, width=1.0, a=A).finalized()
        d = (syst.hamiltonian_submatrix(params=dict(p, k_y=0.0)).diagonal()
             - syst.hamiltonian_submatrix(
                 params=dict(ti_slab.default_params(), k_y=0.0)).diagonal())
        pots.append({tuple(s.tag): d[4 * i].real for i, s in enumerate(syst.sites)})
    common = set(pots[0]) & set(pots[1])
    assert len(common) == len(pots[0])
    assert all(pots[0][t] == pots[1][t] for t in common)
    # the site order in the finalized systems differs, the potential not
    assert np.ptp(list(pots[0].values())) > 0.1
