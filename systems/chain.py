"""A tight-binding chain between two leads: the simplest wire, with closed
forms for its density, density of states and spin.

``H = -t sum_j (c_{j+1}^dagger c_j + h.c.)`` on a chain of spacing ``a``,
one orbital per site (``spin=False``) or two (``spin=True``: the two spins,
``sigma`` acting on them, an optional Zeeman term ``zeeman sigma_z`` on every
site, leads included).  Bands ``E(k) = -2 t cos(k a) (+- zeeman)``.

Units: energies eV, lengths nm.  Densities are electrons per site.
"""
import kwant
import numpy as np

from kwant_noneq import checks
from kwant_noneq.pauli import SIGMA_0, SIGMA_Z

__all__ = ["make_chain", "electrons_per_site", "density_of_states"]


def make_chain(length, t=1.0, a=1.0, spin=False, zeeman=0.0):
    """Builder of ``length`` sites on the x axis with a lead at each end
    (lead 0 on the left), the same chain.

    Parameters
    ----------
    length : int
        Sites of the scattering region.
    t : float
        Hopping [eV], ``> 0``.
    a : float
        Spacing [nm].
    spin : bool
        Two orbitals per site (spin up, down) instead of one.
    zeeman : float
        ``zeeman sigma_z`` on every site [eV] (``spin=True`` only).
    """
    length = checks.integer("length", length, minimum=1)
    t = checks.real_number("t", t, unit="eV", positive=True)
    a = checks.real_number("a", a, unit="nm", positive=True)
    zeeman = checks.real_number("zeeman", zeeman, unit="eV")
    if zeeman and not spin:
        raise ValueError("zeeman needs spin=True (two orbitals per site)")
    norbs = 2 if spin else 1
    lat = kwant.lattice.chain(a, norbs=norbs)
    one = SIGMA_0 if spin else np.eye(1)
    onsite = zeeman * SIGMA_Z if spin else np.zeros((1, 1))
    hopping = -t * one

    def fill(builder, sites):
        for j in sites:
            builder[lat(j)] = onsite
        builder[lat.neighbors()] = hopping
        return builder

    syst = fill(kwant.Builder(), range(length))
    lead = fill(kwant.Builder(kwant.TranslationalSymmetry((-a,))), [0])
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst


def electrons_per_site(energy, t=1.0):
    """Electrons per site of one band ``-2 t cos k`` filled up to
    ``energy`` [eV]: ``arccos(-E / 2 t) / pi`` (0 below, 1 above the band)."""
    x = np.clip(-np.asarray(energy, float) / (2 * t), -1.0, 1.0)
    return np.arccos(x) / np.pi


def density_of_states(energy, t=1.0):
    """Density of states per site of one band [1/eV]: ``1 / (pi
    sqrt(4 t^2 - E^2))`` inside the band, 0 outside."""
    e = np.asarray(energy, float)
    inside = np.abs(e) < 2 * t
    return np.where(inside, 1 / (np.pi * np.sqrt(np.where(inside, 4 * t ** 2 - e ** 2, 1.0))), 0.0)
