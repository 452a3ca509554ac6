"""The homogeneous ballistic state averaged over a transverse momentum
(kwant_noneq.transverse_homogeneous), and band crossings of exactly
degenerate bands (kwant_noneq.homogeneous)."""
import numpy as np
import pytest
import kwant

from kwant_noneq.homogeneous import LeadBands, homogeneous_density
from kwant_noneq.region import region_kernel
from kwant_noneq.transverse import TransverseDensity
from kwant_noneq.transverse_homogeneous import (
    TransverseHomogeneousDensity, solve_transverse_homogeneous_exchange)
from kwant_noneq.systems import ti_slab

SX = np.array([[0, 1], [1, 0]], complex)
SZ = np.diag([1.0, -1.0]).astype(complex)


def _chain_lead(onsite, hop):
    lat = kwant.lattice.chain(1, norbs=len(onsite))
    lead = kwant.Builder(kwant.TranslationalSymmetry((1,)))
    lead[lat(0)] = onsite
    lead[lat(1), lat(0)] = hop
    return lead.finalized()


def test_degenerate_bands_give_orthogonal_states():
    """Two decoupled copies of a two-band chain, in a random basis: every
    band is exactly doubly degenerate, eigh returns an arbitrary basis of
    each pair, and the density must still be V (rho_1 (x) 1) V^dagger with
    rho_1 the single copy's.  (Before the crossings of a degenerate pair
    were put at one k, each state came from its own eigh and the two could
    be the same state: errors of order one.)"""
    h0, t = 0.3 * SZ, -1.0 * SZ + 0.4j * SX
    rng = np.random.default_rng(1)
    V, _ = np.linalg.qr(rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4)))
    big = lambda m: V @ np.kron(m, np.eye(2)) @ V.conj().T
    one = LeadBands(_chain_lead(h0, t))
    two = LeadBands(_chain_lead(big(h0), big(t)))
    r1 = homogeneous_density(one, 1.52, 1.48, n_panels=1, nk=64)
    r2 = homogeneous_density(two, 1.52, 1.48, n_panels=1, nk=64)
    assert r2.max_crossings == 2 * r1.max_crossings
    expected = big(r1.density_matrix[0])
    assert np.abs(r1.density_matrix).max() > 1e-3
    assert np.allclose(r2.density_matrix[0], expected, atol=1e-12)


A, N, L = 1.0, 4, 3
P = ti_slab.default_params(D1=0.0, D2=0.0)
MU, DMU, RANGE = P["C"] + 0.15, 0.02, (-0.5, 0.5)


@pytest.fixture(scope="module")
def slab():
    return ti_slab.make_slab(L * A, N, a=A).finalized()


def test_clean_slab_equals_homogeneous_node_by_node(slab):
    """A clean slab between leads of the same slab has no interface: its
    scattering states are the leads' Bloch states, and with the same
    momentum rule and energy panels its density is the homogeneous one
    at every site, node by node (4-layer slab, both surfaces degenerate)."""
    bias = [MU + DMU / 2, MU - DMU / 2]
    kw = dict(n_momenta=2, momentum_range=RANGE, n_panels=1)
    fin = TransverseDensity(slab, bias, 0.0, P, **kw)()
    hom = TransverseHomogeneousDensity(slab.leads[1], *bias, 0.0, P, nk=128,
                                       **kw)
    r = hom()
    assert np.array_equal(hom.momenta, fin.momenta)
    tags = [s.tag for s in slab.sites]
    cell = {tuple(s.tag)[1:]: i for i, s in enumerate(hom.sites) if s.tag[0] == 0}
    idx = [cell[tuple(t)[1:]] for t in tags]          # same (y, layer)
    scale = np.abs(r.density_matrix).max()
    assert scale > 1e-4
    assert np.abs(fin.density_matrix - r.density_matrix[idx]).max() < 1e-9 * scale
    assert np.isclose(r.momentum_error, fin.momentum_error, rtol=1e-6)


def test_self_consistent_field_on_top_layer(slab):
    bias = [MU + DMU / 2, MU - DMU / 2]
    hom = TransverseHomogeneousDensity(slab.leads[1], *bias, 0.0, P, nk=128,
                                       n_momenta=2, momentum_range=RANGE,
                                       n_panels=1)
    top = np.array([s.tag[2] == N - 1 for s in hom.sites])
    U = 0.5
    sc = solve_transverse_homogeneous_exchange(
        hom, ti_slab.SPIN, kernel=region_kernel(hom.sites, U, top), tol=1e-12)
    first = solve_transverse_homogeneous_exchange(
        hom, ti_slab.SPIN, kernel=region_kernel(hom.sites, U, top),
        self_consistent=False)
    assert sc.converged and sc.iterations > 1
    assert np.allclose(sc.exchange_field[top], -U * sc.spin_density[top],
                       atol=1e-11)
    assert np.all(sc.exchange_field[~top] == 0)
    # the field is small: self-consistency changes it only slightly
    hmax = np.abs(first.exchange_field).max()
    assert hmax > 1e-6
    assert np.abs(sc.exchange_field - first.exchange_field).max() < 0.1 * hmax


def test_zero_bias_and_bad_input(slab):
    hom = TransverseHomogeneousDensity(slab.leads[1], MU, MU, 0.0, P,
                                       n_momenta=2, momentum_range=RANGE)
    assert np.all(hom().density_matrix == 0)
    with pytest.raises(ValueError, match="k_y"):
        TransverseHomogeneousDensity(slab.leads[1], MU, MU, 0.0, dict(P, k_y=0.1))
    with pytest.raises(ValueError, match="not a parameter"):
        TransverseHomogeneousDensity(slab.leads[1], MU, MU, 0.0, P, momentum="k_z")
    with pytest.raises(TypeError, match="finalized"):
        TransverseHomogeneousDensity(slab, MU, MU, 0.0, P)
    with pytest.raises(TypeError, match="TransverseHomogeneousDensity"):
        solve_transverse_homogeneous_exchange(None, ti_slab.SPIN, kernel=None)
