"""The Fermi-surface (Haldane) anomalous Hall conductivity of a gapped Dirac
surface (nonlinear_hall.fermi_surface_anomalous_hall) and the 2 x 2 top
surface of the TI slab (systems.ti_surface); docs/ti_surface_monopole.md."""
import numpy as np
import pytest

from kwant_noneq.bloch import bloch_hamiltonian
from kwant_noneq.kintegrate import ContinuumPolar, LatticePockets
from kwant_noneq.nonlinear_hall import (AnomalousHallResult,
                                        fermi_surface_anomalous_hall)
from kwant_noneq.systems import ti_slab, ti_surface

PARAMS = ti_slab.default_params(D1=0.0, D2=0.0)
V = PARAMS["A2"]
MU = 0.1


def dirac(m, lam=0.0):
    """Continuum Eq. (10) with mass m [eV] (h along z)."""
    return ti_surface.surface_hamiltonian(dict(PARAMS, R=lam), exchange=(0, 0, m),
                                          lattice=False)


def quad(m, center=(0.0, 0.0), n_angles=8):
    radius = 1.5 * MU / V
    graded = int(np.ceil(np.log2(radius * V / max(abs(m), 1e-6)))) + 3
    return ContinuumPolar(radius, center, n_angles=n_angles, n_radial=16,
                          n_graded=graded, k_cut=radius)


@pytest.mark.parametrize("m", [0.005, 0.03, -0.02])
def test_massive_dirac_matches_closed_form(m):
    # Upper band Omega = -m v^2 / (2 E^3); -(e^2/h) int_{E < mu} d^2k/(2pi)
    # Omega = (1/2)(sgn m - m/mu) [e^2/h] (derivation in the module doc).
    r = fermi_surface_anomalous_hall(dirac(m), MU, 0.0, quad(m), degeneracy_tol=0.0)
    assert isinstance(r, AnomalousHallResult)
    assert r.sigma_xy == pytest.approx(0.5 * (np.sign(m) - m / MU), abs=1e-12)
    assert r.berry_flux == pytest.approx(-r.sigma_xy / (2 * np.pi), rel=1e-14)
    assert r.sigma_xy_si == pytest.approx(r.sigma_xy * 3.874045865e-5, rel=1e-8)
    assert r.convergence < 1e-12


def test_sign_flips_with_the_mass_and_with_the_order_of_mu():
    m = 0.02
    up = fermi_surface_anomalous_hall(dirac(m), MU, 0.0, quad(m))
    down = fermi_surface_anomalous_hall(dirac(-m), MU, 0.0, quad(m))
    assert down.sigma_xy == pytest.approx(-up.sigma_xy, rel=1e-13)
    back = fermi_surface_anomalous_hall(dirac(m), 0.0, MU, quad(m))
    assert back.sigma_xy == pytest.approx(-up.sigma_xy, rel=1e-13)


def test_zero_without_mass():
    # m = 0: Omega = 0 away from the Dirac point; lambda = 0 with an in-plane
    # field only moves the cone (no gap, no AHE).
    r = fermi_surface_anomalous_hall(dirac(0.0), MU, 0.0, quad(0.0))
    assert abs(r.sigma_xy) < 1e-14          # rounding of Omega ~ 1e-16
    H = ti_surface.surface_hamiltonian(dict(PARAMS, R=0.0), exchange=(0.01, -0.02, 0),
                                       lattice=False)
    kstar = ti_surface.dirac_point(dict(PARAMS, R=0.0), exchange=(0.01, -0.02, 0),
                                   lattice=False)
    r = fermi_surface_anomalous_hall(H, MU, 0.0, quad(0.0, kstar))
    assert abs(r.sigma_xy) < 1e-14


def test_crossing_on_a_search_radius_is_found():
    # k_cut = 1.5 k_F puts k_F exactly on a search radius (n_search = 256):
    # the crossing used to be dropped (sign 0) and the sea cut at k_cut/2.
    m = 0.03
    kf = np.sqrt(MU**2 - m**2) / V
    q = ContinuumPolar(1.5 * kf, n_angles=8, k_cut=1.5 * kf).fermi_sea(
        dirac(m), MU, tail=False)
    assert q.weight[q.band == 1].sum() == pytest.approx(kf**2 / (4 * np.pi), rel=1e-12)


def test_fermi_loop_mass_along_z():
    # h along z: M = m (1 - (3/2) w^2 + (45/8) w^4 + ...), w = lambda q0^2/v
    m, lam = 0.01, PARAMS["R"]
    M = ti_surface.fermi_loop_mass(PARAMS, MU, (0, 0, m))
    w = lam * (MU**2 - m**2) / V**3
    assert M / m - 1 == pytest.approx(-1.5 * w**2, rel=1e-12)


def test_lattice_surface_is_the_slabs_top_surface():
    # D1 = D2 = 0: d_a = sum_n E_n <sigma_a>_n / 2 of the slab's two top
    # states equals the lattice d(k), up to the hybridisation (4e-6 eV).
    N = 20
    k = np.array([[0.1, 0.0], [0.05, 0.2], [-0.2, 0.15]])
    for theta in (0.0, 0.3):
        p = dict(PARAMS, theta=theta)
        e, states, _ = ti_slab.surface_bands(p, N, k[:, 0], k[:, 1])
        d = np.stack([np.einsum("kia,ij,kja,ka->k", states.conj(),
                                np.kron(np.eye(N), ti_slab.SPIN[i]), states, e).real / 2
                      for i in range(3)], -1)
        assert np.abs(d - ti_surface.surface_vector(p, k)).max() < 1e-6


def test_dirac_point_and_mass():
    h = (0.02, 0.03, 0.001)
    for lattice in (False, True):
        kstar = ti_surface.dirac_point(PARAMS, 0.5, h, lattice)
        d = ti_surface.surface_vector(PARAMS, kstar, 0.5, h, lattice)
        assert np.abs(d[:2]).max() < 1e-15
        assert ti_surface.dirac_mass(PARAMS, 0.5, h, lattice) == d[2]
    # continuum: m = h_z + lambda |k*|^3 cos 3 phi*
    ks = np.array([-h[1], h[0]]) / V
    m = h[2] + PARAMS["R"] * (ks[0]**3 - 3 * ks[0] * ks[1]**2)
    assert ti_surface.dirac_mass(PARAMS, exchange=h, lattice=False) == pytest.approx(m)


@pytest.mark.parametrize("args, error, match", [
    (dict(mu="0.1"), TypeError, r"mu.*\[eV\]"),
    (dict(mu=np.nan), ValueError, r"mu.*\[eV\]"),
    (dict(mu_reference=np.inf), ValueError, r"mu_reference.*\[eV\]"),
    (dict(degeneracy_tol=-1.0), ValueError, r"degeneracy_tol.*\[eV\]"),
    (dict(integrator=LatticePockets(np.eye(2), [(0, 0)], 1.0)), TypeError,
     "ContinuumPolar"),
    (dict(hamiltonian=bloch_hamiltonian(lambda k: np.zeros(k.shape[:-1] + (2, 2)),
                                        dim=1)), TypeError, "2D"),
    (dict(integrator=ContinuumPolar(0.1)), ValueError, "k_max"),
])
def test_bad_input_is_refused(args, error, match):
    call = dict(hamiltonian=dirac(0.01), mu=MU, mu_reference=0.0,
                integrator=quad(0.01))
    call.update(args)
    with pytest.raises(error, match=match):
        fermi_surface_anomalous_hall(call["hamiltonian"], call["mu"],
                                     call["mu_reference"], call["integrator"],
                                     degeneracy_tol=call.get("degeneracy_tol", 1e-9))


def test_surface_inputs_are_checked():
    with pytest.raises(ValueError, match="exchange"):
        ti_surface.surface_hamiltonian(PARAMS, exchange=(0.0, 0.1))
    with pytest.raises(ValueError, match="upper band"):
        ti_surface.fermi_loop_mass(PARAMS, 0.005, (0, 0, 0.01))
    with pytest.raises(KeyError, match="A2"):
        ti_surface.surface_hamiltonian({"R": 0.1, "theta": 0.0})


def test_inplane_field_gives_the_warping_mass_at_the_moved_dirac_point():
    # sigma_xy(mu) = -(1/2) M / mu, M = m (1 - c w^2) the Fermi-loop mass;
    # next order ~ (c w^2)^2.
    h = (0.0, -0.05, 0.0)
    H = ti_surface.surface_hamiltonian(PARAMS, exchange=h, lattice=False)
    kstar = ti_surface.dirac_point(PARAMS, exchange=h, lattice=False)
    m = ti_surface.dirac_mass(PARAMS, exchange=h, lattice=False)
    assert m == pytest.approx(PARAMS["R"] * kstar[0] ** 3)
    radius = 1.6 * MU / V + np.linalg.norm(kstar)
    q = ContinuumPolar(radius, kstar, n_angles=32, n_radial=16, k_cut=radius,
                       n_graded=int(np.ceil(np.log2(radius * V / m))) + 3)
    r = fermi_surface_anomalous_hall(H, MU, 0.0, q, degeneracy_tol=0.0)
    M = ti_surface.fermi_loop_mass(PARAMS, MU, h)
    first = abs(M / m - 1)
    assert 1e-3 < first < 1e-2
    assert (r.sigma_xy - 0.5) / (-0.5 * M / MU) == pytest.approx(1, abs=3 * first**2)

