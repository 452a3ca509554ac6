"""Disordered square-lattice wire between two clean leads (Anderson model).

Hopping ``t`` sets the energy unit: the builder is dimensionless (lattice
constant 1, energies in units of ``t``), as the textbook Anderson wire.
Site energy ``4 t + disorder (u - 1/2)`` with ``u`` uniform in [0, 1) from
``kwant.digest.uniform(repr(site.tag), disorder_salt)``, so that a
realisation depends on its seed only, not on build order, process or worker
(the disorder convention of :mod:`kwant_noneq.systems.bhz`).  Used by the
ensemble example and benchmark: a cheap task whose realisations differ.
"""
import kwant

from kwant_noneq.ensemble import salt

__all__ = ["make_wire", "wire_conductance"]


def make_wire(length, width, disorder, disorder_salt):
    """Unfinalized Builder of the disordered wire with two clean leads.

    Parameters
    ----------
    length, width : int
        Sites along and across the wire.
    disorder : float
        Width of the uniform site-energy distribution [t].
    disorder_salt : str
        Salt of ``kwant.digest.uniform`` (``kwant_noneq.ensemble.salt(seed)``).
    """
    lat = kwant.lattice.square(norbs=1)
    syst = kwant.Builder()

    def onsite(site):
        return 4 + disorder * (kwant.digest.uniform(repr(site.tag), disorder_salt) - 0.5)

    syst[(lat(x, y) for x in range(length) for y in range(width))] = onsite
    syst[lat.neighbors()] = -1
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(width))] = 4
    lead[lat.neighbors()] = -1
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst


def wire_conductance(seed, length, width, disorder, energy):
    """Two-terminal conductance [e^2/h] of one realisation at ``energy`` [t].

    The system is built from the seed inside the call, so that only the
    arguments travel to an ensemble's worker.
    """
    fsyst = make_wire(length, width, disorder, salt(seed)).finalized()
    return kwant.smatrix(fsyst, energy).transmission(1, 0)
