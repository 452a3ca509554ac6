"""The general mean-field loop: one spin channel is solve_exchange bit for
bit, a charge channel screens a gated chain as Thomas-Fermi says, bad
channels are refused before any lead mode is computed."""
import numpy as np
import pytest
import scipy.sparse as sp

import kwant_noneq.scf as scf
from kwant_noneq.coulomb import gated_coulomb, gated_wire_interaction_sum
from kwant_noneq.exchange import contact_kernel
from kwant_noneq.meanfield import (MeanFieldChannel, charge_channel,
                                   check_channels, gated_wire_kernel,
                                   mean_field_potential, spin_channel,
                                   thomas_fermi_charge)
from kwant_noneq.scf import solve_exchange, solve_mean_field
from kwant_noneq.systems import bhz, chain

P = bhz.default_params(A=1.5, B=-1.0, M=-1.0, L3=0.5)
BIAS = [0.095, 0.105]


@pytest.fixture(scope="module")
def ribbon():
    return bhz.make_ribbon(8, 12).finalized()


@pytest.fixture(scope="module")
def gated_chain():
    return chain.make_chain(40).finalized()


def test_one_spin_channel_is_solve_exchange_bit_for_bit(ribbon):
    kw = dict(tol=1e-10, n_panels=1)
    ref = solve_exchange(ribbon, bhz.SPIN, BIAS, 0.0, P, U=2.0, **kw)
    channel = spin_channel(bhz.SPIN, contact_kernel(ribbon.sites, 2.0))
    mf = solve_mean_field(ribbon, [channel], BIAS, 0.0, P, **kw)
    assert mf.converged and mf.iterations == ref.iterations
    assert np.array_equal(mf.fields[0], ref.exchange_field)
    assert np.array_equal(mf.densities[0], ref.spin_density)
    assert np.array_equal(mf.residuals, ref.residuals)
    assert np.array_equal(mf.density.density_matrix, ref.density.density_matrix)
    assert mf.counts == ref.counts
    # The same field as a plain tuple (operators, kernel, sign): density
    # <sigma> (not <sigma>/2) with half the kernel; halving and doubling are
    # exact in floating point, so still bit for bit.
    plain = (bhz.SPIN, contact_kernel(ribbon.sites, 1.0), -1)
    again = solve_mean_field(ribbon, [plain], BIAS, 0.0, P, **kw)
    assert np.array_equal(again.fields[0], ref.exchange_field)
    assert np.array_equal(again.densities[0], 2 * ref.spin_density)


def test_an_idle_second_channel_changes_nothing():
    """A second channel with a zero kernel changes nothing but the mixing's
    arithmetic: the fields agree to the loop's accuracy.  Each is within
    tol / (1 - g) of the fixed point, g = nu S <= 0.4 the map's gain here
    (nu = 1/(2 pi) per eV, S < 2.4 eV), so within 4 tol of each other."""
    syst = chain.make_chain(10).finalized()
    kernel = gated_wire_kernel(syst.sites, 1.0, 1.0, 1.0)
    kw = dict(reference_energy=-2.05, sea_panels=2, band_edges=True, tol=1e-8)
    one = solve_mean_field(syst, [charge_channel(kernel, reference=0.5)],
                           [0.01, 0.01], **kw)
    two = solve_mean_field(syst, [charge_channel(kernel, reference=0.5),
                                  charge_channel(np.zeros((10, 10)), name="idle")],
                           [0.01, 0.01], **kw)
    np.testing.assert_allclose(one.fields[0], two.fields[0], rtol=0, atol=4e-8)
    assert not np.any(two.fields[1])
    assert two.fields[1].shape == (10, 1)


def test_hartree_screens_a_gated_chain_as_thomas_fermi(gated_chain):
    """Gate shift dmu on a half-filled chain 2 nm from a gate: the middle's
    added charge is dmu / (1/nu + S_mid), S_mid the kernel's sum over the
    wire (docs/mean_field.md).  Expansion parameters (validation/cases/
    hartree.py): the ends' extra charge acting on the middle, 2 * 2d e
    V(L/2 - 2d) / (1/nu + S) with e = S / (2/nu + S), ~5e-4; Friedel,
    (phi/2t) / (2 pi (L/2)^2) / dn ~ 8e-4; the quadrature estimate / dn
    ~ 5e-4 (atol 1e-6): the tolerance, ~4e-3, is twice their sum, against
    a screening of 40 %."""
    syst, n, d, dmu = gated_chain, 40, 2.0, 0.01
    kernel = gated_wire_kernel(syst.sites, d, 1.0, 1.0)
    state = solve_mean_field(
        syst, [charge_channel(kernel, reference=0.5)], [dmu, dmu], 0.0,
        initial_fields=[np.full((n, 1), dmu / 2)], reference_energy=-2.05,
        sea_panels=4, band_edges=True, tol=1e-9, quadrature_tol=0.0,
        quadrature_atol=1e-6, observable=np.eye(1))
    nu = 1 / (2 * np.pi)
    s_mid = np.asarray(kernel.sum(axis=1)).ravel()[n // 2]
    dn = state.densities[0][n // 2, 0] - 0.5
    expected = dmu / (1 / nu + s_mid)
    excess = s_mid / (2 / nu + s_mid)
    ends = (2 * 2 * d * excess * gated_coulomb(n / 2 - 2 * d, d, 1.0, 1.0)
            / (1 / nu + s_mid))
    friedel = state.fields[0][n // 2, 0] / 2 / (2 * np.pi * (n / 2) ** 2) / dn
    tol = 2 * (ends + friedel + state.quadrature_error / dn)
    assert tol < 1e-2
    assert abs(dn / expected - 1) < tol
    # Screened: well below the bare nu dmu (nu S ~ 0.6 here).
    assert dn < 0.7 * nu * dmu
    # The field is the kernel's action on the charge, as documented (the
    # last iterate, within tol of the field its density makes).
    np.testing.assert_allclose(state.fields[0][:, 0],
                               kernel @ (state.densities[0][:, 0] - 0.5),
                               rtol=0, atol=1e-9)


def test_gated_wire_sum_is_the_lattice_sum():
    """The Poisson-summed closed form against the direct sum (converging
    like d^2 / R^2: R = 1e5 leaves ~1e-9 eV)."""
    j = np.arange(-100000, 100001)
    direct = np.sum(gated_coulomb(np.abs(j) * 1.0, 5.0, 1.0, 1.0))
    assert abs(gated_wire_interaction_sum(5.0, 1.0, 1.0, 1.0) - direct) < 1e-8
    # Continuum limit: 2 C ln(D / w), D = sqrt(w^2 + 4 d^2).
    c = gated_wire_interaction_sum(5.0, 2.0, 1.0)
    assert np.isclose(c, 2 * 1.4399645 / 2.0 * np.log(np.hypot(1, 10)), rtol=1e-6)


def _never_called(*args, **kwargs):
    raise AssertionError("an expensive step ran before the arguments were checked")


@pytest.mark.parametrize("channel, match", [
    (lambda n: charge_channel(np.eye(n + 1)), r"kernel has shape \(11, 11\)"),
    (lambda n: charge_channel(np.triu(np.ones((n, n)))), "not symmetric"),
    (lambda n: charge_channel(1j * np.eye(n)), "must be real"),
    (lambda n: charge_channel(np.full((n, n), np.nan)), "NaN"),
    (lambda n: MeanFieldChannel(np.eye(1), np.eye(n), sign=2), "sign must be"),
    (lambda n: MeanFieldChannel(np.eye(2), np.eye(n)), "operators"),
    (lambda n: MeanFieldChannel(np.array([[[1j]]]), np.eye(n)), "Hermitian"),
    (lambda n: MeanFieldChannel(np.ones((2, 1, 1)), np.eye(n),
                                density_operators=np.ones((1, 1, 1))),
     "1 density_operators for 2 operators"),
    (lambda n: charge_channel(np.eye(n), reference=np.zeros(n + 2)),
     "reference has shape"),
    (lambda n: "charge", "must be a MeanFieldChannel"),
])
def test_bad_channels_are_refused_before_any_work(channel, match, monkeypatch):
    syst = chain.make_chain(10).finalized()
    monkeypatch.setattr(scf, "NonequilibriumDensity", _never_called)
    with pytest.raises((TypeError, ValueError), match=match):
        solve_mean_field(syst, [channel(10)], [0.0, 0.0], 0.0)


def test_bad_loop_arguments_are_refused(monkeypatch):
    syst = chain.make_chain(10).finalized()
    monkeypatch.setattr(scf, "NonequilibriumDensity", _never_called)
    good = charge_channel(sp.identity(10).tocsr())
    with pytest.raises(ValueError, match="at least one"):
        solve_mean_field(syst, [], [0.0, 0.0])
    with pytest.raises(ValueError, match=r"initial_fields\[0\] must have shape \(10, 1\)"):
        solve_mean_field(syst, [good], [0.0, 0.0], initial_fields=[np.zeros(10)])
    with pytest.raises(ValueError, match="1 entries for 2 channels"):
        solve_mean_field(syst, [good, good], [0.0, 0.0], initial_fields=[None])
    with pytest.raises(TypeError, match="chemical_potentials"):
        solve_mean_field(syst, [good])
    with pytest.raises(ValueError, match="tol"):
        solve_mean_field(syst, [good], [0.0, 0.0], tol=-1)
    with pytest.raises(ValueError, match="gate_distance must be > 0"):
        gated_wire_kernel(syst.sites, 0.0, 1.0, 1.0)


def test_one_channel_or_a_sequence():
    k = np.eye(10)
    one = check_channels(charge_channel(k), 10, 1)
    plain = check_channels((np.eye(1), k, -1), 10, 1)
    both = check_channels((charge_channel(k), (np.eye(1), k)), 10, 1)
    assert len(one) == len(plain) == 1 and len(both) == 2
    assert plain[0].sign == -1 and plain[0].operators.shape == (1, 1, 1)
    # Per-site operators stay per site; references broadcast to (nsites, nops).
    per_site = check_channels(MeanFieldChannel(np.ones((2, 10, 1, 1)), k,
                                               reference=0.5), 10, 1)[0]
    assert per_site.operators.shape == (2, 10, 1, 1)
    assert per_site.reference.shape == (10, 2)


def test_per_site_operators_make_the_same_potential():
    rng = np.random.default_rng(0)
    ops = np.array([[[1, 0], [0, -1]], [[0, 1], [1, 0]]], float)
    k = np.eye(6)
    uniform = check_channels(MeanFieldChannel(ops, k), 6, 2)
    per_site = check_channels(MeanFieldChannel(
        np.broadcast_to(ops[:, None], (2, 6, 2, 2)), k), 6, 2)
    field = [rng.standard_normal((6, 2))]
    a = mean_field_potential(field, uniform).toarray()
    b = mean_field_potential(field, per_site).toarray()
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)
    # Site 3's block is phi_3 . O.
    np.testing.assert_allclose(a[6:8, 6:8], np.einsum("c,cab->ab", field[0][3], ops))


def test_thomas_fermi_charge_of_a_ring_is_the_capacitance_formula():
    # A circulant kernel (a ring): every site has the same row sum S, so the
    # linear Thomas-Fermi charge is uniform, dmu / (1/nu + S).
    n = 12
    row = 1.0 / (1 + np.minimum(np.arange(n), n - np.arange(n)))
    kernel = np.array([np.roll(row, i) for i in range(n)])
    dn = thomas_fermi_charge(kernel, 0.2, 0.01)
    np.testing.assert_allclose(dn, 0.01 / (5 + row.sum()), rtol=1e-13)
    np.testing.assert_allclose(thomas_fermi_charge(sp.csr_matrix(kernel), 0.2, 0.01),
                               dn, rtol=1e-13)
    with pytest.raises(ValueError, match="density_of_states must be > 0"):
        thomas_fermi_charge(kernel, 0.0, 0.01)
    with pytest.raises(ValueError, match="not symmetric"):
        thomas_fermi_charge(np.triu(kernel), 0.2, 0.01)
