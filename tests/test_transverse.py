"""Transverse-momentum integration, regions, and the SCF on a tiny 3D-TI slab."""
import numpy as np
import pytest
import kwant

from kwant_noneq.region import region_kernel, region_mask, region_operator
from kwant_noneq.scf import solve_exchange
from kwant_noneq.transverse import TransverseDensity, momentum_rule
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
