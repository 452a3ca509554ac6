"""Homogeneous state of a lead, edge parameters, gap and Eq. (2)-(4)."""
import numpy as np
import pytest

from kwant_noneq import analytic, edge
from kwant_noneq.bloch import bloch_hamiltonian
from kwant_noneq.homogeneous import (edge_gap, homogeneous_density,
                                     solve_homogeneous_exchange)
from kwant_noneq.systems import bhz

W = 16          # edge-edge splitting 1.4e-7 eV at these parameters


def _edge(**over):
    p = bhz.default_params(A=1.5, B=-1.0, M=-1.0, **over)
    lead = bhz.make_ribbon_lead(W).finalized()
    bands = bloch_hamiltonian(lead, p)
    return bands, bhz.bottom_edge_mask(lead)[:lead.cell_size]


@pytest.fixture(scope="module")
def clean():
    return _edge()


def test_edge_parameters_of_the_clean_edge(clean):
    bands, mask = clean
    ep = edge.edge_parameters(bands, mask, bhz.SPIN, window=0.06, n=11)
    assert np.isclose(ep.velocity, 1.5, rtol=1e-6)          # v = A exactly
    # lambda = L3; the cubic fit of theta(E) sees lattice corrections O(E^2/A^2)
    assert np.isclose(ep.spin_rotation_rate, 0.5, rtol=2e-3)
    assert abs(ep.linear_rotation) < 1e-8
    assert ep.helicity == -1 and abs(ep.dirac_energy) < 1e-9


def test_generic_edge_has_linear_rotation():
    bands, mask = _edge(D=-0.3, rashba=0.2)
    ep = edge.edge_parameters(bands, mask, bhz.SPIN, energy=0.3, window=0.06, n=11)
    assert np.isclose(ep.dirac_energy, 0.3, atol=1e-6)       # E_D = -M D / B
    assert abs(ep.linear_rotation) > 1e-3


def test_homogeneous_spin_density_matches_eq2(clean):
    bands, mask = clean
    mu, dmu = 0.1, 0.01
    rho = homogeneous_density(bands, mu - dmu / 2, mu + dmu / 2, nk=128)
    s = rho.expectation(bhz.SPIN / 2)[:, mask].sum(1) / bands.period
    ref = analytic.spin_density_eq2(1.5, 0.5, mu, dmu)
    # helicity -1: paper frame is a rotation by pi about x
    assert np.isclose(-s[2], ref[2], rtol=5e-3)   # lattice: mu^2/(2A^2) = 0.2%
    assert np.isclose(s[0], ref[0], rtol=1e-2)    # (3/4)(mu/A)^2 + dmu^2/(12 mu^2) = 0.4%
    zero = homogeneous_density(bands, mu, mu)
    assert np.all(zero.density_matrix == 0)


def test_gap_matches_eq4_and_generalised(clean):
    bands, mask = clean
    mu, dmu, U = 0.1, 0.02, 4.0
    st = solve_homogeneous_exchange(bands, bhz.SPIN, mu - dmu / 2, mu + dmu / 2,
                                    U=U, self_consistent=False, nk=128)
    gap = edge_gap(bands, mask, 0.0, state=st, k_window=0.05, nk=21)
    _, pair, _ = edge.dirac_pair(bands, mask)
    g = edge.edge_coupling(bands, pair, U)
    ref = analytic.gap_eq4(1.5, 0.5, mu, dmu, g)
    # corrections: lattice 0.3%, window 0.3%, form factor |B/M| k_F^2 = 0.4%,
    # inter-edge splitting (1.4e-7 / 7e-6)^2 / 2 = 0.02%
    assert np.isclose(gap.gap, ref, rtol=0.03)
    assert np.isclose(gap.gap, edge.generalized_gap(pair, st.potential), rtol=1e-3)


def test_no_gap_without_spin_rotation():
    bands, mask = _edge(L3=0.0)
    st = solve_homogeneous_exchange(bands, bhz.SPIN, 0.095, 0.105, U=4.0,
                                    self_consistent=False, nk=128)
    gap = edge_gap(bands, mask, 0.0, state=st, k_window=0.05, nk=21)
    none = edge_gap(bands, mask, 0.0, k_window=0.05, nk=21)
    # sigma_z is conserved: the field is along z only and cannot open a gap
    assert np.max(np.abs(st.exchange_field[:, :2])) < 1e-12 * np.max(np.abs(st.exchange_field))
    # an exact crossing reads as a gap below 2 |v| k_tol (v = 0.75 eV per cell)
    assert gap.gap <= 2 * none.gap + 2 * 0.75 * 1e-10
    assert abs(gap.k) > 1e-4                     # but the Dirac point moved


def test_homogeneous_scf_and_bad_input(clean):
    bands, mask = clean
    st = solve_homogeneous_exchange(bands, bhz.SPIN, 0.09, 0.11, U=2.0, nk=128,
                                    tol=1e-9)
    assert st.converged
    assert np.allclose(st.exchange_field, -2.0 * st.spin_density, atol=1e-9)
    with pytest.raises(ValueError, match="outside every band"):
        homogeneous_density(bands, 40.0, 40.1)
    with pytest.raises(ValueError, match=">= 0"):
        homogeneous_density(bands, 0.1, 0.11, temperature=-3)
    with pytest.raises(ValueError, match="mask"):
        edge.dirac_pair(bands, mask[:-1])
