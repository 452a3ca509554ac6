"""Nonequilibrium scattering-state densities and the finite-system SCF."""
import numpy as np
import pytest
import kwant

from kwant_noneq import analytic
from kwant_noneq.density import NonequilibriumDensity, local_density
from kwant_noneq.exchange import (contact_kernel, exchange_potential,
                                  range_kernel)
from kwant_noneq.scattering import ScatteringStates
from kwant_noneq.scf import solve_exchange
from kwant_noneq.mixing import ConvergenceError
from kwant_noneq.systems import bhz

P = bhz.default_params(A=1.5, B=-1.0, M=-1.0)
S = bhz.SPIN / 2


@pytest.fixture(scope="module")
def syst():
    return bhz.make_ribbon(4, 10).finalized()


def test_wave_functions_equal_kwants(syst):
    states = ScatteringStates(syst, [0.1], P)
    ref = kwant.wave_function(syst, 0.1, params=P)
    for lead, psi in enumerate(states.wave_functions(0)):
        assert np.allclose(psi, ref(lead), atol=1e-12)


def test_added_potential_equals_builder_exchange(syst):
    h = np.array([0.01, -0.02, 0.03])
    states = ScatteringStates(syst, [0.1], P)
    field = np.tile(h, (len(syst.sites), 1))
    wf = states.wave_functions(0, exchange_potential(field, bhz.SPIN))
    ref = kwant.wave_function(syst, 0.1, params=dict(P, exchange=lambda s: h))
    for lead, psi in enumerate(wf):
        # modes are the same (the field is in the scattering region only)
        assert np.allclose(psi, ref(lead), atol=1e-12)


def test_zero_bias_zero_density(syst):
    rho = local_density(syst, [0.1, 0.1], 0.0, P)
    assert np.all(rho.density_matrix == 0)


def test_time_reversal_no_spin_at_zero_bias_finite_T(syst):
    rho = local_density(syst, [0.1, 0.1], 30.0, P, n_panels=2)
    charge = np.max(rho.charge)
    assert charge > 1e-3                      # thermal electrons are there
    # Floor: forward error of the sparse solves (~cond(H - E) * eps, measured
    # 3e-9 relative).  A bias of dmu gives |s| / charge ~ 1e-3, four orders
    # of magnitude above the bound.
    assert np.max(np.abs(rho.expectation(S))) < 1e-7 * charge


def test_quadrature_converges(syst):
    r1 = local_density(syst, [0.08, 0.12], 50.0, P, n_panels=2)
    r2 = local_density(syst, [0.08, 0.12], 50.0, P, n_panels=6)
    diff = np.max(np.abs(r1.density_matrix - r2.density_matrix))
    assert diff <= r1.error + 1e-14
    assert r2.error < r1.error


def test_edge_spin_density_matches_eq2():
    """A factor-2 or sign error in the weights, the 2 pi, or the spin
    operator shows up here: <s_z> per length of the bottom edge, -dmu/(4 pi v)
    in the frame where right movers are spin up (this edge: spin down)."""
    W, L = 12, 6
    syst = bhz.make_ribbon(L, W).finalized()
    mu, dmu = 0.1, 0.01
    rho = local_density(syst, [mu - dmu / 2, mu + dmu / 2], 0.0, P, n_panels=1)
    s = rho.expectation(S)
    x = np.array([site.tag[0] for site in syst.sites])
    col = bhz.bottom_edge_mask(syst) & (x == L // 2)
    sz = -s[2, col].sum()                       # helicity -1 -> paper frame
    ref = analytic.spin_density_eq2(1.5, 0.5, mu, dmu)
    # lattice dispersion correction mu^2/(2 A^2) = 0.2%; inter-edge
    # hybridisation at W = 12 is 2e-6 eV << dmu.
    assert np.isclose(sz, ref[2], rtol=0.005)
    assert np.isclose(s[0, col].sum(), ref[0], rtol=0.02)


@pytest.mark.parametrize("kwargs, match", [
    (dict(chemical_potentials=[50.0, 50.1]), "outside every band"),
    (dict(chemical_potentials=[0.1, 0.2], temperatures=-1), ">= 0"),
    (dict(chemical_potentials=[0.1, np.nan]), "finite"),
    (dict(chemical_potentials=[0.1, 0.2], n_panels=0), "n_panels"),
    (dict(chemical_potentials=[0.1, 0.2], reference_energy=0.15), "below"),
])
def test_density_bad_input(syst, kwargs, match):
    with pytest.raises(ValueError, match=match):
        NonequilibriumDensity(syst, params=P, **kwargs)


@pytest.mark.parametrize("bad", [dict(A=np.nan), dict(M=np.inf)])
def test_nan_parameters_are_refused(syst, bad):
    with pytest.raises(ValueError, match="finite"):
        local_density(syst, [0.1, 0.11], 0.0, dict(P, **bad))


def test_no_leads_and_bad_operator(syst):
    bare = bhz.make_ribbon(4, 6, leads=False).finalized()
    with pytest.raises(ValueError, match="no leads"):
        NonequilibriumDensity(bare, [], 0.0, P)
    rho = local_density(syst, [0.1, 0.11], 0.0, P, n_panels=1)
    with pytest.raises(ValueError, match="does not act"):
        rho.expectation(np.eye(3))
    with pytest.raises(ValueError, match="NaN"):
        rho.expectation(np.full((4, 4), np.nan))


def test_reference_energy_adds_filled_states(syst):
    window = local_density(syst, [0.1, 0.12], 0.0, P, n_panels=1)
    full = local_density(syst, [0.1, 0.12], 0.0, P, n_panels=1,
                         reference_energy=0.0, sea_panels=2)
    extra = full.charge.sum() - window.charge.sum()
    assert extra > 0
    # all leads filled between 0 and 0.1: charge of that slice alone
    slice_ = local_density(syst, [0.1, 0.1], 0.0, P, reference_energy=0.0,
                           sea_panels=2)
    assert np.isclose(extra, slice_.charge.sum(), rtol=1e-10)


def test_kernels(syst):
    K = contact_kernel(syst.sites, 2.0)
    assert np.allclose(K.diagonal(), 2.0) and K.nnz == len(syst.sites)
    R = range_kernel(syst.sites, lambda r: np.exp(-r), cutoff=1.01)
    assert np.allclose(R.diagonal(), 1.0)
    assert np.isclose(R[0, 1], np.exp(-1.0)) and (R - R.T).nnz == 0
    with pytest.raises(ValueError, match="finite"):
        contact_kernel(syst.sites, np.nan)


def test_scf_converges_and_warm_starts(syst):
    mus = [0.09, 0.11]
    sc = solve_exchange(syst, bhz.SPIN, mus, 0.0, P, U=2.0, n_panels=1, tol=1e-10)
    assert sc.converged and sc.residuals[-1] <= 1e-10
    # the fixed point: h = -U s
    assert np.allclose(sc.exchange_field, -2.0 * sc.spin_density, atol=1e-9)
    warm = solve_exchange(syst, bhz.SPIN, mus, 0.0, P, U=2.0, n_panels=1,
                          tol=1e-9, initial_field=sc)
    assert warm.iterations == 1
    lin = solve_exchange(syst, bhz.SPIN, mus, 0.0, P, U=2.0, n_panels=1,
                         tol=1e-10, method="linear", mixing=1.0)
    assert np.allclose(lin.exchange_field, sc.exchange_field, atol=1e-9)


def test_scf_bad_input(syst):
    with pytest.raises(ValueError, match="exactly one"):
        solve_exchange(syst, bhz.SPIN, [0.1, 0.11], 0.0, P)
    with pytest.raises(ValueError, match="tolerance"):
        solve_exchange(syst, bhz.SPIN, [0.1, 0.11], 0.0, P, U=1.0, tol=0)
    with pytest.raises(ValueError, match="shape"):
        solve_exchange(syst, np.eye(4), [0.1, 0.11], 0.0, P, U=1.0)
    with pytest.raises(ConvergenceError):
        solve_exchange(syst, bhz.SPIN, [0.1, 0.11], 0.0, P, U=2.0, max_iter=1,
                       tol=1e-14, n_panels=1)
