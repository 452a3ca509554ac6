"""The dressed Born control variate (kwant_noneq.control_variate) on a small
BHZ ribbon with a random exchange field: its amplitude is the first order of
the S-matrix, and its disorder average is the closed form surrogate_mean."""
import numpy as np
import pytest
import scipy.sparse as sp

from kwant_noneq.control_variate import (BornSurrogate, born_surrogate,
                                         dressed_born_reflection, surrogate_mean)
from kwant_noneq.exchange import exchange_potential
from kwant_noneq.scattering import ScatteringStates
from kwant_noneq.systems import bhz

BASE = dict(A=1.5, B=-1.0, M=-1.0, L3=0.5)


@pytest.fixture(scope="module")
def ribbon():
    params = bhz.default_params(**BASE)
    fsyst = bhz.make_ribbon(10, 8).finalized()
    states = ScatteringStates(fsyst, [0.15], params)
    rng = np.random.default_rng(1)
    # A field that breaks time reversal, so that the clean reflection r0
    # is not zero and the cross term 2 Re(r0* A) is tested too.
    field = 0.05 * rng.standard_normal((len(fsyst.sites), 3))
    potential = exchange_potential(field, bhz.SPIN)
    x = np.array([s.tag[0] for s in fsyst.sites])
    surrogate = born_surrogate(states, 0, potential, x - x.min())
    return fsyst, states, potential, surrogate


def _onsite(u, norbs):
    return sp.diags(np.repeat(u, norbs))


def test_amplitude_is_the_first_order_reflection(ribbon):
    """r(pot + eps u) - r(pot) = -eps sum_s u_s m(s) + O(eps^2): the
    remainder shrinks fourfold when eps halves."""
    fsyst, states, potential, sg = ribbon
    assert isinstance(sg, BornSurrogate)
    u = np.random.default_rng(2).uniform(-0.5, 0.5, len(fsyst.sites))
    first = -np.einsum("abs,s->ab", sg.m, u)
    assert np.abs(first).max() > 1e-3                 # a real test
    r0 = states.smatrix(0, potential).submatrix(0, 0)
    assert np.array_equal(r0, sg.r0)
    rem = []
    for eps in (1e-2, 5e-3):
        r = states.smatrix(0, potential + eps * _onsite(u, states.norbs)).submatrix(0, 0)
        rem.append(np.abs(r - r0 - eps * first).max())
    assert rem[0] < 0.05 * 1e-2 * np.abs(first).max()
    assert 3.5 < rem[0] / rem[1] < 4.5


def test_mean_over_disorder_is_surrogate_mean(ribbon):
    """<Y> over independent zero-mean onsite disorder equals the closed form
    sum_s var_s sum |m(s)|^2 exactly (the forward-scattering phases at a
    site involve only upstream columns); tolerance 4 standard errors of the
    Monte Carlo mean (a statistical bound: the mean is exact)."""
    fsyst, states, _, sg = ribbon
    W = 0.4                                     # uniform, full width [eV]
    rng = np.random.default_rng(3)
    n = len(fsyst.sites)
    clean = np.zeros(n, bool)
    clean[:16] = True                           # a clean column: variance 0 there
    Y = []
    for _ in range(3000):
        u = rng.uniform(-W / 2, W / 2, n)
        u[clean] = 0
        Y.append(dressed_born_reflection(sg, u))
    Y = np.array(Y)
    mean = surrogate_mean(sg, W**2 / 12 * ~clean)
    assert mean > 0
    err = Y.std(ddof=1) / np.sqrt(len(Y))
    assert abs(Y.mean() - mean) < 4 * err
    assert err < 0.1 * mean                     # the check has power
    # the phases matter for single realisations, not for the mean
    assert dressed_born_reflection(sg, np.zeros(n)) == 0.0


def test_bad_inputs(ribbon):
    fsyst, states, potential, sg = ribbon
    n = len(fsyst.sites)
    with pytest.raises(ValueError, match="one entry per site"):
        born_surrogate(states, 0, potential, np.arange(n - 1))
    with pytest.raises(TypeError, match="integers"):
        born_surrogate(states, 0, potential, np.zeros(n))
    with pytest.raises(ValueError, match=r"u must be .*\[eV\]"):
        dressed_born_reflection(sg, np.zeros(n + 1))
    with pytest.raises(ValueError, match="variance"):
        surrogate_mean(sg, -1.0)
