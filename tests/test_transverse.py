"""Transverse-momentum integration, regions, and the SCF on a tiny 3D-TI slab."""
import numpy as np
import pytest
import kwant

from kwant_noneq.region import region_kernel, region_mask, region_operator
from kwant_noneq.scf import solve_exchange
from kwant_noneq.transverse import (TransverseDensity, coarse_rule_average,
                                   companion_rule, mode_momenta, momentum_rule)
from kwant_noneq.systems import ti_slab

A = 0.5
S = ti_slab.SPIN / 2
P = ti_slab.default_params()
# Bias window in the top surface band of a 4-layer slab; the states live at
# |k_y| < 0.3 (Bloch phase per 0.5 nm period), so a range of +-0.6 holds them.
MU, DMU, RANGE = 0.2, 0.02, (-0.6, 0.6)


@pytest.fixture(scope="module")
def slab():
    return ti_slab.make_slab(1.0, 4, a=A).finalized()


def _strip(ty=0.1):
    """Two-site chain between leads, periodic in y with weak hopping ty:
    at |E| < 2 - 2 ty every k_y has one open channel, so rho(k_y) is smooth
    and periodic."""
    lat = kwant.lattice.square(1, norbs=1)
    syst = kwant.Builder(kwant.TranslationalSymmetry((0, 1)))
    for x in range(2):
        syst[lat(x, 0)] = lambda site, V: V
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0), (0, 1)))
    lead[lat(0, 0)] = 0.0
    for b in (syst, lead):
        b[kwant.builder.HoppingKind((1, 0), lat)] = -1.0
        b[kwant.builder.HoppingKind((0, 1), lat)] = -ty
    syst = kwant.wraparound.wraparound(syst, coordinate_names="y")
    lead = kwant.wraparound.wraparound(lead, keep=0, coordinate_names="xy")
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


def test_rules():
    k, w = momentum_rule(4)
    assert np.allclose(k, [-np.pi, -np.pi / 2, 0, np.pi / 2]) and np.isclose(w.sum(), 1)
    k, w = momentum_rule(4, "uniform", (-1.0, 1.0))
    assert len(k) == 5 and np.allclose(k, -k[::-1]) and np.isclose(w.sum(), 1 / np.pi)
    k, w = momentum_rule(3, "gauss")
    assert np.allclose(k, -k[::-1]) and np.isclose(w.sum(), 1)


def test_smooth_integrand_converges_spectrally():
    """Periodic trapezoid on a smooth periodic rho(k): the n -> 2n change
    falls by orders of magnitude per doubling, and the nested estimate
    bounds the true error (taken from the converged 16-point rule)."""
    syst = _strip()
    run = lambda n: TransverseDensity(syst, [0.1, -0.1], 0.0, dict(V=0.3),
                                      n_momenta=n, n_panels=1)()
    r = {n: run(n) for n in (2, 4, 8, 16)}
    d = [np.abs(r[n].density_matrix - r[16].density_matrix).max() for n in (2, 4, 8)]
    assert d[0] > 1e-5 and d[1] < d[0] / 10 and d[2] < d[1] / 100
    for n, err in zip((2, 4, 8), d):
        assert err <= r[n].momentum_error + 1e-15
    assert r[16].momentum_error < 1e-11
    assert np.isinf(run(3).momentum_error)          # odd n: no estimate


def test_slab_k_quadrature_converges(slab):
    """T = 0: rho(k_y) has square-root points at the Fermi points of the
    surface band, so the convergence is algebraic and, at 4 nodes, still
    pre-asymptotic: the estimate is of the size of the change to the finer
    rule (measured: change 2.8e-5, estimate 2.1e-5), not a bound."""
    run = lambda n: TransverseDensity(slab, [MU + DMU / 2, MU - DMU / 2], 0.0,
                                      P, n_momenta=n, momentum_range=RANGE,
                                      n_panels=1)()
    r4, r8 = run(4), run(8)
    s4, s8 = r4.expectation(S), r8.expectation(S)
    assert np.abs(s8).max() > 1e-6                     # a real spin density
    change = np.abs(r8.density_matrix - r4.density_matrix).max()
    assert r4.momentum_error / 2 <= change <= 2 * r4.momentum_error
    # nested: the 8-node rule's coarse half is the 4-node rule
    assert np.isclose(r8.momentum_error, change, rtol=1e-10)


def test_zero_bias_and_odd_in_bias(slab):
    kw = dict(n_momenta=4, momentum_range=RANGE, n_panels=1)
    zero = TransverseDensity(slab, [MU, MU], 0.0, P, **kw)()
    assert np.all(zero.density_matrix == 0)
    fwd = TransverseDensity(slab, [MU + DMU / 2, MU - DMU / 2], 0.0, P, **kw)()
    back = TransverseDensity(slab, [MU - DMU / 2, MU + DMU / 2], 0.0, P, **kw)()
    sf, sb = fwd.expectation(S), back.expectation(S)
    scale = np.abs(sf).max()
    assert scale > 1e-6
    # time reversal maps k -> -k and the rule's nodes are symmetric: the
    # equilibrium window's spin cancels node by node, to solver precision
    assert np.abs(sf + sb).max() < 1e-8 * scale


def test_average_is_weighted_mean(slab):
    td = TransverseDensity(slab, [MU + DMU / 2, MU - DMU / 2], 0.0, P,
                           n_momenta=2, momentum_range=RANGE, n_panels=1)
    r = td()
    mean = sum(w * x.density_matrix for w, x in zip(td.weights, r.per_momentum))
    assert np.allclose(r.density_matrix, mean, rtol=0, atol=1e-15)
    assert r.counts.factorizations == sum(x.counts.factorizations
                                          for x in r.per_momentum)
    assert r.error == r.energy_error + r.momentum_error


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(momentum="k_z"), ValueError, "k_z.*not a parameter"),
    (dict(momentum=3), TypeError, "momentum"),
    (dict(n_momenta=0), ValueError, "n_momenta"),
    (dict(n_momenta=2.5), TypeError, "n_momenta"),
    (dict(rule="simpson"), ValueError, "rule"),
    (dict(momentum_range=(1.0, -1.0)), ValueError, "momentum_range"),
    (dict(momentum_range=(-4.0, 4.0)), ValueError, "Brillouin"),
    (dict(quadrature_tol=1e-3), ValueError, "quadrature_tol"),
    (dict(params=dict(P, k_y=0.1)), ValueError, "k_y"),
    (dict(params=dict(P, k_yy=0.1)), ValueError, "did you mean"),
    (dict(chemical_potentials=[0.1, 0.2, 0.3]), ValueError, "lead"),
])
def test_bad_input(slab, kwargs, error, match):
    args = dict(chemical_potentials=[0.21, 0.19], params=P)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        TransverseDensity(slab, **args)


def test_no_modes_anywhere(slab):
    # the window lies in the hybridisation gap: no node has a mode
    with pytest.raises(ValueError, match="no lead has propagating modes"):
        TransverseDensity(slab, [0.305, 0.295], 0.0, P, n_momenta=2,
                          momentum_range=(1.0, 2.0), n_panels=1)


def test_regions(slab):
    top = lambda site: site.tag[2] == 3
    mask = region_mask(slab.sites, top)
    assert mask.sum() == len(slab.sites) // 4
    op = region_operator(slab.sites, S, top, 4)
    assert op.shape == (3, len(slab.sites), 4, 4)
    assert np.array_equal(op[:, ~mask], np.zeros_like(op[:, ~mask]))
    # the surface case equals the slab's own projector times spin
    Ptop = ti_slab.surface_projectors(slab, 1)[0]
    assert np.allclose(region_operator(slab.sites, Ptop[None] @ S[:, None], mask, 4),
                       Ptop[None] @ S[:, None])
    K = region_kernel(slab.sites, 0.5, top)
    assert np.allclose(K.diagonal(), 0.5 * mask)
    with pytest.raises(ValueError, match="no site"):
        region_mask(slab.sites, lambda s: False)
    with pytest.raises(ValueError, match="sites"):
        region_mask(slab.sites, np.ones(3, bool))
    with pytest.raises(TypeError, match="boolean"):
        region_mask(slab.sites, np.ones(len(slab.sites)))


def test_scf_on_top_layer(slab):
    """solve_exchange on the k-averaged density with a contact U on the top
    layer: converges, h = -U s there and zero elsewhere."""
    top = region_mask(slab.sites, lambda site: site.tag[2] == 3)
    td = TransverseDensity(slab, [MU + DMU / 2, MU - DMU / 2], 0.0, P,
                           n_momenta=2, momentum_range=RANGE, n_panels=1)
    U = 0.5
    sc = solve_exchange(slab, ti_slab.SPIN,
                        kernel=region_kernel(slab.sites, U, top),
                        density=td, tol=1e-10)
    assert sc.converged
    assert np.allclose(sc.exchange_field[top], -U * sc.spin_density[top], atol=1e-9)
    assert np.all(sc.exchange_field[~top] == 0)
    assert np.abs(sc.exchange_field).max() > 1e-7
    with pytest.raises(ValueError, match="chemical_potentials.*density="):
        solve_exchange(slab, ti_slab.SPIN, [0.21, 0.19], U=U, density=td)
    with pytest.raises(ValueError, match="refine"):
        solve_exchange(slab, ti_slab.SPIN, U=U, density=td, refine=True)


# --- the 'panels' rule: breakpoints at the square-root points of rho(k_y) ----
#
# A clean square lattice (hoppings -1 along x, -1 along y) wrapped in y: at
# k_y the lead is a chain of band -2 cos k_x + E_y, E_y = -2 cos k_y, with a
# mode at energy E iff |E - E_y| < 2.  The T = 0 window [MU_R, MU_L] holds
# the right movers with k_x in (0, pi) and -2 cos k_x in [MU_R - E_y,
# MU_L - E_y], so per site rho(k_y) = Delta k_x / 2 pi in closed form, with
# square-root points where a mode closes at MU_L or MU_R:
# cos k_y = (2 - mu) / 2.

MU_L, MU_R = 1.1, 0.9


def _square_strip_rho(ky):
    kx = lambda mu: np.arccos(np.clip(-(mu + 2 * np.cos(ky)) / 2, -1, 1))
    return (kx(MU_L) - kx(MU_R)) / (2 * np.pi)


def _square_strip_points():
    k = np.arccos((2 - np.array([MU_L, MU_R])) / 2)
    return np.sort(np.concatenate([-k, k]))


# (1/2pi) int dk rho(k): scipy quad in u = sqrt(|k - k_c|) on each smooth
# piece (and, independently, quad with the points: the two agree to 1e-17)
SQUARE_STRIP_EXACT = 0.014199681472862886


def test_panels_rule_converges_exponentially():
    """The uniform trapezoid converges algebraically (and erratically) on
    the square-root points; the panel rule with breakpoints there converges
    exponentially in the panels per interval, and its companion estimate
    (n // 2 panels) bounds the error.  Measured errors: uniform 2.2e-4,
    1.4e-5 at 64, 256 nodes; panels 2.6e-6, 2.7e-8, 5.4e-9, 5.4e-10 at 1,
    2, 3, 4 panels per interval (40, 80, 120, 160 nodes)."""
    bp = _square_strip_points()
    exact = SQUARE_STRIP_EXACT
    k, w = momentum_rule(256)
    assert abs(w @ _square_strip_rho(k) - exact) > 5e-4 * exact   # 9.9e-4
    errors = []
    for n in (8, 16, 24, 32):                     # 8 intervals: 1..4 each
        k, w = momentum_rule(n, "panels", breakpoints=bp)
        assert len(k) == 5 * n and np.isclose(w.sum(), 1)
        assert np.allclose(k, -k[::-1])           # symmetric: k -> -k
        q = w @ _square_strip_rho(k)
        errors.append(abs(q - exact))
        ke, _ = companion_rule(n, "panels", breakpoints=bp)
        lower = coarse_rule_average(_square_strip_rho(k), _square_strip_rho(ke),
                                    w, "panels", breakpoints=bp)
        if n == 8:
            assert lower is None                  # companion = rule: no estimate
        else:
            assert errors[-1] <= abs(q - lower)
    assert errors[0] < 1e-3 * exact and errors[-1] < 1e-7 * exact
    assert errors[1] < errors[0] / 30 and errors[3] < errors[1] / 30


def test_panels_rule_input():
    with pytest.raises(ValueError, match="rule='panels'"):
        momentum_rule(4, "gauss", breakpoints=[0.1])
    with pytest.raises(ValueError, match="must lie in momentum_range"):
        momentum_rule(4, "panels", (-1.0, 1.0), breakpoints=[1.5])
    with pytest.raises(ValueError, match="neither breakpoints"):
        momentum_rule(4, "panels", (-1.0, 1.0), breakpoints=[0.5], edges=[0.3])
    # a range end may be a square-root point; edges=() gives plain panels
    k, w = momentum_rule(4, "panels", (-1.0, 1.0), edges=[-1.0, 1.0])
    assert np.isclose(w.sum(), 1 / np.pi) and len(k) == 20
    k0, _ = momentum_rule(2, "panels", (-1.0, 1.0), breakpoints=[0.0], edges=())
    assert np.allclose(k0[:5], (momentum_rule(5, "gauss", (-1.0, 0.0))[0]))


def _square_strip():
    lat = kwant.lattice.square(1, norbs=1)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0), (0, 1)))
    lead[lat(0, 0)] = 0.0
    lead[kwant.builder.HoppingKind((1, 0), lat)] = -1.0
    lead[kwant.builder.HoppingKind((0, 1), lat)] = -1.0
    return kwant.wraparound.wraparound(lead, keep=0,
                                       coordinate_names="xy").finalized()


def test_mode_momenta_square_strip():
    """The mode count of the wrapped lead changes where cos k_y =
    (2 - mu) / 2 (closed form above), found by bisection."""
    found = mode_momenta(_square_strip(), [MU_L, MU_R], n_scan=8, xtol=1e-11)
    assert np.allclose(found, _square_strip_points(), atol=1e-10)
