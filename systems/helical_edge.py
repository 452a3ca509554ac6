"""The helical edge of a BHZ ribbon, set up once: the lead's bands, the edge's
parameters, its current-carrying exchange field, its Born backscattering,
and finite disordered ribbons with their reflection ensembles.

Balram, Flensberg, Jain and Pedersen, PRL 123, 246803 (2019): a helical edge
whose spin axis rotates with momentum (Eq. 1, ``hbar v = A`` and ``lambda =
L3`` for the BHZ ribbon of :mod:`kwant_noneq.systems.bhz` with ``D = rashba
= bia = 0``), a contact interaction whose exchange field follows the
current (Eq. 2-3), the gap it opens (Eq. 4), the backscattering it lets
disorder cause (Eq. 5) and the nonlinear I-V that follows (Eq. 6-9).

:class:`HelicalEdge` holds the ribbon's lead and its *bottom* edge (rows
``j < W/2``); both edges are equivalent (the same ``v``, ``lambda``,
``g_1D``).  Units: energies eV, lengths nm (lattice constant ``a = 1 nm``),
temperatures K, ``hbar = 1`` (a velocity is ``hbar v`` in eV nm).  Energies
``mu``, ``energy`` are measured from the edge's Dirac point unless a
docstring says *absolute*.
"""
import dataclasses
import functools

import numpy as np

from kwant_noneq import checks, edge
from kwant_noneq.control_variate import (born_surrogate, dressed_born_reflection,
                                         surrogate_mean)
from kwant_noneq.ensemble import run_ensemble, salt
from kwant_noneq.exchange import exchange_potential
from kwant_noneq.bloch import bloch_hamiltonian
from kwant_noneq.homogeneous import (cell_potential, edge_gap,
                                     solve_homogeneous_exchange)
from kwant_noneq.region import ramp_envelope
from kwant_noneq.scattering import ScatteringStates
from kwant_noneq.transport import born_backscattering

from kwant_noneq.systems import bhz

__all__ = ["HelicalEdge", "ReflectionEnsemble", "reflection_task"]


class HelicalEdge:
    """A BHZ ribbon's lead and its bottom helical edge (Eq. 1 of Balram et al.).

    Parameters
    ----------
    width : int
        Ribbon width [sites = nm]; wide enough that the two edges' states do
        not overlap (the decay length is ``~ |B / A|``, 1.3 nm for the
        defaults of the validation).
    params : dict, optional
        BHZ parameters (:func:`kwant_noneq.systems.bhz.default_params`,
        which checks them; its defaults when ``None``).
    nk : int
        k-grid that brackets the band crossings of the homogeneous state and
        of the Born rate (the edge bands are linear: 128 suffice).

    Attributes
    ----------
    params : ParameterDict
    lead : finalized Kwant lead of the ribbon (period 2 nm)
    bands : kwant_noneq.bloch.BlochHamiltonian of the lead without field
    mask : ndarray of bool
        The bottom edge's sites of the lead's cell.
    dirac_energy : float
        The edge's Dirac point [eV], absolute.
    pair : ndarray (norb_cell, 2)
        Its Kramers pair at the Dirac point (right, left mover).
    fit : EdgeParameters
        ``v``, ``lambda`` and the linear spin rotation fitted from the bands
        (:func:`kwant_noneq.edge.edge_parameters`).
    velocity, spin_rotation_rate : float
        Eq. (1)'s ``hbar v = A`` [eV nm] and ``lambda = L3`` [eV nm^3]
        (exact for ``D = rashba = bia = 0``; see ``fit`` otherwise).
    cell_tags : list of tuple
        Site tags of the lead's cell, in the order of ``bands.sites``.
    """

    def __init__(self, width, params=None, nk=128):
        self.width = checks.integer("width", width, minimum=2)
        self.params = bhz.default_params(**(params or {}))
        self.nk = checks.integer("nk", nk, minimum=3)
        self.lead = bhz.make_ribbon_lead(self.width).finalized()
        self.bands = bloch_hamiltonian(self.lead, self.params)
        self.mask = bhz.bottom_edge_mask(self.lead)[:self.lead.cell_size]
        self.dirac_energy, self.pair, _ = edge.dirac_pair(self.bands, self.mask)
        self.fit = edge.edge_parameters(self.bands, self.mask, bhz.SPIN,
                                        energy=self.dirac_energy)
        self.velocity = self.params["A"]
        self.spin_rotation_rate = self.params["L3"]
        self.cell_tags = [tuple(s.tag) for s in self.bands.sites]

    # --- the homogeneous edge ---------------------------------------------

    def coupling(self, U):
        """``g_1D = U a sum_i P_i^2`` [eV nm] of a contact interaction ``U``
        [eV], the coupling of Eq. (3) (docs/architecture.md, section 6.2)."""
        return edge.edge_coupling(self.bands, self.pair, U)

    def mean_free_path(self, disorder):
        """Mean free path ``l`` [nm] of uniform onsite disorder of full width
        ``disorder`` [eV], the paper's definition below Eq. (5): the
        edge-projected disorder ``U(x) = sum_j V_{x,j} P_j`` has the correlator
        ``(hbar v)^2 / l delta(x - x')``, so ``v^2 / l = (W^2 / 12) a sum_j
        P_j^2`` (the form factor of ``g_1D``): ``l = v^2 U / (var g_1D)``."""
        disorder = checks.real_number("disorder", disorder, unit="eV",
                                      positive=True)
        var = disorder**2 / 12
        return self.velocity**2 / (var * self.coupling(1.0))

    def state(self, mu, dmu, U, temperature=0.0, **options):
        """Homogeneous current-carrying state of the edge (Eq. 2-3): right
        movers filled to ``mu - dmu/2``, left movers to ``mu + dmu/2``
        (``mu``, ``dmu`` [eV], ``mu`` from the Dirac point), contact
        interaction ``U`` [eV], ``temperature`` [K].

        ``options`` go to
        :func:`~kwant_noneq.homogeneous.solve_homogeneous_exchange`
        (``self_consistent=False`` for the first-order field of the paper,
        ``tol``, ``n_panels``, ``initial_field`` ...).

        Returns
        -------
        HomogeneousState
        """
        return solve_homogeneous_exchange(
            self.bands, bhz.SPIN, self.dirac_energy + mu - dmu / 2,
            self.dirac_energy + mu + dmu / 2, temperature, U=U,
            nk=options.pop("nk", self.nk), **options)

    def exchange_field(self, mu, dmu, U, temperature=0.0, n_panels=2):
        """First-order exchange field [eV] on the lead's cell, shape
        ``(ncell, 3)``: the exchange of the current-carrying spin density
        computed without field (Eq. 2-3, the paper's level; self-consistency
        changes it by ``g dmu / (4 pi v mu)``).  Arguments as :meth:`state`."""
        return self.state(mu, dmu, U, temperature, self_consistent=False,
                          n_panels=n_panels).exchange_field

    def gap(self, state, k_window=0.05, nk=41):
        """Gap of the bottom edge in ``state`` (Eq. 4), an ``EdgeGap`` (gap
        [eV], its momentum per cell): :func:`~kwant_noneq.homogeneous.edge_gap`
        around the Dirac point, ``|k| <= k_window`` per cell."""
        return edge_gap(self.bands, self.mask, self.dirac_energy,
                        k_window=k_window, state=state, nk=nk)

    @functools.cached_property
    def hybridisation(self):
        """Zero-field splitting of the two edges' Dirac points [eV] (their
        states' overlap across the ribbon): a floor under any gap."""
        return edge_gap(self.bands, self.mask, self.dirac_energy,
                        k_window=0.02, nk=11).gap

    def spin_density(self, state):
        """Spin density ``<s> = <sigma>/2`` of the bottom edge per nm in
        ``state``, in the paper's frame (right movers spin up: a rotation by
        pi about x when the edge's helicity is -1), the quantity of Eq. (2)."""
        s = state.spin_density[self.mask].sum(0) / self.bands.period
        return s if self.fit.helicity > 0 else np.array([s[0], -s[1], -s[2]])

    def born_backscattering(self, energy, field, disorder):
        """Disorder-averaged backscattering per nm of each edge, first Born
        order, with the lattice states of the lead with ``field``: Eq. (5)'s
        ``1 / (v tau)`` = ``<|r|^2> / L`` [1/nm].

        Parameters
        ----------
        energy : float or array
            [eV] from the Dirac point.
        field : ndarray (ncell, 3)
            Exchange field on the cell [eV] (e.g. :meth:`exchange_field`).
        disorder : float
            Full width of uniform onsite disorder [eV].

        Returns
        -------
        ndarray, shape (2,) or (nenergies, 2)
            (bottom edge, top edge).
        """
        res = born_backscattering(self.bands, self.dirac_energy + np.asarray(energy),
                                  disorder**2 / 12,
                                  cell_potential(field, bhz.SPIN), self.mask, self.nk)
        res = res if isinstance(res, list) else [res]
        out = np.array([[r.on(True), r.on(False)] for r in res])
        return out if np.ndim(energy) else out[0]

    # --- finite ribbons ---------------------------------------------------

    def ribbon(self, length, clean_margin=0):
        """Finalized ribbon of ``length`` [nm] between two leads, disorder-free
        in ``clean_margin`` [nm] next to each lead
        (:func:`~kwant_noneq.systems.bhz.make_ribbon`)."""
        return bhz.make_ribbon(length, self.width, clean_margin=clean_margin).finalized()

    def scattering_states(self, length, energies, clean_margin=0):
        """``(fsyst, states)``: :meth:`ribbon` and its
        :class:`~kwant_noneq.scattering.ScatteringStates` at ``energies``
        [eV, absolute].  Cached per process: the lead modes, linear systems
        and analyses are kept for the next call with the same arguments,
        and the states are :meth:`~kwant_noneq.scattering.ScatteringStates.reset`
        before they are returned, so what they give depends only on the
        potentials asked for after this call, bit for bit, not on what the
        process solved before.  The object is shared by later calls: solve
        what you need before the next call."""
        return _reset_ribbon_states(self.width, _params_key(self.params), length,
                                    tuple(float(E) for E in energies), clean_margin)

    def field_potential(self, fsyst, field, ramp=0.0, length=None):
        """Sparse ``h . sigma`` [eV] on a ribbon of :meth:`ribbon`: the cell
        field ``(ncell, 3)`` repeated along the ribbon (the site ``(x, y)``
        gets the cell's ``(x mod 2, y)``), times
        :func:`~kwant_noneq.region.ramp_envelope` of ``length`` [nm] and
        ``ramp`` [nm]: the paper's prescription, the homogeneous edge's field
        over the scattering region."""
        return _tile(fsyst, self.cell_tags, field, ramp, length)

    def disorder_potential(self, fsyst, disorder, seed):
        """Sparse onsite disorder [eV] of realisation ``seed`` on ``fsyst``:
        uniform of full width ``disorder`` [eV] (``None`` when 0); the site's
        value depends only on its tag and ``salt(seed)``."""
        return _disorder(fsyst, self.params, disorder, seed)

    def reflection_ensemble(self, length, disorder, energies, fields, jobs,
                            n_realisations, master_seed, *, subtract_zero_field=True,
                            ramp=0.0, control_variate=True, clean_margin=0,
                            executor=None):
        """Disorder-induced, field-induced reflection of lead 0 per job, both
        edges summed: Eq. (5)'s ``<R> = L / (v tau)`` per edge is half of it.

        ``R_dis = R(field, disorder) - R(0, disorder) - R(field, clean)``: the
        zero-field term removes the time-reversal-allowed scattering between
        the two edges (same spin, overlap of their tails: 4 % of the signal
        at W = 12, ~1e-4 at W = 16, independent of the field), the clean term
        the reflection at the ends of the field region; the cross terms
        average to zero (``<U> = 0``, different final edges).

        Parameters
        ----------
        length : int
            Disordered length [nm]; the ribbon has ``clean_margin`` [nm]
            disorder-free columns more at each end.
        disorder : float
            Full width of the uniform onsite disorder [eV].
        energies : sequence of float
            Energy nodes [eV] from the Dirac point.
        fields : sequence of ndarray (ncell, 3)
            Cell exchange fields [eV] (:meth:`exchange_field`).
        jobs : sequence of (node, field) index pairs
        n_realisations, master_seed : int
            See :func:`~kwant_noneq.ensemble.run_ensemble`.
        subtract_zero_field : bool
            Subtract ``R(0, disorder)`` at each job's node.
        ramp : float
            Switch-on length of the field [nm] (:meth:`field_potential`).
        control_variate : bool
            Also compute the dressed Born control variate
            (:mod:`kwant_noneq.control_variate`) of each realisation.
        clean_margin : int
            [nm], see ``length``.
        executor : optional
            Where the realisations run (``run_ensemble``'s default: a local
            process pool).

        Returns
        -------
        ReflectionEnsemble
        """
        energies = tuple(float(self.dirac_energy + x) for x in energies)
        fields = [np.asarray(f) for f in fields] + [np.zeros_like(fields[0])]
        nodes = sorted({node for node, _ in jobs}) if subtract_zero_field else []
        all_jobs = list(jobs) + [(node, len(fields) - 1) for node in nodes]
        length = length + 2 * clean_margin
        surrogates, means = None, None
        if control_variate:
            fsyst, states = self.scattering_states(length, energies, clean_margin)
            variance = disorder**2 / 12 * _disorder_mask(fsyst, clean_margin)
            columns = np.array([s.tag[0] for s in fsyst.sites])
            columns = columns - columns.min()
            surrogates = [born_surrogate(states, node,
                                         self.field_potential(fsyst, fields[f], ramp, length),
                                         columns)
                          for node, f in all_jobs]
            means = np.array([surrogate_mean(sg, variance) for sg in surrogates])
        clean = reflection_task(0, self.width, self.params, self.cell_tags, length,
                                0.0, energies, fields, all_jobs, ramp)
        res = run_ensemble(reflection_task, n_realisations, master_seed,
                           args=(self.width, self.params, self.cell_tags, length, disorder,
                                 energies, fields, all_jobs, ramp, surrogates,
                                 clean_margin),
                           executor=executor)
        zero = [len(jobs) + nodes.index(node) for node, _ in jobs] if nodes else []

        def combine(R, subtract_clean):
            out = R[:, :len(jobs)] - (clean["R"][:len(jobs)] if subtract_clean else 0)
            return out - R[:, zero] if subtract_zero_field else out

        R_dis = combine(res.data["R"], True)
        R_cv = (None if surrogates is None
                else R_dis - combine(res.data["Y"] - means, False))
        return ReflectionEnsemble(R_dis, R_cv, res, clean)


@dataclasses.dataclass(frozen=True, eq=False)  # arrays: no single truth value
class ReflectionEnsemble:
    """Result of :meth:`HelicalEdge.reflection_ensemble`.

    Attributes
    ----------
    raw : ndarray (n_realisations, njobs)
        ``R_dis`` per realisation and job (dimensionless, both edges).
    corrected : ndarray (n_realisations, njobs) or None
        ``R_dis - (Y - <Y>)`` with the control variate ``Y`` combined job by
        job like ``R_dis``: the same mean, smaller variance (``None``
        without control variate).
    result : EnsembleResult
        The realisations' raw data: ``"R"`` (total reflection),
        ``"T"`` (the two largest transmission eigenvalues, one per edge) and
        ``"Y"`` per job, including the zero-field jobs appended at the end.
    clean : dict
        ``reflection_task`` of the clean ribbon (no disorder, no clean margin).
    """

    raw: np.ndarray
    corrected: np.ndarray
    result: object
    clean: dict


# --- module level: shipped to worker processes -----------------------------

def _params_key(params):
    """A hashable, picklable form of a parameter dict (for the cache)."""
    return tuple(sorted(params.items()))


@functools.lru_cache(maxsize=8)
def _ribbon_states(width, params_key, length, energies, clean_margin=0):
    """Finalized ribbon and its scattering states at ``energies``
    (absolute, eV): lead modes once per worker process and configuration."""
    params = bhz.default_params(**dict(params_key))
    fsyst = bhz.make_ribbon(length, width, clean_margin=clean_margin).finalized()
    states = ScatteringStates(fsyst, list(energies), params)
    return fsyst, states


def _reset_ribbon_states(width, params_key, length, energies, clean_margin=0):
    """:func:`_ribbon_states`, reset: its results depend only on the
    potentials asked for from now on, never on the realisations (or other
    calls) this process solved before."""
    fsyst, states = _ribbon_states(width, params_key, length, energies, clean_margin)
    states.reset()
    return fsyst, states


def _tile(fsyst, tags, field, ramp=0.0, length=None):
    index = {t: n for n, t in enumerate(tags)}
    period = 1 + max(t[0] for t in tags) - min(t[0] for t in tags)
    rows = [index[(s.tag[0] % period, s.tag[1])] for s in fsyst.sites]
    x = np.array([s.tag[0] for s in fsyst.sites])
    env = ramp_envelope(x, length, ramp)
    return exchange_potential(np.asarray(field)[rows] * env[:, None], bhz.SPIN)


def _disorder(fsyst, params, disorder, seed):
    if disorder == 0:
        return None
    dis = dict(params, disorder=disorder, disorder_seed=salt(seed))
    return (fsyst.hamiltonian_submatrix(params=dis, sparse=True)
            - fsyst.hamiltonian_submatrix(params=params, sparse=True))


def _disorder_mask(fsyst, clean_margin):
    """True on sites at least ``clean_margin`` columns from either lead."""
    x = np.array([s.tag[0] for s in fsyst.sites])
    return (x >= x.min() + clean_margin) & (x <= x.max() - clean_margin)


def reflection_task(seed, width, params, tags, length, disorder, energies,
                    fields, jobs, ramp=0.0, surrogates=None, clean_margin=0):
    """One disorder realisation (a :func:`~kwant_noneq.ensemble.run_ensemble`
    task): total reflection of lead 0 (both edges) of a ribbon for each
    ``(node, field)`` job.

    Parameters
    ----------
    seed : int
        The realisation's seed (``salt(seed)`` seeds Kwant's digest).
    width : int
        Ribbon width [nm].
    params : dict
        BHZ parameters (:func:`~kwant_noneq.systems.bhz.default_params`).
    tags : list of tuple
        Site tags of the lead's cell (``HelicalEdge.cell_tags``).
    length : int
        Ribbon length [nm], clean margins included.
    disorder : float
        Full width of the uniform disorder [eV].
    energies : tuple of float
        Energy nodes [eV], absolute.
    fields : list of ndarray (ncell, 3)
        Cell exchange fields [eV].
    jobs : list of (node, field) index pairs
    ramp : float
        Switch-on length of the fields [nm].
    surrogates : list of BornSurrogate, optional
        One per job (:func:`~kwant_noneq.control_variate.born_surrogate`).
    clean_margin : int
        Disorder-free columns next to each lead [nm].

    Returns
    -------
    dict
        The same bits for the same arguments, whatever this process computed
        before (the cached states are reset first).
        ``"R"`` (njobs,): total reflection; ``"T"`` (njobs, 2): the two
        largest transmission eigenvalues (one per edge); and, with
        ``surrogates``, ``"Y"`` (njobs,): the control variate
        :func:`~kwant_noneq.control_variate.dressed_born_reflection`.
    """
    key = _params_key(params)
    # The worker keeps the ribbon's states between realisations (lead modes,
    # linear systems, analyses); reset, this realisation's bits depend on its
    # seed and arguments only, not on the realisations this worker ran before.
    fsyst, states = _reset_ribbon_states(width, key, length, tuple(energies),
                                         clean_margin)
    dis = _disorder(fsyst, bhz.default_params(**dict(key)), disorder, seed)
    pots = [_tile(fsyst, tags, f, ramp, length) for f in fields]
    R, Tn = [], []
    for node, f in jobs:
        pot = pots[f] if dis is None else pots[f] + dis
        S = states.smatrix(node, pot)
        r = S.submatrix(0, 0)
        t = S.submatrix(1, 0)
        R.append(np.sum(np.abs(r) ** 2))
        Tn.append(np.sort(np.linalg.eigvalsh(t.conj().T @ t))[-2:])
    out = {"R": np.array(R), "T": np.array(Tn)}
    if surrogates is not None:
        u = (np.zeros(len(fsyst.sites)) if dis is None
             else dis.diagonal()[::states.norbs].real)
        out["Y"] = np.array([dressed_born_reflection(s, u) for s in surrogates])
    return out
