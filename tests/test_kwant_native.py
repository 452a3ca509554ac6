"""Kwant-native interfaces (issue 12, section 5): ``kwant.operator.Density``
wherever an onsite operator is taken, and ``params=`` by keyword."""
import numpy as np
import pytest
import kwant

from kwant_noneq.density import (NonequilibriumDensity, check_onsite_operator,
                                 expectation, local_density)
from kwant_noneq.exchange import check_spin_operators, exchange_potential, spin_density
from kwant_noneq.systems import bhz

P = bhz.default_params(A=1.5, B=-1.0, M=-1.0)
S = bhz.SPIN / 2
MUS = [0.1, 0.11]


@pytest.fixture(scope="module")
def syst():
    return bhz.make_ribbon(4, 6).finalized()


@pytest.fixture(scope="module")
def rho(syst):
    return local_density(syst, MUS, 0.0, params=P, n_panels=1)


def _bottom(site):
    return site.tag[1] < 2


def test_density_operator_equals_kwants_on_wave_functions(syst):
    """At one energy, ``sum_m psi_m psi_m^dagger`` measured with a Density
    equals Kwant's own ``Density(psi_m)`` summed over modes, with ``where``
    (zero outside) and an onsite function of the site."""
    wf = kwant.wave_function(syst, 0.105, params=P)
    psi = np.concatenate([wf(lead) for lead in range(len(syst.leads))])
    o = bhz.SPIN.shape[-1]
    blocks = psi.reshape(len(psi), len(syst.sites), o)
    rho = np.einsum("mia,mib->iab", blocks, blocks.conj())

    def onsite(site):
        return (1 + site.pos[0]) * S[2]

    inside = np.array([_bottom(s) for s in syst.sites])
    everywhere = np.ones(len(syst.sites), bool)
    for op, sites in [(kwant.operator.Density(syst, S[2]), everywhere),
                      (kwant.operator.Density(syst, onsite, where=_bottom), inside)]:
        ours = expectation(rho, op, syst=syst)
        theirs = sum(op(p) for p in psi)        # the where sites alone
        assert ours.shape == (len(syst.sites),)
        assert np.allclose(ours[sites], theirs, rtol=1e-12, atol=1e-14)
        assert np.all(ours[~sites] == 0)


def test_density_operator_equals_matrix(syst, rho):
    sz = rho.expectation(S[2])
    assert np.array_equal(rho.expectation(kwant.operator.Density(syst, S[2])), sz)
    # A list of Densities is a stack of operators.
    ops = [kwant.operator.Density(syst, s) for s in S]
    assert np.allclose(rho.expectation(ops), rho.expectation(S), atol=0)
    # where: zero outside, the matrix's value inside.
    inside = np.array([_bottom(s) for s in syst.sites])
    restricted = rho.expectation(kwant.operator.Density(syst, S[2], where=_bottom))
    assert np.array_equal(restricted[inside], sz[inside])
    assert np.all(restricted[~inside] == 0)
    # sum=True: the sum over sites, as Kwant gives it.
    total = rho.expectation(kwant.operator.Density(syst, S[2], sum=True))
    assert np.isclose(total, sz.sum(), rtol=1e-13, atol=1e-16)


def test_density_operator_params(syst, rho):
    def onsite(site, g):
        return g * S[2]

    op = kwant.operator.Density(syst, onsite)
    sz = rho.expectation(S[2])
    assert np.allclose(rho.expectation(op, params=dict(g=2.0)), 2 * sz, atol=0)
    assert np.allclose(rho.expectation(op.bind(params=dict(g=3.0))), 3 * sz, atol=0)
    with pytest.raises(TypeError, match="bind"):
        rho.expectation(op)


def test_density_operator_as_observable(syst):
    """The adaptive grid refined on a Density is the one refined on its
    matrices."""
    kw = dict(params=P, quadrature_tol=1e-3, n_panels=1)
    a = NonequilibriumDensity(syst, MUS, 0.0, observable=S, **kw)
    b = NonequilibriumDensity(syst, MUS, 0.0, **kw, observable=[
        kwant.operator.Density(syst, s) for s in S])
    assert np.array_equal(a.grid.energies, b.grid.energies)
    assert np.array_equal(np.broadcast_to(a.observable, b.observable.shape),
                          b.observable)


def test_density_operator_refused_when_wrong(syst, rho):
    other = bhz.make_ribbon(4, 6).finalized()
    with pytest.raises(ValueError, match="another system"):
        rho.expectation(kwant.operator.Density(other, S[2]))
    small = bhz.make_ribbon(4, 5).finalized()
    with pytest.raises(ValueError, match="same system"):
        expectation(rho.density_matrix, kwant.operator.Density(small, S[2]))
    with pytest.raises(TypeError, match="not an onsite operator"):
        rho.expectation(kwant.operator.Current(syst))
    with pytest.raises(ValueError, match="another system"):
        check_onsite_operator(kwant.operator.Density(other), len(syst.sites), 4,
                              syst=syst)


def test_spin_operators_as_densities(syst, rho):
    ops = [kwant.operator.Density(syst, s) for s in bhz.SPIN]
    assert np.array_equal(check_spin_operators(ops, 4), bhz.SPIN)
    assert np.array_equal(spin_density(rho.density_matrix, ops),
                          spin_density(rho.density_matrix, bhz.SPIN))
    field = np.full((len(syst.sites), 3), 0.01)
    assert (exchange_potential(field, ops)
            != exchange_potential(field, bhz.SPIN)).nnz == 0
    with pytest.raises(ValueError, match="the same on every site"):
        check_spin_operators([kwant.operator.Density(syst, s, where=_bottom)
                              for s in bhz.SPIN], 4)


def test_params_by_keyword(syst):
    """``params=`` by keyword, as in Kwant, gives what the positional
    argument gives, for every entry point that takes ``params``."""
    from kwant_noneq.scf import solve_exchange
    from kwant_noneq.transport import CurrentSolver, iv_sweep, landauer_current
    small, p, mus = syst, P, MUS
    pos = local_density(small, mus, 0.0, p, n_panels=1)
    key = local_density(small, mus, 0.0, params=p, n_panels=1)
    assert np.array_equal(pos.density_matrix, key.density_matrix)
    assert np.array_equal(NonequilibriumDensity(small, mus, 0.0, params=p,
                                                n_panels=1)().density_matrix,
                          pos.density_matrix)
    # A wrong key is refused by keyword as well: params really is read.
    with pytest.raises(ValueError, match="nope"):
        local_density(small, mus, 0.0, params=dict(p, nope=1.0))
    assert (CurrentSolver(small, mus, 0.0, params=p)().current
            == CurrentSolver(small, mus, 0.0, p)().current)
    assert (landauer_current(small, mus, 0.0, params=p).current
            == landauer_current(small, mus, 0.0, p).current)
    kw = dict(U=0.5, n_panels=1, tol=1e-8)
    a = solve_exchange(small, bhz.SPIN, mus, 0.0, p, **kw)
    b = solve_exchange(small, bhz.SPIN, mus, 0.0, params=p, **kw)
    assert np.array_equal(a.exchange_field, b.exchange_field)
    a = iv_sweep(small, bhz.SPIN, 0.105, [0.01], 0.0, p, **kw)
    b = iv_sweep(small, bhz.SPIN, 0.105, [0.01], params=p, **kw)
    assert np.array_equal(a.currents, b.currents)


def test_result_pickles_without_the_system(syst, rho):
    """A LocalDensity sent to another process drops its system (value
    functions need not pickle); a Density is then checked by shape."""
    import pickle
    assert rho.syst is syst
    back = pickle.loads(pickle.dumps(rho))
    assert back.syst is None
    assert np.array_equal(back.density_matrix, rho.density_matrix)
    assert np.array_equal(back.expectation(kwant.operator.Density(syst, S[2])),
                          rho.expectation(S[2]))
