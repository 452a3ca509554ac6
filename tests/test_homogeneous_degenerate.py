"""Nearly degenerate copies of a band (the two edges of a ribbon): the
homogeneous density must be a smooth function of the field, whatever basis
``eigh`` picks for the copies."""
import kwant
import numpy as np
import pytest

from kwant_noneq.bloch import bloch_hamiltonian
from kwant_noneq.homogeneous import cell_potential
from kwant_noneq.systems import bhz


def _crossing_density(bands, potential, energy, nk=32):
    """Local density of the crossings at ``energy``: sum of share |u|^2 /
    |v| over the crossings, per orbital (the integrand of
    homogeneous_density up to occupations)."""
    found = bands.crossings([energy], potential, nk)
    owner, states, share, v = bands.crossing_states(found.k, found.band, potential)
    return np.einsum("r,ra->a", share / np.abs(v[owner]), np.abs(states) ** 2)


def test_edge_pair_density_is_smooth_in_the_field():
    """BHZ ribbon of the demo (W = 20: the edges' right movers split by
    ~5e-11 eV at E = 0.1 eV) in a field of the current-carrying state's
    symmetry (h_z odd, h_x even across the ribbon, which keeps the edges
    nearly degenerate).  The second difference of the crossings' density
    along a random 1e-8 eV field direction is O((1e-8 eV / Delta)^2) with
    Delta >= 0.1 eV the distance to the other bands: 1e-14 (the pair's own
    splitting does not enter, their summed projector is smooth through it).
    Separate eigh states of the pair gave 1e-4 here: a mixing angle fixed by
    rounding that jumps with the field's last bits (the demo's
    self-consistent loop stalled at 1e-8 eV on that)."""
    W = 20
    lead = bhz.make_ribbon_lead(W).finalized()
    bands = bloch_hamiltonian(lead, bhz.default_params(A=1.5, B=-1.0, M=-1.0,
                                                       L3=0.5))
    y = np.array([s.tag[1] for s in bands.sites])
    profile = np.exp(-np.minimum(y, W - 1 - y) / 0.9)    # edge decay length
    field = np.zeros((len(y), 3))
    field[:, 2] = -7.8e-4 * profile * np.where(y < W / 2, 1, -1)   # eV
    field[:, 0] = 1.2e-6 * profile
    step = 1e-8 * np.random.default_rng(1).standard_normal(field.shape)
    rho = [_crossing_density(bands, cell_potential(field + s * step, bhz.SPIN), 0.1)
           for s in (-1, 0, 1)]
    second = np.max(np.abs(rho[0] - 2 * rho[1] + rho[2])) / np.max(rho[1])
    assert second < 1e-10


def _two_copies(split=1e-11, seed=3):
    """Two identical three-orbital chains coupled by ``split`` [eV]: each
    band comes twice, split by 2 ``split``."""
    rng = np.random.default_rng(seed)
    onsite = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    lat = kwant.lattice.square(1, norbs=3)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    for y in (0, 1):
        lead[lat(0, y)] = onsite + onsite.conj().T
        lead[lat(1, y), lat(0, y)] = rng.normal(size=(3, 3)) if y == 0 else \
            lead[lat(1, 0), lat(0, 0)]
    lead[lat(0, 1), lat(0, 0)] = split * np.eye(3)
    return bloch_hamiltonian(lead.finalized())


def test_crossing_states_of_copies():
    bands = _two_copies()
    found = bands.crossings([0.2], None, 64)
    assert len(found)
    owner, states, share, v = bands.crossing_states(found.k, found.band)
    # each crossing's band has a parallel copy: two half shares per crossing
    assert np.bincount(owner).tolist() == [2] * len(found)
    assert np.allclose(share, 0.5)
    for i in range(len(found)):          # each crossing's pair: orthonormal
        pair = states[owner == i]
        assert np.allclose(pair.conj() @ pair.T, np.eye(2), atol=1e-12)
    assert np.allclose(v, found.velocities, rtol=1e-8)
    # an isolated band (copies split far above the tolerance) keeps its state
    far = _two_copies(split=1e-3)
    found = far.crossings([0.2], None, 64)
    owner, states, share, v = far.crossing_states(found.k, found.band)
    assert np.array_equal(owner, np.arange(len(found)))
    assert np.allclose(np.abs(np.einsum("ia,ia->i", states.conj(), found.states)), 1)
    with pytest.raises(ValueError, match="degeneracy_tol"):
        bands.crossing_states(found.k, found.band, degeneracy_tol=-1.0)
