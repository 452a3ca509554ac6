"""The homogeneous driven band (kwant_noneq.driven): quadrature accuracy,
symmetries, the drifted-sea / RTA relation, the self-consistent gap against
the closed forms of kwant_noneq.analytic_surface, and clear errors.

Model: the warped Dirac cone of Balram et al., Eq. (10), as a continuum
callable (no lattice corrections), and the slab's top surface as the exact
2 x 2 lattice model (systems.ti_slab.surface_hamiltonian).
"""
import math

import numpy as np
import pytest

from kwant_noneq import analytic_surface as an
from kwant_noneq import driven
from kwant_noneq.mixing import ConvergenceError
from kwant_noneq.pauli import PAULI
from kwant_noneq.systems import ti_slab

SIGMA = PAULI[1:]
V, LAM, MU = 0.41, 0.128, 0.05          # eV nm, eV nm^3, eV (k_F = 0.122 /nm)
K_F = MU / V


def continuum(v=V, lam=LAM, theta=0.0):
    """Eq. (10): d = (-v ky, v kx, lam k^3 cos 3(phi + theta))."""
    def H(kx, ky):
        z = (kx + 1j * ky) * np.exp(1j * theta)
        d = np.stack([-v * ky, v * kx, lam * (z ** 3).real], -1)
        return np.einsum("...i,iab->...ab", d, SIGMA)
    return H


def band(H=None, k_max=0.5, **kw):
    return driven.DrivenBand(continuum() if H is None else H, 1, (0.0, 0.0),
                             k_max=k_max, **kw)


def test_surface_hamiltonian_is_the_slab_top_surface():
    """With D1 = D2 = 0 the top surface of the N = 20 slab is C + d(k).sigma
    (energies and the upper band's spin SPIN), to 1e-10."""
    p = ti_slab.default_params(D1=0.0, D2=0.0, theta=0.2)
    rng = np.random.default_rng(1)
    kx, ky = rng.uniform(-0.3, 0.3, (2, 12))
    e_slab, states, weight = ti_slab.surface_bands(p, 20, kx, ky, a=0.5)
    h = ti_slab.surface_hamiltonian(p, kx, ky, a=0.5)
    e, u = np.linalg.eigh(h)
    assert np.abs(e - e_slab).max() < 1e-10
    for i in range(3):
        big = np.kron(np.eye(20), ti_slab.SPIN[i])
        s_slab = np.einsum("ma,ab,mb->m", states[..., 1].conj(), big,
                           states[..., 1]).real
        s_2x2 = np.einsum("ma,ab,mb->m", u[..., 1].conj(), SIGMA[i], u[..., 1]).real
        assert np.abs(s_slab - s_2x2).max() < 1e-10
    dH = ti_slab.surface_hamiltonian_derivative(p, kx, ky, a=0.5)
    fd = (ti_slab.surface_hamiltonian(p, kx + 1e-6, ky, a=0.5)
          - ti_slab.surface_hamiltonian(p, kx - 1e-6, ky, a=0.5)) / 2e-6
    assert np.abs(dH[..., 0, :, :] - fd).max() < 1e-8
    with pytest.raises(ValueError, match="D1 = D2 = 0"):
        ti_slab.surface_hamiltonian(ti_slab.default_params(), 0.1, 0.0)


def test_zero_drive_gives_zero():
    b = band()
    assert np.all(b.spin(SIGMA, driven.Boltzmann(MU, (0.0, 0.0), order=3)) == 0)
    assert np.all(b.spin(SIGMA, driven.Ballistic(MU, MU)) == 0)
    s = b.spin(SIGMA, driven.DriftedSea(MU, (0.0, 0.0)))
    assert np.abs(s).max() < 1e-18            # int_{R0}^{R0}: exactly empty


def test_ballistic_time_reversal():
    """Time reversal maps the movers along e onto those along -e with the
    spin reversed: s(e) = -s(-e); swapping the reservoirs reverses it too.
    Broken by an exchange field (the mean-field bands)."""
    b = band(continuum(theta=0.3))
    s = b.spin(SIGMA, driven.Ballistic(MU - 2e-3, MU + 2e-3, 0.4))
    s_rev = b.spin(SIGMA, driven.Ballistic(MU - 2e-3, MU + 2e-3, 0.4 + np.pi))
    assert np.abs(s + s_rev).max() < 1e-13 * np.abs(s).max()
    swapped = b.spin(SIGMA, driven.Ballistic(MU + 2e-3, MU - 2e-3, 0.4))
    assert np.abs(s + swapped).max() < 1e-13 * np.abs(s).max()
    H_MF = driven.mean_field_hamiltonian(continuum(theta=0.3), [0.0, 0.0, 2e-3],
                                         SIGMA)
    b_mf = band(H_MF)
    s = b_mf.spin(SIGMA, driven.Ballistic(MU - 2e-3, MU + 2e-3, 0.4))
    s_rev = b_mf.spin(SIGMA, driven.Ballistic(MU - 2e-3, MU + 2e-3, 0.4 + np.pi))
    assert abs(s[2] + s_rev[2]) > 1e-3 * abs(s[2])


def test_drifted_sea_and_rta_orders():
    """RTA order n = n! x drifted-sea order n, each against its own closed
    form (15/32 pi and 5/64 pi, derived independently); the drifted sea at a
    finite dk is the sum of its orders; even orders carry no spin."""
    theta = 0.25
    b = band(continuum(theta=theta))
    dk = 0.1 * K_F
    shifted = b.drifted_sea_orders(SIGMA / 2, MU, (dk, 0.0), max_order=7)
    rta = b.boltzmann_orders(SIGMA / 2, MU, (dk, 0.0), max_order=3)
    p2 = (LAM * K_F ** 2 / V) ** 2           # neglected by the closed forms
    assert rta[2, 2] == pytest.approx(an.sz_boltzmann_third_order(
        MU, V, LAM, dk, theta, "rta"), rel=2 * p2)
    assert shifted[2, 2] == pytest.approx(an.sz_boltzmann_third_order(
        MU, V, LAM, dk, theta, "shifted"), rel=2 * p2)
    assert rta[0, 1] == pytest.approx(an.edelstein_spin_boltzmann(MU, V, dk),
                                      rel=2 * p2)
    # s_z at first order vanishes by C3 (exactly, any lambda)
    assert abs(rta[0, 2]) < 1e-12 * rta[0, 1]
    assert np.abs(shifted[[1, 3, 5]]).max() < 1e-12 * abs(rta[0, 1])
    exact = b.drifted_sea(SIGMA / 2, MU, (dk, 0.0))
    # truncation after order 7: relative (dk / k_F)^8 = 1e-8 of order 1
    assert np.abs(exact - shifted.sum(0)).max() < 1e-8 * abs(rta[0, 1])


@pytest.mark.parametrize("dist, rel, rel_z", [
    (driven.DriftedSea(MU, (0.01, 0.004)), 1e-14, 1e-11),
    (driven.Ballistic(MU - 2e-3, MU + 2e-3, 0.3), 1e-14, 1e-12),
    # Taylor coefficients from a Chebyshev interpolant: order 3 is (0.2)^2
    # below order 1 at the nodes, so rounding (1e-15) grows to ~1e-11 in it.
    (driven.Boltzmann(MU, (0.01, 0.004), order=3), 1e-11, 1e-10)])
def test_polar_quadrature_converges(dist, rel, rel_z):
    """Spectral convergence: a coarse rule, the default and the refined one
    agree to rounding (relative to the largest component, and for the small
    s_z relative to itself)."""
    H = continuum(theta=0.2)
    coarse = band(H, n_angles=32, n_radial=6, n_energy=4, n_arc=24, n_taylor=12)
    default = band(H)
    s0 = coarse.spin(SIGMA, dist)
    s1 = default.spin(SIGMA, dist)
    s2 = default.refined().spin(SIGMA, dist)
    scale = np.abs(s2).max()
    for s in (s0, s1):
        assert np.abs(s - s2).max() < rel * scale
        assert abs(s[2] - s2[2]) < rel_z * abs(s2[2])


def test_ballistic_against_closed_forms():
    theta, dmu = 0.4, 1e-3
    s = band(continuum(theta=theta)).spin(
        SIGMA, driven.Ballistic(MU - dmu / 2, MU + dmu / 2, 0.0))
    p2 = (LAM * K_F ** 2 / V) ** 2
    assert s[1] == pytest.approx(an.edelstein_spin_ballistic(MU, V, dmu), rel=2 * p2)
    assert s[2] == pytest.approx(an.sz_ballistic(MU, V, LAM, dmu, theta),
                                 rel=2 * p2 + (dmu / MU) ** 2 / 2)


def test_scf_reproduces_closed_forms_at_small_drive():
    """Continuum Eq. (10) (no lattice artefact): the self-consistent gap is
    the closed form up to the leading self-consistency corrections,
    relative (3/20 pi) g k_F / v (RTA: the cone moved by k* meets the
    unmoved warping; the equilibrium sea's response to the field is not
    counted, see kwant_noneq.driven) and g dmu / (8 pi v^2) (ballistic: the
    mass in the window); the Dirac point moves to k* = (g/v) s x z."""
    theta, g = 0.15, 1.0
    b = band(continuum(theta=theta))
    dk = 0.1 * K_F
    st = driven.solve_driven_exchange(b, SIGMA, driven.Boltzmann(MU, (dk, 0.0), 3), g)
    assert st.converged and st.iterations <= 6
    scf = 3 / (20 * math.pi) * g * K_F / V
    expected = an.gap_boltzmann(MU, V, LAM, g, dk, theta) * (1 + scf)
    assert st.gap == pytest.approx(expected, rel=0.1 * scf)
    k_star = an.dirac_point_shift(g, st.spin[:2], V)
    assert np.abs(st.dirac_point - k_star).max() < 1e-6 * np.linalg.norm(k_star)
    assert st.spin_error < 1e-12 * np.abs(st.spin).max()

    dmu = 2e-3
    st = driven.solve_driven_exchange(
        b, SIGMA, driven.Ballistic(MU - dmu / 2, MU + dmu / 2), g)
    scf = g * dmu / (8 * math.pi * V ** 2)
    expected = an.gap_ballistic(MU, V, LAM, g, dmu, theta) * (1 - scf)
    assert st.gap == pytest.approx(expected, rel=0.2 * scf + (dmu / MU) ** 2 / 2)
    # first order only: the field of the bare bands' spin
    first = driven.solve_driven_exchange(
        b, SIGMA, driven.Ballistic(MU - dmu / 2, MU + dmu / 2), g,
        self_consistent=False, estimate_error=False)
    assert first.field[2] == pytest.approx(-g * an.sz_ballistic(MU, V, LAM, dmu, theta),
                                           rel=(dmu / MU) ** 2 / 2 + 1e-5)


def test_dirac_gap_of_a_massive_shifted_cone():
    k0, m = np.array([0.013, -0.007]), 3e-9

    def H(kx, ky):
        d = np.stack([-V * (ky - k0[1]), V * (kx - k0[0]), m + 0 * kx], -1)
        return np.einsum("...i,iab->...ab", d, SIGMA)

    gap = driven.dirac_gap(band(H), (0.0, 0.0), radius=0.05)
    assert gap.gap == pytest.approx(2 * m, rel=1e-9)
    assert np.abs(gap.point - k0).max() < 1e-12
    assert np.allclose(gap.curvature, 8 * V ** 2 * np.eye(2), rtol=1e-6)


def test_clear_errors():
    H = continuum()
    with pytest.raises(TypeError, match="hamiltonian must be a 2D BlochHamiltonian or a callable"):
        driven.DrivenBand("H", 1)
    with pytest.raises(ValueError, match="band must be < 2"):
        driven.DrivenBand(H, 2)
    with pytest.raises(ValueError, match="k_max"):
        driven.DrivenBand(H, 1, k_max=-1.0)
    with pytest.raises(TypeError, match=r"mu must be a real number \[eV\]"):
        driven.Boltzmann("0.05", (0.01, 0.0))
    with pytest.raises(ValueError, match=r"drift must be two finite numbers"):
        driven.Boltzmann(MU, (0.01, 0.0, 0.0))
    with pytest.raises(ValueError, match="order must be >= 1"):
        driven.Boltzmann(MU, (0.01, 0.0), order=0)
    b = band()
    with pytest.raises(ValueError, match=r"operators must have shape \(nops, 2, 2\)"):
        b.expectation(np.eye(3), driven.Ballistic(MU, MU + 1e-3))
    with pytest.raises(ValueError, match="no crossing within k_max"):
        b.spin(SIGMA, driven.DriftedSea(-0.01, (1e-3, 0.0)))     # below the Dirac point
    with pytest.raises(ValueError, match="beyond its Fermi surface|no crossing"):
        band(k_max=0.05).spin(SIGMA, driven.Ballistic(MU, MU + 1e-3))
    with pytest.raises(ValueError, match="smallest Fermi radius"):
        b.spin(SIGMA, driven.DriftedSea(MU, (0.2, 0.0)))
    with pytest.raises(TypeError, match="distribution must be"):
        b.expectation(SIGMA, "rta")
    with pytest.raises(TypeError, match="g \\(the contact interaction\\)"):
        driven.solve_driven_exchange(b, SIGMA, driven.Ballistic(MU, MU + 1e-3), "1")
    with pytest.raises(ValueError, match="spin_operators must have shape"):
        driven.solve_driven_exchange(b, SIGMA[:2], driven.Ballistic(MU, MU + 1e-3), 1.0)
    with pytest.raises(ConvergenceError, match="did not converge"):
        driven.solve_driven_exchange(b, SIGMA, driven.Ballistic(MU, MU + 1e-3), 1.0,
                                     max_iter=1, tol=1e-30, estimate_error=False)


def test_any_matrix_size():
    """The general (eigh) path: the cone embedded in a 4 x 4 Hamiltonian with
    two remote bands gives the 2 x 2 closed-form path's numbers."""
    H2 = continuum(theta=0.3)

    def H4(kx, ky):
        h = np.zeros(np.shape(kx) + (4, 4), complex)
        h[..., 1:3, 1:3] = H2(kx, ky)
        h[..., 0, 0], h[..., 3, 3] = -1.0, 1.0
        return h

    ops4 = np.zeros((3, 4, 4), complex)
    ops4[:, 1:3, 1:3] = SIGMA
    b4 = driven.DrivenBand(H4, 2, (0.0, 0.0), k_max=0.5)
    b2 = band(H2)
    for dist in (driven.Boltzmann(MU, (0.01, 0.0), order=3),
                 driven.Ballistic(MU - 1e-3, MU + 1e-3, 0.2)):
        s4, s2 = b4.spin(ops4, dist), b2.spin(SIGMA, dist)
        assert np.abs(s4 - s2).max() < 1e-11 * np.abs(s2).max()


def test_lattice_first_order_sz_is_the_c4_artefact():
    """On the square lattice s_z^(1) != 0: -(k_F a)^2 cos3theta/16 of
    (lam k_F^2/v) |s_inplane| (ti_slab.c4_first_order_sz), up to relative
    (k_F a)^2 = 3.7e-3."""
    theta, a = 0.2, 0.5
    p = ti_slab.default_params(D1=0.0, D2=0.0, C=0.0, A2=V, R=LAM, theta=theta)
    b = driven.DrivenBand(lambda kx, ky: ti_slab.surface_hamiltonian(p, kx, ky, a),
                          1, (0.0, 0.0), k_max=0.5)
    o = b.boltzmann_orders(SIGMA / 2, MU, (0.01, 0.0), 1)[0]
    ratio = o[2] / (LAM * K_F ** 2 / V * o[1])
    assert ratio == pytest.approx(ti_slab.c4_first_order_sz(K_F, a, theta),
                                  rel=(K_F * a) ** 2)


def test_a_bloch_hamiltonian_enters_as_it_is():
    """A 2D BlochHamiltonian (here the lattice surface of
    systems.ti_surface, with its exact dH/dk) gives the same bits as the
    component callable with the same derivative; other dimensions are
    refused."""
    from kwant_noneq.bloch import bloch_hamiltonian
    from kwant_noneq.systems import ti_surface
    p = ti_slab.default_params(D1=0.0, D2=0.0, C=0.0, A2=V, R=LAM, theta=0.1)
    window = driven.Ballistic(MU - 5e-4, MU + 5e-4, 0.3)
    direct = band(ti_surface.surface_hamiltonian(p, a=0.5))
    by_hand = band(lambda kx, ky: ti_slab.surface_hamiltonian(p, kx, ky, 0.5),
                   derivative=lambda kx, ky: ti_slab.surface_hamiltonian_derivative(
                       p, kx, ky, 0.5))
    s = direct.spin(SIGMA, window)
    assert np.abs(s).max() > 1e-6                       # a current-induced spin
    np.testing.assert_array_equal(s, by_hand.spin(SIGMA, window))
    chain = bloch_hamiltonian(lambda k: np.cos(k[..., :1])[..., None] * np.eye(2), dim=1)
    with pytest.raises(ValueError, match="needs a 2D Bloch Hamiltonian"):
        band(chain)
