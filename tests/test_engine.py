"""The engine's reuse of lead modes and factorisations: iterative updates on a
kept factorisation equal fresh factorisations, repeats are bit-identical,
the work is counted, memory is bounded, Newton converges in few steps."""
import os

import numpy as np
import pytest
import scipy.sparse as sp

from kwant_noneq.blas import blas_report
from kwant_noneq.density import NonequilibriumDensity, local_density
from kwant_noneq.exchange import exchange_potential
from kwant_noneq.factorization import SolverCounts
from kwant_noneq.scattering import LeadModes, ScatteringStates
from kwant_noneq.scf import solve_exchange
from kwant_noneq.transport import CurrentSolver, iv_sweep
from kwant_noneq.systems import bhz

P = bhz.default_params(A=1.5, B=-1.0, M=-1.0, L3=0.5)
BIAS = [0.095, 0.105]


@pytest.fixture(scope="module")
def syst():
    return bhz.make_ribbon(8, 12).finalized()


def _field(syst, size, seed=0):
    return size * np.random.default_rng(seed).standard_normal((len(syst.sites), 3))


def test_iterative_update_equals_fresh_factorisation(syst):
    energies = [0.097, 0.1, 0.104]
    states = ScatteringStates(syst, energies, P)
    V0 = exchange_potential(_field(syst, 1e-3, 0), bhz.SPIN)
    V1 = exchange_potential(_field(syst, 1e-3, 1), bhz.SPIN)
    for node in range(len(energies)):
        states.wave_functions(node, V0)          # factorised with V0
    before = states.counts.copy()
    for node in range(len(energies)):
        iterative = states.wave_functions(node, V1, rtol=1e-13)
        direct = ScatteringStates(syst, energies, P).wave_functions(node, V1)
        for a, b in zip(iterative, direct):
            assert np.max(np.abs(a - b)) < 1e-11 * np.max(np.abs(b))
    spent = states.counts - before
    assert spent.factorizations == 0             # no new factorisation
    assert spent.analyses == 0
    assert spent.solves >= len(energies)


def test_scf_iterative_equals_refactorising_to_tolerance(syst):
    tol = 1e-10
    kw = dict(U=2.0, tol=tol, n_panels=1)
    fast = solve_exchange(syst, bhz.SPIN, BIAS, 0.0, P, **kw)
    slow = solve_exchange(syst, bhz.SPIN, BIAS, 0.0, P, iterative=False, **kw)
    assert fast.converged and slow.converged
    # Both are within tol of the fixed point.
    assert np.max(np.abs(fast.exchange_field - slow.exchange_field)) < 2 * tol
    nodes = len(fast.density.grid)
    assert fast.counts.factorizations == nodes   # one per node, whole SCF
    assert fast.counts.analyses == nodes
    assert fast.counts.lead_modes == nodes
    assert slow.counts.factorizations == nodes * slow.iterations


def test_repeats_are_bit_identical(syst):
    V = exchange_potential(_field(syst, 1e-3), bhz.SPIN)
    runs = [local_density(syst, BIAS, 0.0, P, potential=V, n_panels=1)
            for _ in range(2)]
    assert np.array_equal(runs[0].density_matrix, runs[1].density_matrix)
    a = ScatteringStates(syst, [0.1], P).smatrix(0, V).data
    b = ScatteringStates(syst, [0.1], P).smatrix(0, V).data
    assert np.array_equal(a, b)


def test_counts_and_no_recomputed_density(syst):
    state = solve_exchange(syst, bhz.SPIN, BIAS, 0.0, P, U=2.0, tol=1e-9,
                           n_panels=1)
    assert isinstance(state.counts, SolverCounts)
    assert state.counts.solves > 0
    assert state.density.counts is not None
    # The current at the converged field from the same nodes: no new
    # factorisation or lead modes.
    before = state.states.counts.copy()
    CurrentSolver(syst, BIAS, 0.0, P, n_panels=1, states=state.states)(
        exchange_potential(state.exchange_field, bhz.SPIN))
    spent = state.states.counts - before
    assert spent.factorizations == 0 and spent.lead_modes == 0


def test_strong_potential_falls_back_to_refactorisation(syst):
    states = ScatteringStates(syst, [0.1], P)
    states.wave_functions(0, None)
    V = exchange_potential(_field(syst, 0.5), bhz.SPIN)   # half an eV: no contraction
    before = states.counts.copy()
    psi = states.wave_functions(0, V)
    assert (states.counts - before).refactorizations == 1
    ref = ScatteringStates(syst, [0.1], P).wave_functions(0, V)
    for a, b in zip(psi, ref):
        assert np.array_equal(a, b)


def test_memory_bound_drops_factorisations(syst):
    V = exchange_potential(_field(syst, 1e-3), bhz.SPIN)
    kept = NonequilibriumDensity(syst, BIAS, 0.0, P, n_panels=1)
    dropped = NonequilibriumDensity(syst, BIAS, 0.0, P, n_panels=1,
                                    max_factor_memory=0)
    a, b = kept(V), dropped(V)
    assert kept.states.factor_memory > 0
    assert dropped.states.factor_memory == 0
    assert np.max(np.abs(a.density_matrix - b.density_matrix)) < 1e-12


def test_reset_forgets_earlier_potentials_bit_for_bit(syst):
    """After reset() a node's results are those of a fresh object, bit for
    bit: the reference factorisation, warm start and contraction of the
    potentials solved before are gone; only the analysis is kept."""
    energies = [0.1, 0.104]
    V0 = exchange_potential(_field(syst, 1e-3, 0), bhz.SPIN)
    V1 = exchange_potential(_field(syst, 1e-3, 1), bhz.SPIN)
    V2 = exchange_potential(_field(syst, 1e-3, 2), bhz.SPIN)
    fresh = ScatteringStates(syst, energies, P)
    reference = [[fresh.smatrix(n, V).data for V in (V1, V2)] for n in range(2)]
    used = ScatteringStates(syst, energies, P)
    history = [used.smatrix(n, V0).data for n in range(2)]
    # The premise: without a reset, V1 is solved on V0's factorisation and
    # differs from the fresh object's below rtol, but not bit for bit.
    warm = [used.smatrix(n, V1).data for n in range(2)]
    assert not all(np.array_equal(w, r[0]) for w, r in zip(warm, reference))
    assert all(np.max(np.abs(w - r[0])) < 1e-10 for w, r in zip(warm, reference))
    used.reset()
    before = used.counts.copy()
    again = [[used.smatrix(n, V).data for V in (V1, V2)] for n in range(2)]
    assert all(np.array_equal(a, b) for x, y in zip(again, reference)
               for a, b in zip(x, y))
    spent = used.counts - before
    assert spent.analyses == 0 and spent.factorizations == 2   # one per node
    assert len(history) == 2


def test_dropped_factorisations_give_the_kept_bits(syst):
    """A node over the memory bound factorises its reference again at each
    use: the same bits as a kept factorisation, whatever memory was free."""
    energies = [0.1]
    pots = [exchange_potential(_field(syst, 1e-3, seed), bhz.SPIN)
            for seed in range(3)]
    kept = ScatteringStates(syst, energies, P)
    dropped = ScatteringStates(syst, energies, P, max_factor_memory=0)
    for V in pots:
        assert np.array_equal(kept.smatrix(0, V).data, dropped.smatrix(0, V).data)
        for a, b in zip(kept.wave_function_response(0, V, pots[0]),
                        dropped.wave_function_response(0, V, pots[0])):
            assert np.array_equal(a, b)
    assert kept.factor_memory > 0 and dropped.factor_memory == 0
    assert kept.counts.factorizations == 1
    # one per use (each smatrix, each response), always of the reference
    assert dropped.counts.factorizations == 2 * len(pots)
    assert dropped.counts.refactorizations == 0


def test_lead_modes_shared_between_realisations():
    store = LeadModes()
    energies = [0.1, 0.102]
    out = []
    for salt in ("1", "2"):
        fsyst = bhz.make_ribbon(8, 12).finalized()
        params = dict(P, disorder=0.05, disorder_seed=salt)
        states = ScatteringStates(fsyst, energies, params, lead_modes=store)
        own = ScatteringStates(fsyst, energies, params)
        out.append(states.counts.lead_modes)
        for node in range(2):
            assert np.array_equal(states.smatrix(node).data, own.smatrix(node).data)
    assert out == [2, 0]                          # the second reuses all
    assert store.reused == 2


def test_lead_modes_store_refuses_a_changed_lead():
    store = LeadModes()
    fsyst = bhz.make_ribbon(8, 12).finalized()
    ScatteringStates(fsyst, [0.1], P, lead_modes=store)
    other = dict(P, A=1.4)                        # the lead changes too
    states = ScatteringStates(fsyst, [0.1], other, lead_modes=store)
    assert states.counts.lead_modes == 1
    own = ScatteringStates(fsyst, [0.1], other)
    assert np.array_equal(states.smatrix(0).data, own.smatrix(0).data)


def test_newton_converges_in_three_evaluations(syst):
    kw = dict(U=2.0, tol=1e-9, n_panels=1)
    newton = solve_exchange(syst, bhz.SPIN, BIAS, 0.0, P, method="newton", **kw)
    anderson = solve_exchange(syst, bhz.SPIN, BIAS, 0.0, P, **kw)
    assert newton.converged and newton.iterations <= 3
    assert newton.response_evaluations > 0
    assert np.max(np.abs(newton.exchange_field - anderson.exchange_field)) < 2e-9


def test_density_response_is_the_derivative(syst):
    dens = NonequilibriumDensity(syst, BIAS, 0.0, P, n_panels=1)
    h = _field(syst, 1e-3, 3)
    v = _field(syst, 1.0, 4)
    eps = 1e-6
    V = exchange_potential(h, bhz.SPIN)
    dV = exchange_potential(v, bhz.SPIN)
    linear = dens.response(V, dV, rtol=1e-13)
    plus = dens(V + eps * dV, rtol=1e-13).density_matrix
    minus = dens(V - eps * dV, rtol=1e-13).density_matrix
    central = (plus - minus) / (2 * eps)
    # Central difference: error O(eps^2 |d3 rho|) ~ 1e-12 relative, far below
    # the 1e-6 checked; the linear response must agree to it.
    assert np.max(np.abs(central - linear)) < 1e-6 * np.max(np.abs(linear))


def test_iv_sweep_counts_one_factorisation_per_node_and_bias(syst):
    iv = iv_sweep(syst, bhz.SPIN, 0.1, [0.01, 0.02], 0.0, P, U=2.0, tol=1e-9)
    energies = [p.state.density.grid.energies for p in iv.points]
    nodes = sum(len(e) for e in energies)
    assert iv.counts.factorizations == nodes
    # Windows centred on mu0 share their middle node: modes computed once.
    assert iv.counts.lead_modes == len(np.unique(np.concatenate(energies))) < nodes
    # A sweep keeps no bias's factorisations or linear systems (a 20-bias
    # W = 40, L = 400 sweep held 24 GB before and was killed for memory).
    assert all(p.state.states is None for p in iv.points)


def test_released_states_refactorise_on_demand(syst):
    states = ScatteringStates(syst, [0.1], P)
    pot = exchange_potential(np.full((len(syst.sites), 3), 1e-3), bhz.SPIN)
    before = states.wave_functions(0, pot)
    states.release()
    assert states.factor_memory == 0
    again = states.wave_functions(0, pot)
    assert all(np.allclose(a, b, atol=1e-10) for a, b in zip(before, again))


def test_offblock_potential_is_solved_directly(syst):
    states = ScatteringStates(syst, [0.1], P)
    n = states.num_orb
    V = sp.random(n, n, density=1e-3, random_state=0) * 1e-3
    V = (V + V.T).tocsr()
    psi = states.wave_functions(0, V)
    assert all(np.all(np.isfinite(p)) for p in psi)


def test_blas_report_names_each_library():
    line = blas_report()
    assert "MUMPS on" in line and "NumPy on" in line and "SciPy on" in line


def test_numpy_blas_is_numpys_own():
    # NumPy and SciPy wheels bundle different OpenBLAS builds; the report
    # must give the one NumPy was built with (its own build record says
    # which), not whichever wheel's BLAS loaded first.
    pytest.importorskip("threadpoolctl")
    import numpy
    import scipy.linalg  # noqa: F401  (loads SciPy's BLAS first)
    from kwant_noneq.blas import numpy_blas
    built = getattr(numpy.__config__, "CONFIG", {}).get(
        "Build Dependencies", {}).get("blas", {}).get("version")
    if built is None:
        pytest.skip("this NumPy does not record its BLAS build")
    assert numpy_blas()[1] == built