"""Energy grids: band-edge breakpoints, the momentum substitution, the
adaptive (QAG) refinement and its error estimate, the frozen grid in the
SCF."""
import warnings

import kwant
import numpy as np
import pytest

from kwant_noneq.bandedges import lead_band_edges
from kwant_noneq.density import NonequilibriumDensity
from kwant_noneq.exchange import exchange_potential
from kwant_noneq.quadrature import (GAUSS_POINTS, Panel, QuadratureError,
                                    QuadratureWarning, gauss_grid,
                                    gauss_kronrod_grid, gauss_nodes, integrate,
                                    panels_between)
from kwant_noneq.refinement import QuadratureEstimate, refine_panels
from kwant_noneq.scf import solve_exchange
from kwant_noneq.transport import CurrentSolver

SIGMA = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]])
SPIN = SIGMA / 2

chain = kwant.lattice.chain(norbs=1)
square = kwant.lattice.square(norbs=1)
square2 = kwant.lattice.square(norbs=2)


def _chain_lead(t=1.3):
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[chain(0)] = 0.0
    lead[chain.neighbors()] = -t
    return lead


def _ladder_lead(width, t_perp=1.0):
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    for y in range(width):
        lead[square(0, y)] = 0.0
    lead[kwant.builder.HoppingKind((1, 0), square, square)] = -1.0
    lead[kwant.builder.HoppingKind((0, 1), square, square)] = -t_perp
    return lead.finalized()


def _strip(width=2, length=3, alpha=0.2, barrier=0.7):
    """Square-lattice strip, spin 1/2 with Rashba spin-orbit ``alpha``, a
    barrier on one site: its second subband opens at 2.98 eV."""
    hx = -np.eye(2) + 1j * alpha * SIGMA[1]
    hy = -np.eye(2) - 1j * alpha * SIGMA[0]

    def fill(builder, xs):
        for x in xs:
            for y in range(width):
                builder[square2(x, y)] = 4 * np.eye(2)
        builder[kwant.builder.HoppingKind((1, 0), square2, square2)] = hx
        builder[kwant.builder.HoppingKind((0, 1), square2, square2)] = hy

    syst = kwant.Builder()
    fill(syst, range(length))
    syst[square2(length // 2, 0)] = (4 + barrier) * np.eye(2)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    fill(lead, [0])
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


# -- rules -----------------------------------------------------------------

def test_gauss_rule_exact_to_degree_nine():
    panel = Panel(-0.3, 1.1)
    e, w = gauss_nodes(panel)
    assert len(e) == GAUSS_POINTS == 5
    for p in range(2 * GAUSS_POINTS):
        exact = (1.1 ** (p + 1) - (-0.3) ** (p + 1)) / (p + 1)
        assert np.isclose(np.sum(w * e**p), exact, rtol=1e-14, atol=1e-15)
    exact = (1.1 ** 11 - (-0.3) ** 11) / 11           # degree 10: not exact
    assert abs(np.sum(w * e**10) - exact) > 1e-6


def test_substitution_integrates_inverse_sqrt():
    above = gauss_grid(panels_between([0.0, 1.0], 1, edges=[0.0]))
    assert np.isclose(np.sum(above.kronrod_weights / np.sqrt(above.energies)),
                      2.0, rtol=1e-14)
    below = gauss_grid(panels_between([-1.0, 0.0], 1, edges=[0.0]))
    assert np.isclose(np.sum(below.kronrod_weights / np.sqrt(-below.energies)),
                      2.0, rtol=1e-14)
    # The cusp sqrt(E_b - E) on the closed side, and the two together.
    assert np.isclose(np.sum(below.kronrod_weights * np.sqrt(-below.energies)),
                      2 / 3, rtol=1e-14)
    plain = gauss_grid(panels_between([0.0, 1.0], 1))
    assert abs(np.sum(plain.kronrod_weights / np.sqrt(plain.energies)) - 2) > 0.1
    # Bisection keeps the map: halves of a substituted panel are too.
    left, right = panels_between([0.0, 1.0], 1, edges=[0.0])[0].halves()
    assert left.origin == right.origin == 0.0 and left.hi == right.lo
    halves = gauss_grid([left, right])
    assert np.isclose(np.sum(halves.kronrod_weights / np.sqrt(halves.energies)),
                      2.0, rtol=1e-14)


def test_kronrod_grid_with_edges_and_default_unchanged():
    plain = gauss_kronrod_grid([0.0, 0.3, 1.0], 3)
    same = gauss_kronrod_grid([0.0, 0.3, 1.0], 3, edges=())
    assert np.array_equal(plain.energies, same.energies)
    assert np.array_equal(plain.kronrod_weights, same.kronrod_weights)
    g = gauss_kronrod_grid([0.0, 0.5, 1.0], 2, edges=[0.5])
    f = 1 / np.sqrt(np.abs(g.energies - 0.5))
    value, err = integrate(g, f)
    assert abs(value - 2 * np.sqrt(2)) < 1e-13 and err < 1e-13


# -- band edges ------------------------------------------------------------

def test_chain_band_edges():
    lead = _chain_lead(1.3).finalized()
    assert np.allclose(lead_band_edges(lead), [-2.6, 2.6], atol=1e-12)
    assert np.allclose(lead_band_edges(lead, None, 0.0, 5.0), [2.6], atol=1e-12)
    assert len(lead_band_edges(lead, None, -1.0, 1.0)) == 0


def test_ladder_band_edges():
    # Subbands -2 cos k - 2 cos(pi j / 4), j = 1, 2, 3.
    shifts = -2 * np.cos(np.pi * np.arange(1, 4) / 4)
    expected = np.sort(np.concatenate([shifts - 2, shifts + 2]))
    assert np.allclose(lead_band_edges(_ladder_lead(3)), expected, atol=1e-10)


def test_two_orbital_lead_no_false_crossings():
    """Bands -2 cos k and cos k + 0.3 cross at E = 0.2: the sorted bands
    have kinks there, extrema of each sorted band, but no mode opens."""
    lat = kwant.lattice.chain(norbs=2)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = np.diag([0.0, 0.3])
    lead[lat.neighbors()] = np.diag([-1.0, 0.5])
    lead = lead.finalized()
    edges = lead_band_edges(lead)
    assert np.allclose(edges, [-2.0, -0.7, 1.3, 2.0], atol=1e-10)

    def nmodes(energy):
        return lead.modes(energy)[1].nmodes
    # Kwant's own mode count (independent of the k mesh) confirms: it changes
    # at each edge and not at the crossing.
    for e in edges:
        assert nmodes(e - 1e-6) != nmodes(e + 1e-6)
    assert nmodes(0.2 - 1e-6) == nmodes(0.2 + 1e-6)


# -- refinement ------------------------------------------------------------

def test_refinement_reaches_tolerance():
    exact = (1 - np.exp(-3) * (np.cos(60) - 20 * np.sin(60))) / 401
    start = panels_between([0.0, 3.0], 1)
    result = refine_panels(start, lambda e: np.exp(-e) * np.cos(20 * e),
                           rtol=1e-8)
    est = result.estimate
    assert isinstance(est, QuadratureEstimate) and est.converged
    assert est.tolerance == pytest.approx(1e-8 * abs(result.integral))
    assert abs(result.integral - exact) <= est.error <= est.tolerance
    assert est.n_nodes == GAUSS_POINTS * est.n_panels == len(
        gauss_grid(result.panels))
    # A peak: the panels crowd around it.
    peak = refine_panels(start, lambda e: 1 / ((e - 1.0) ** 2 + 1e-4), rtol=1e-7)
    assert abs(peak.integral - 100 * (np.arctan(200) + np.arctan(100))) <= (
        1e-7 * peak.integral)
    narrowest = min(peak.panels, key=lambda p: p.hi - p.lo)
    assert abs((narrowest.lo + narrowest.hi) / 2 - 1.0) < 0.05


def test_max_panels_error():
    start = panels_between([0.0, 3.0], 1)
    with pytest.raises(QuadratureError, match="max_panels"):
        refine_panels(start, lambda e: 1 / ((e - 1.0) ** 2 + 1e-6), rtol=1e-10,
                      max_panels=6)


# -- densities -------------------------------------------------------------

def _chain_system(length=4):
    syst = kwant.Builder()
    for x in range(length):
        syst[chain(x)] = 0.0
    syst[chain.neighbors()] = -1.0
    syst[chain(1)] = 0.5
    syst.attach_lead(_chain_lead(1.0))
    syst.attach_lead(_chain_lead(1.0).reversed())
    return syst.finalized()


def test_smooth_window_five_nodes_per_panel():
    syst = _chain_system()
    density = NonequilibriumDensity(syst, [-0.2, 0.2], n_panels=3,
                                    quadrature_tol=1e-3)
    assert len(density.band_edges) == 0                 # |E| < 2: no edge
    assert density.estimate.n_panels == 3               # nothing bisected
    assert len(density.grid) == len(density.states) == 5 * 3
    rho = density()
    fixed = NonequilibriumDensity(syst, [-0.2, 0.2], n_panels=3)()
    assert len(fixed.grid) == 15 * 3
    assert np.max(np.abs(rho.charge - fixed.charge)) <= (
        density.estimate.tolerance + fixed.error)
    assert max_panels_refusal(syst)


def max_panels_refusal(syst):
    with pytest.raises(QuadratureError, match="max_panels"):
        NonequilibriumDensity(syst, [-0.2, 0.2], n_panels=1, quadrature_tol=1e-15,
                              max_panels=1)
    return True


@pytest.fixture(scope="module")
def strip():
    return _strip()


@pytest.fixture(scope="module")
def reference(strip):
    """Brute force: 12 Gauss-Kronrod panels (180 nodes), substitution on."""
    density = NonequilibriumDensity(strip, [2.5, 3.5], n_panels=12,
                                    band_edges=True, observable=SPIN)
    return density, density()


TOL = 1e-5


def test_band_edge_inside_window(strip, reference):
    ref_density, ref = reference
    assert np.allclose(ref_density.band_edges, [2.9818255], atol=1e-6)
    # The reference's own estimates: far below what is tested against it.
    assert ref.error < 1e-3 * TOL * np.max(np.abs(ref.density_matrix))
    ref_spin = ref.expectation(SPIN)
    assert ref.observable_error < 1e-3 * TOL * np.max(np.abs(ref_spin))

    entries = NonequilibriumDensity(strip, [2.5, 3.5], quadrature_tol=TOL)()
    spin = NonequilibriumDensity(strip, [2.5, 3.5], quadrature_tol=TOL,
                                 observable=SPIN)()
    fixed = NonequilibriumDensity(strip, [2.5, 3.5])()          # 4 panels

    def charge_diff(rho):
        return np.max(np.abs(rho.density_matrix - ref.density_matrix))

    def spin_diff(rho):
        return np.max(np.abs(rho.expectation(SPIN) - ref_spin))

    charge_scale = np.max(np.abs(ref.density_matrix))
    spin_scale = np.max(np.abs(ref_spin))
    assert charge_diff(entries) <= TOL * charge_scale + ref.error
    assert spin_diff(spin) <= TOL * spin_scale + ref.observable_error
    # The default grid without band edges is measurably worse, on both.
    assert charge_diff(fixed) > 10 * charge_diff(entries)
    assert spin_diff(fixed) > 10 * spin_diff(spin)
    assert charge_diff(fixed) > TOL * charge_scale
    # Fewer nodes than the fixed grid's 60 are not the point; they are few.
    assert len(spin.grid) == 5 * spin.estimate.n_panels


def test_observable_error_on_its_own_scale(strip, reference):
    _, ref = reference
    rho = NonequilibriumDensity(strip, [2.5, 3.5], quadrature_tol=TOL,
                                observable=SPIN)()
    est = rho.estimate
    spin_scale = np.max(np.abs(ref.expectation(SPIN)))
    charge_scale = np.max(np.abs(ref.density_matrix))
    assert spin_scale < 0.2 * charge_scale       # a small observable
    assert est.scale == pytest.approx(spin_scale, rel=10 * TOL)
    assert est.tolerance == pytest.approx(TOL * est.scale)
    assert rho.observable_error == est.error <= est.tolerance
    # The density matrix's entries are tracked on theirs.
    assert rho.error == est.tracked_error
    # Fixed grid: the observable's K15 - G7 estimate is its own too.
    fixed = NonequilibriumDensity(strip, [2.5, 3.5], n_panels=2,
                                  observable=SPIN)()
    assert fixed.observable_error < fixed.error


def test_estimate_error_keeps_the_grid(strip):
    density = NonequilibriumDensity(strip, [2.5, 3.5], quadrature_tol=1e-4,
                                    observable=SPIN)
    energies = density.grid.energies.copy()
    n = len(density.states)
    field = np.tile([0.0, 0.0, 0.05], (len(strip.sites), 1))
    est = density.estimate_error(exchange_potential(field, SIGMA))
    assert len(density.states) == n
    assert np.array_equal(density.states.energies, energies)
    assert np.array_equal(density.grid.energies, energies)
    assert est.n_panels == density.estimate.n_panels
    assert est.n_evaluations == 3 * est.n_nodes
    assert est.error != density.estimate.error


def test_scf_adaptive_grid_frozen(strip, monkeypatch):
    """Refined at zero field, the grid meets its tolerance there; the
    converged exchange field splits the bands, the estimate there misses
    it, and the SCF says so (never silent).  The remedy it names, a second
    solve started from the converged field, refines there."""
    grids = []
    call = NonequilibriumDensity.__call__

    def recording(self, potential=None, rtol=None):
        grids.append((self.grid.energies.copy(), self.states.energies.copy()))
        return call(self, potential, rtol)

    monkeypatch.setattr(NonequilibriumDensity, "__call__", recording)
    kwargs = dict(U=1.0, tol=1e-9, quadrature_tol=1e-5, observable=SPIN)
    with pytest.warns(QuadratureWarning, match="initial_field"):
        sc = solve_exchange(strip, SIGMA, [2.5, 3.5], 0.0, **kwargs)
    assert sc.converged and len(grids) >= 3
    first = grids[0][0]
    for grid, nodes in grids:
        assert np.array_equal(grid, first) and np.array_equal(nodes, first)
    assert np.array_equal(sc.states.energies, first)
    est = sc.quadrature_estimate
    assert isinstance(est, QuadratureEstimate) and not est.converged
    assert sc.quadrature_error == est.tracked_error
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuadratureWarning)
        again = solve_exchange(strip, SIGMA, [2.5, 3.5], 0.0, initial_field=sc,
                               **kwargs)
    assert again.quadrature_estimate.converged


def test_current_with_band_edges(strip):
    ref = CurrentSolver(strip, [2.5, 3.5], n_panels=8, band_edges=True)()
    default = CurrentSolver(strip, [2.5, 3.5])()
    edges = CurrentSolver(strip, [2.5, 3.5], band_edges=True)()
    assert ref.error < 1e-3 * abs(default.current - ref.current)
    assert abs(edges.current - ref.current) < abs(default.current - ref.current)
    assert abs(edges.current - ref.current) <= edges.error + ref.error


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(quadrature_tol=-1e-3), ValueError, "quadrature_tol"),
    (dict(quadrature_tol="1e-3"), TypeError, "quadrature_tol"),
    (dict(quadrature_atol=1e-6), ValueError, "needs quadrature_tol"),
    (dict(quadrature_tol=0.0), ValueError, "quadrature_atol"),
    (dict(band_edges="yes"), TypeError, "band_edges"),
    (dict(quadrature_tol=1e-3, max_panels=0), ValueError, "max_panels"),
    (dict(quadrature_tol=1e-3, max_panels=2), ValueError, "starting panels"),
    (dict(quadrature_tol=1e-3, observable=np.eye(3)), ValueError, "does not act"),
    (dict(refinement_potential=np.eye(3)), ValueError, "needs quadrature_tol"),
    (dict(quadrature_tol=1e-3, refinement_potential=np.eye(3)), ValueError,
     "refinement_potential"),
])
def test_grid_options_refused(strip, kwargs, error, match):
    with pytest.raises(error, match=match):
        NonequilibriumDensity(strip, [2.5, 3.5], **kwargs)


def test_states_refused_with_adaptive_grid(strip):
    fixed = NonequilibriumDensity(strip, [2.5, 3.5], n_panels=1)
    with pytest.raises(ValueError, match="lead_modes"):
        NonequilibriumDensity(strip, [2.5, 3.5], quadrature_tol=1e-3,
                              states=fixed.states)


def test_iv_sweep_on_adaptive_grid(strip):
    """iv_sweep forwards the grid keywords; the current is integrated on the
    density's own adaptive grid and solutions (no new factorisation) and
    agrees with a brute-force fixed grid at the same field."""
    from kwant_noneq.transport import iv_sweep
    iv = iv_sweep(strip, SIGMA, 3.0, [0.8, 1.0], 0.0, U=0.2, tol=1e-9,
                  quadrature_tol=1e-6, observable=SPIN)
    scf = sum(p.state.counts.factorizations for p in iv.points)
    assert iv.counts.factorizations == scf      # the current added none
    for p in iv.points:
        assert np.isnan(p.current.error)          # a Gauss grid: no embedded estimate
        mus = [3.0 - p.bias / 2, 3.0 + p.bias / 2]
        pot = exchange_potential(p.state.exchange_field, SIGMA)
        ref = CurrentSolver(strip, mus, n_panels=8, band_edges=True)(pot)
        # The grid meets 1e-6 on the spin density; the current's integrand
        # is built from the same wave functions but is another observable,
        # whose error the estimate does not bound: allow ten times that.
        assert abs(p.current.current - ref.current) < 1e-5 * abs(ref.current)


def test_current_grid_must_cover_the_window(strip):
    density = NonequilibriumDensity(strip, [2.6, 3.4], quadrature_tol=1e-4)
    with pytest.raises(ValueError, match="covers"):
        CurrentSolver(strip, [2.5, 3.5], grid=density.grid)
