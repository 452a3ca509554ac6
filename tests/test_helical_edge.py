"""The helical edge set-up (kwant_noneq.systems.helical_edge) and the engine
pieces it uses: region.ramp_envelope and exchange.line_range_kernel."""
import numpy as np
import pytest

from kwant_noneq.homogeneous import cell_potential
from kwant_noneq.transport import born_backscattering
from kwant_noneq import analytic
from kwant_noneq.exchange import exchange_potential, line_range_kernel
from kwant_noneq.region import ramp_envelope
from kwant_noneq.systems import bhz
from kwant_noneq.systems.helical_edge import HelicalEdge, reflection_task

BASE = dict(A=1.5, B=-1.0, M=-1.0, L3=0.5)


def test_ramp_envelope():
    L, ramp = 60, 20.0
    x = np.arange(-5, L + 5)
    env = ramp_envelope(x, L, ramp)
    assert np.all((env >= 0) & (env <= 1))
    inside = (x >= ramp) & (x <= L - 1 - ramp)
    assert np.all(env[inside] == 1)
    assert np.all(env[(x < 0) | (x > L - 1)] == 0)
    assert np.allclose(env[(x >= 0) & (x < L)], env[(x >= 0) & (x < L)][::-1])
    assert np.all(np.diff(env[(x >= 0) & (x < ramp)]) > 0)
    # the step is phi(t) / (phi(t) + phi(1 - t)): 1/2 half way
    assert np.isclose(ramp_envelope(ramp / 2 - 0.5, L, ramp), 0.5)
    assert np.all(ramp_envelope(x, L, 0.0) == 1)
    with pytest.raises(ValueError, match="length"):
        ramp_envelope(x, -1.0, ramp)


def test_line_range_kernel():
    syst = bhz.make_ribbon(40, 3, leads=False).finalized()
    sites = syst.sites
    U, xi = 4.0, 3.0
    K = line_range_kernel(sites, U, xi)
    pos = np.array([s.pos for s in sites])
    assert abs(K - K.T).max() == 0
    i, j = K.nonzero()
    assert np.all(pos[i, 1] == pos[j, 1])                  # same row only
    assert np.all(np.abs(pos[i, 0] - pos[j, 0]) <= 5 * xi)
    # away from the ends a row sums to U (Poisson summation: the lattice sum
    # of the unit Gaussian differs from its integral by ~2 exp(-2 pi^2
    # xi^2), and the 5 xi cut drops erfc(5/sqrt 2) ~ 6e-7)
    middle = np.nonzero(np.abs(pos[:, 0] - 20) < 1e-9)[0]
    assert np.allclose(np.asarray(K[middle].sum(1)).ravel(), U, rtol=2e-6)
    row = 1.0 * K[middle[0], middle[0]]
    assert np.isclose(row, U / (np.sqrt(2 * np.pi) * xi))
    with pytest.raises(ValueError, match="xi"):
        line_range_kernel(sites, U, 0.0)
    with pytest.raises(ValueError, match="axis"):
        line_range_kernel(sites, U, xi, axis=2)


@pytest.fixture(scope="module")
def helical():
    return HelicalEdge(12, BASE, nk=128)


def test_edge_parameters_and_mean_free_path(helical):
    e = helical
    assert e.velocity == 1.5 and e.spin_rotation_rate == 0.5
    # Eq. (1) holds exactly for D = rashba = bia = 0 (systems/bhz.py)
    assert np.isclose(e.fit.velocity, 1.5, rtol=1e-3)
    assert abs(e.dirac_energy) < 1e-8
    U, W = 4.0, 0.2
    # l = v^2 U / (var g_1D), the same for any U (g_1D is linear in U)
    assert np.isclose(e.mean_free_path(W), 1.5**2 * U / (W**2 / 12 * e.coupling(U)),
                      rtol=1e-14)
    with pytest.raises(ValueError, match="disorder"):
        e.mean_free_path(-0.1)


def test_born_backscattering(helical):
    """Per-edge Born rates [1/nm] of transport.born_backscattering with the
    cell field; zero without field (time reversal: scalar disorder cannot
    backscatter within an edge), and the bottom edge only for a field on it."""
    e = helical
    mu, W = 0.15, 0.2
    zero = np.zeros((len(e.bands.sites), 3))
    assert np.all(e.born_backscattering(mu, zero, W) < 1e-25)
    field = zero.copy()
    field[e.mask, 0] = 2e-3                   # sigma_x on the bottom edge [eV]
    rates = e.born_backscattering(np.array([0.14, mu]), field, W)
    direct = born_backscattering(e.bands, e.dirac_energy + mu, W**2 / 12,
                                 cell_potential(field, bhz.SPIN), e.mask, 128)
    assert rates.shape == (2, 2)
    assert np.array_equal(rates[1], [direct.on(True), direct.on(False)])
    assert rates[1, 0] > 0 and rates[1, 1] < 1e-6 * rates[1, 0]


def test_field_potential_tiles_the_cell(helical):
    e = helical
    fsyst = e.ribbon(10)
    field = np.random.default_rng(0).standard_normal((len(e.bands.sites), 3))
    pot = e.field_potential(fsyst, field)
    index = {t: n for n, t in enumerate(e.cell_tags)}
    cell = [index[(s.tag[0] % 2, s.tag[1])] for s in fsyst.sites]
    assert abs(pot - exchange_potential(field[cell], bhz.SPIN)).max() == 0
    ramped = e.field_potential(fsyst, field, ramp=3.0, length=10)
    assert abs(ramped).max() <= abs(pot).max()
    assert abs(ramped - pot).max() > 0


def test_clean_edge_does_not_backscatter(helical):
    """Time reversal: without field a clean ribbon's edges transmit fully,
    and disorder alone cannot backscatter within an edge (only between the
    edges, through their overlap, ~exp(-W/decay) at W = 12)."""
    e = helical
    energies = (e.dirac_energy + 0.15,)
    zero = np.zeros((len(e.bands.sites), 3))
    out = reflection_task(0, e.width, e.params, e.cell_tags, 10, 0.0, energies,
                          [zero], [(0, 0)])
    assert out["R"][0] < 1e-20
    assert np.allclose(out["T"][0], 1, atol=1e-12)
    dis = e.disorder_potential(e.ribbon(10), 0.2, 7)
    assert np.allclose(dis.diagonal().real.reshape(-1, 4), dis.diagonal().real[::4, None])
    assert e.disorder_potential(e.ribbon(10), 0.0, 7) is None


def test_first_order_state_against_eq2_and_eq4(helical):
    """Spin density (paper's frame) and gap of the first-order
    current-carrying state against Eq. (2) and Eq. (4).  Tolerance: twice the
    lattice corrections (3/4)(mu a/A)^2 (s_x) or mu^2/(2A^2) (s_z), the
    window's dmu^2/(12 mu^2), (lam mu^2/v^3)^2, and for the gap the form
    factor |B/M| k_F^2 (docs of validation case helical_gap), plus the
    energy quadrature's error."""
    e = helical
    mu, dmu, U = 0.1, 0.01, 2.0
    v, lam = e.velocity, e.spin_rotation_rate
    first = e.state(mu, dmu, U, self_consistent=False, n_panels=1)
    assert np.array_equal(first.exchange_field,
                          e.exchange_field(mu, dmu, U, n_panels=1))
    s = e.spin_density(first)
    ref = analytic.spin_density_eq2(v, lam, mu, dmu)
    qerr = first.density.error / abs(ref[0]) / e.bands.period
    window, curvature = dmu**2 / (12 * mu**2), (lam * mu**2 / v**3) ** 2
    assert abs(s[0] / ref[0] - 1) < 2 * (0.75 * (mu / v) ** 2 + window + curvature) + qerr
    assert abs(s[2] / ref[2] - 1) < 2 * (mu**2 / (2 * v**2) + curvature) + qerr
    gap = e.gap(first).gap
    form_factor = abs(BASE["B"] / BASE["M"]) * (mu / v) ** 2
    tol = 2 * (0.75 * (mu / v) ** 2 + window + curvature + form_factor
               + 0.5 * (e.hybridisation / gap) ** 2) + qerr
    assert abs(gap / analytic.gap_eq4(v, lam, mu, dmu, e.coupling(U)) - 1) < tol
