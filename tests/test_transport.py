"""Landauer currents, self-consistent I-V sweeps and the lattice Born rate."""
import numpy as np
import pytest
import kwant
import scipy.integrate

from kwant_noneq import analytic, edge
from kwant_noneq.bloch import bloch_hamiltonian
from kwant_noneq.homogeneous import cell_potential, solve_homogeneous_exchange
from kwant_noneq.scattering import ScatteringStates
from kwant_noneq.analytic import backscattering_rate_eq5_shifted
from kwant_noneq.transport import (CurrentSolver, born_backscattering, differential_conductance,
                                   iv_sweep, landauer_current,
                                   transmission_matrix)
from kwant_noneq.systems import bhz
from kwant_noneq.systems.helical_edge import HelicalEdge

BASE = dict(A=1.5, B=-1.0, M=-1.0, L3=0.5)


def _wire(length=12, barrier=0.6):
    """Single-channel chain with a Gaussian barrier: smooth T(E) in (0, 1)."""
    lat = kwant.lattice.chain(norbs=1)
    syst = kwant.Builder()
    syst[(lat(i) for i in range(length))] = (
        lambda site: 2 + barrier * np.exp(-((site.pos[0] - length / 2) / 2) ** 2))
    syst[lat.neighbors()] = -1
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = 2
    lead[lat.neighbors()] = -1
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


def test_smatrix_with_potential_matches_kwant():
    params = bhz.default_params(**BASE)
    fsyst = bhz.make_ribbon(10, 12).finalized()
    states = ScatteringStates(fsyst, [0.1, 0.2], params)
    dis = dict(params, disorder=0.5, disorder_seed=7)
    V = (fsyst.hamiltonian_submatrix(params=dis, sparse=True)
         - fsyst.hamiltonian_submatrix(params=params, sparse=True))
    for node, E in enumerate([0.1, 0.2]):
        ours = transmission_matrix(states.smatrix(node, V))
        ref = kwant.smatrix(fsyst, E, params=dis)
        for i in range(2):
            for j in range(2):
                assert abs(ours[i, j] - ref.transmission(i, j)) < 1e-10


def test_transmission_matrix_unitarity():
    fsyst = _wire()
    S = kwant.smatrix(fsyst, 1.0)
    T = transmission_matrix(S)
    assert np.allclose(T.sum(0), 1.0, atol=1e-12)      # one mode in each lead
    assert 0.0 < T[1, 0] < 1.0


def test_landauer_current_against_direct_integral():
    fsyst = _wire()
    mu0, eV = 1.0, 0.4
    mus = [mu0 - eV / 2, mu0 + eV / 2]
    res = landauer_current(fsyst, mus, 0.0, n_panels=2)

    def T(E):
        return kwant.smatrix(fsyst, E).transmission(0, 1)

    ref, _ = scipy.integrate.quad(T, *mus, epsabs=1e-13)
    # smooth T(E): Gauss-Kronrod error far below the 1e-9 asked
    assert abs(res.current - ref) < 1e-9
    assert res.error < 1e-8
    # the deficit is the reflection integral: eV - current (one channel)
    assert abs(res.deficit - (eV - res.current)) < 1e-9


def test_landauer_current_finite_temperature_and_sign():
    fsyst = _wire()
    kT_K = 300.0
    forward = landauer_current(fsyst, [0.9, 1.1], kT_K, n_panels=3)
    backward = landauer_current(fsyst, [1.1, 0.9], kT_K, n_panels=3)
    assert forward.current > 0
    assert abs(forward.current + backward.current) < 1e-10
    # bounded by the ballistic current eV
    assert forward.current < 0.2


def test_current_solver_errors():
    fsyst = _wire()
    with pytest.raises(ValueError, match="different leads"):
        CurrentSolver(fsyst, [0.9, 1.1], source=0, drain=0)
    with pytest.raises(ValueError, match="n_panels"):
        CurrentSolver(fsyst, [0.9, 1.1], n_panels=0)
    zero = landauer_current(fsyst, [1.0, 1.0])
    assert zero.current == 0.0


def test_clean_helical_ribbon_is_ballistic():
    """Two helical edges: I = 2 eV (e^2/h per edge) at T = 0."""
    params = bhz.default_params(**BASE)
    fsyst = bhz.make_ribbon(8, 12).finalized()
    res = landauer_current(fsyst, [0.14, 0.16], 0.0, params, n_panels=1)
    assert abs(res.current - 0.04) < 1e-10
    assert np.allclose(res.transmission, 2.0, atol=1e-9)


def test_differential_conductance():
    V = np.array([0.0, 0.01, 0.03, 0.04])
    I = 2 * V - 5 * V**2
    G = differential_conductance(V, I)
    assert np.allclose(G[1:-1], 2 - 10 * V[1:-1], atol=1e-12)
    with pytest.raises(ValueError):
        differential_conductance([0.0], [0.0])
    with pytest.raises(ValueError):
        differential_conductance([0.0, 0.0], [0.0, 1.0])


def test_iv_sweep_clean_ribbon_and_warm_start():
    """Self-consistent I-V of a short clean ribbon: ballistic 2 e^2/h up to
    the reflection of the field's ends, ~(b/mu)^2 ~ 1e-10; the warm start
    needs no more iterations than the cold start."""
    params = bhz.default_params(**BASE)
    fsyst = bhz.make_ribbon(4, 12).finalized()
    biases = [0.0, 0.01, 0.02]
    warm = iv_sweep(fsyst, bhz.SPIN, 0.15, biases, 0.0, params, U=4.0, tol=1e-10)
    cold = iv_sweep(fsyst, bhz.SPIN, 0.15, biases, 0.0, params, U=4.0, tol=1e-10,
                    warm_start=None)
    assert np.all(warm.converged) and np.all(cold.converged)
    assert np.allclose(warm.currents, 2 * np.array(biases), rtol=0, atol=1e-9)
    assert np.allclose(warm.conductance, 2.0, atol=1e-6)
    assert warm.currents[0] == 0.0
    assert warm.iterations[1:].sum() <= cold.iterations[1:].sum()
    # both converge to the same field
    for a, b in zip(warm.points[1:], cold.points[1:]):
        assert np.max(np.abs(a.state.exchange_field - b.state.exchange_field)) < 1e-8
    with pytest.raises(ValueError, match="warm_start"):
        iv_sweep(fsyst, bhz.SPIN, 0.15, biases, 0.0, params, U=4.0,
                 warm_start="bogus")


@pytest.fixture(scope="module")
def ribbon16():
    params = bhz.default_params(**BASE)
    lead = bhz.make_ribbon_lead(16).finalized()
    bands = bloch_hamiltonian(lead, params)
    mask = bhz.bottom_edge_mask(lead)[:lead.cell_size]
    E_D, pair, _ = edge.dirac_pair(bands, mask)
    return bands, mask, E_D, pair


def test_born_backscattering_vanishes_without_field(ribbon16):
    """Time reversal: scalar disorder cannot backscatter within an edge."""
    bands, mask, E_D, _ = ribbon16
    res = born_backscattering(bands, E_D + 0.15, 0.01, None, mask, nk=128)
    assert res.on(True) < 1e-25 and res.on(False) < 1e-25
    assert np.all((res.right_weight > 1 - 1e-3) | (res.right_weight < 1e-3))


def test_born_backscattering_components_against_eq5(ribbon16):
    """The sigma_x part of the first-order field gives the printed Eq. (5);
    the full field (3 - 1)^2 = 4 times it (Dirac-point shift).  Tolerance:
    lattice corrections O((mu/A)^2) and form factor |B/M| k_F^2, ~5%, x2."""
    bands, mask, E_D, pair = ribbon16
    mu, dmu, U, var = 0.15, 0.04, 4.0, 0.2**2 / 12
    st = solve_homogeneous_exchange(bands, bhz.SPIN, E_D + mu - dmu / 2,
                                    E_D + mu + dmu / 2, U=U, self_consistent=False,
                                    nk=128)
    g = edge.edge_coupling(bands, pair, U)
    l = BASE["A"] ** 2 * U / (var * g)
    eq5 = analytic.backscattering_rate_eq5(BASE["A"], BASE["L3"], mu, dmu, g, l) / BASE["A"]
    only_x = st.exchange_field * np.array([1, 0, 0])
    px = born_backscattering(bands, E_D + mu, var, cell_potential(only_x, bhz.SPIN),
                             mask, nk=128)
    full = born_backscattering(bands, E_D + mu, var, st.potential, mask, nk=128)
    assert abs(px.on(True) / eq5 - 1) < 0.1
    assert abs(full.on(True) / eq5 - 4) < 0.4
    assert abs(full.on(True) / full.on(False) - 1) < 1e-6      # equivalent edges
    shifted = backscattering_rate_eq5_shifted(BASE["A"], BASE["L3"], mu, dmu, g, l)
    assert np.isclose(shifted, 4 * eq5 * BASE["A"])


def test_born_errors(ribbon16):
    bands, mask, E_D, _ = ribbon16
    with pytest.raises(ValueError, match="variance"):
        born_backscattering(bands, 0.1, -1.0)
    with pytest.raises(ValueError, match="mask"):
        born_backscattering(bands, 0.1, 1.0, mask=np.ones(3, bool))
    with pytest.raises(ValueError, match="finite"):
        backscattering_rate_eq5_shifted(1.0, 1.0, np.nan, 1.0, 1.0, 1.0)


@pytest.mark.slow
def test_born_against_kwant_ensemble():
    """Disorder-averaged Kwant reflection of a ribbon with the first-order
    field against the lattice Born rate (64 realisations: ~10% stderr
    without control variate; with it, ~4%).  Tolerance: 3 stderr + 10 %
    (first Born order: the disorder dressing sigma_1D^2/mu^2 ~ 5 %, x 2)."""
    e = HelicalEdge(16, BASE, nk=128)
    mu, U, W, L = 0.15, 4.0, 0.2, 120
    field = e.exchange_field(mu, 0.04, U)
    ens = e.reflection_ensemble(L, W, [mu], [field], [(0, 0)], 64, 99,
                                clean_margin=8)
    born = e.born_backscattering(mu, field, W).mean()
    for R in (ens.raw, ens.corrected):
        per_edge = R[:, 0] / 2 / L
        err = per_edge.std(ddof=1) / np.sqrt(ens.result.n)
        assert abs(per_edge.mean() - born) < 3 * err + 0.1 * born


def test_smatrix_expansion_is_the_first_order_of_the_smatrix():
    """S(eps dH) - S(0) - eps dS = O(eps^2) on a disordered BHZ ribbon, all
    lead blocks, and the unperturbed S-matrix is the one of smatrix()."""
    import scipy.sparse as sp
    params = bhz.default_params(**BASE)
    fsyst = bhz.make_ribbon(10, 8).finalized()
    states = ScatteringStates(fsyst, [0.1, 0.3], params)
    rng = np.random.default_rng(3)
    n = states.num_orb
    base = sp.diags(rng.uniform(-0.1, 0.1, n))
    dH = sp.random(n, n, density=0.02, random_state=4)
    dH = 0.05 * (dH + dH.T)
    for node in range(2):
        ex = states.smatrix_expansion(node, base)
        S0 = states.smatrix(node, base)
        assert np.allclose(ex.smatrix.data, S0.data, atol=1e-12)
        first = ex.first_order(dH)
        assert np.abs(first).max() > 1e-4            # a real test of dS
        rem = [np.abs(states.smatrix(node, base + eps * dH).data - S0.data
                      - eps * first).max() for eps in (1e-2, 5e-3)]
        # the remainder is second order: small, and quartered by halving eps
        assert rem[0] < 0.05 * 1e-2 * np.abs(first).max()
        assert 3.5 < rem[0] / rem[1] < 4.5
        block = ex.first_order(dH, out_lead=1, in_lead=0)
        assert np.allclose(block, first[S0.block_coords(1, 0)])


def test_smatrix_expansion_needs_modes():
    fsyst = _wire()
    states = ScatteringStates(fsyst, [5.0])          # above the chain's band
    with pytest.raises(ValueError, match="no propagating modes"):
        states.smatrix_expansion(0)
