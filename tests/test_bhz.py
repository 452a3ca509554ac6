"""The BHZ ribbon builder: units, symmetry, disorder, conductance."""
import numpy as np
import pytest
import kwant

from kwant_noneq.systems import bhz

PARAMS = dict(A=1.5, B=-1.0, M=-1.0)


@pytest.fixture(scope="module")
def small():
    return bhz.make_ribbon(4, 10).finalized()


def _time_reversal(H, nsites):
    """Theta H Theta^-1 with Theta = (i s_y (x) t_0 per site) K."""
    U = np.kron(np.eye(nsites), np.kron(1j * np.array([[0, -1j], [1j, 0]]), np.eye(2)))
    return U @ H.conj() @ U.conj().T


def test_time_reversal_symmetric_without_exchange(small):
    p = bhz.default_params(**PARAMS, D=-0.2, rashba=0.3, bia=0.05, disorder=0.5)
    H = small.hamiltonian_submatrix(params=p)
    assert np.allclose(_time_reversal(H, len(small.sites)), H, atol=1e-13)
    p["exchange"] = lambda site: (0.0, 0.0, 0.01)
    H = small.hamiltonian_submatrix(params=p)
    assert not np.allclose(_time_reversal(H, len(small.sites)), H, atol=1e-6)


def test_lead_bloch_hamiltonian_time_reversal():
    lead = bhz.make_ribbon_lead(8).finalized()
    p = bhz.default_params(**PARAMS, D=-0.2, rashba=0.3, bia=0.05)
    h, t = lead.cell_hamiltonian(params=p), lead.inter_cell_hopping(params=p)
    Hk = lambda k: h + t * np.exp(-1j * k) + t.conj().T * np.exp(1j * k)
    assert np.allclose(_time_reversal(Hk(0.3), lead.cell_size), Hk(-0.3), atol=1e-13)


def test_clean_edge_dispersion_is_A_sin_k():
    lead = bhz.make_ribbon_lead(16).finalized()
    p = bhz.default_params(**PARAMS, L3=0.0)
    h, t = lead.cell_hamiltonian(params=p), lead.inter_cell_hopping(params=p)
    for kx in [0.02, 0.1]:                     # 1/nm, a = 1 nm, cell = 2a
        K = 2 * kx
        e = np.linalg.eigvalsh(h + t * np.exp(-1j * K) + t.conj().T * np.exp(1j * K))
        assert np.isclose(np.sort(np.abs(e))[0], 1.5 * np.sin(kx), rtol=1e-5)


def test_conductance_quantised_in_bulk_gap(small):
    # Two helical edges, each one channel: G = 2 e^2/h inside the bulk gap.
    syst = bhz.make_ribbon(6, 12).finalized()
    p = bhz.default_params(**PARAMS)
    for E in [0.05, 0.2]:
        G = kwant.smatrix(syst, E, params=p).transmission(1, 0)
        assert np.isclose(G, 2.0, atol=1e-6)


def test_disorder_depends_on_seed_only():
    syst = bhz.make_ribbon(4, 6, disorder_type="gaussian").finalized()
    p = bhz.default_params(disorder=0.3, disorder_seed=7)
    H1 = syst.hamiltonian_submatrix(params=p).diagonal()
    H2 = bhz.make_ribbon(4, 6, disorder_type="gaussian").finalized() \
        .hamiltonian_submatrix(params=p).diagonal()
    assert np.array_equal(H1, H2)
    p["disorder_seed"] = 8
    assert not np.allclose(H1, syst.hamiltonian_submatrix(params=p).diagonal())
    # scalar: the same shift on all four orbitals of a site
    d = (H1 - syst.hamiltonian_submatrix(params=bhz.default_params()).diagonal()).real
    assert np.allclose(d.reshape(-1, 4), d.reshape(-1, 4)[:, :1])


def test_bad_geometry_and_parameters():
    with pytest.raises(ValueError, match="multiple"):
        bhz.make_ribbon(4.5, 6)
    with pytest.raises(ValueError, match="lattice constant"):
        bhz.make_ribbon(4, 6, a=-1)
    with pytest.raises(ValueError, match="disorder_type"):
        bhz.make_ribbon(4, 6, disorder_type="box")
    with pytest.raises(TypeError, match="unknown"):
        bhz.default_params(Mass=1)


def test_clean_margin_keeps_disorder_away_from_the_leads():
    params = bhz.default_params(disorder=0.5, disorder_seed=3)
    clean = bhz.default_params()
    fsyst = bhz.make_ribbon(12, 4, clean_margin=3).finalized()
    dis = (fsyst.hamiltonian_submatrix(params=params, sparse=True)
           - fsyst.hamiltonian_submatrix(params=clean, sparse=True)).diagonal()
    x = np.repeat([s.tag[0] for s in fsyst.sites], 4)
    assert np.all(dis[(x < 3) | (x >= 9)] == 0)
    assert np.all(dis[(x >= 3) & (x < 9)] != 0)
    with pytest.raises(ValueError, match="clean_margin"):
        bhz.make_ribbon(12, 4, clean_margin=6)
