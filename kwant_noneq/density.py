"""Nonequilibrium local densities from scattering states.

Each lead ``alpha`` is a reservoir with chemical potential ``mu_alpha`` and
temperature ``T_alpha``.  With Kwant's modes normalised to unit current, the
scattering states injected from lead ``alpha`` at energy ``E`` contribute
``sum_modes psi psi^dagger / (2 pi)`` per unit energy to the local density
matrix (as in ``kwant.ldos``), so

    rho_i = sum_alpha  int_{E_ref}^{infinity} dE/(2 pi) f_alpha(E)
            sum_{m in alpha} psi_{m,i}(E) psi_{m,i}(E)^dagger,

the density of electrons in scattering states above ``E_ref`` (bound states
are not included).  By default ``E_ref`` is the lower end of the bias window
(every reservoir full below it), so ``rho`` is the *bias-window part*: zero
at zero bias and T = 0, and the whole current-induced spin density of a
time-reversal-symmetric system (the filled states below carry none).  A
``reference_energy`` below the window adds the states between it and the
window, all leads full.

Expectation values of onsite operators are ``Tr(O_i rho_i)``.
"""
import dataclasses

import numpy as np

from .occupation import K_B, bias_window, check_reservoirs, fermi
from .quadrature import EnergyGrid, gauss_kronrod_grid, integrate
from . import checks
from .factorization import SolverCounts
from .params import allow_extra_params as allow_extra, check_params
from .scattering import ScatteringStates, uniform_norbs

__all__ = ["LocalDensity", "NonequilibriumDensity", "local_density",
           "expectation", "check_onsite_operator"]


def check_onsite_operator(operator, nsites, norbs):
    """Return ``operator`` as an array ``(nops, nsites, norbs, norbs)``.

    Accepts one matrix ``(norbs, norbs)`` (the same on every site), a stack
    of them ``(nops, norbs, norbs)``, or per-site blocks
    ``(nops, nsites, norbs, norbs)``.
    """
    op = np.asarray(operator)
    if op.ndim == 2:
        op = op[None, None]
    elif op.ndim == 3:
        op = op[:, None]
    if op.ndim != 4 or op.shape[-2:] != (norbs, norbs) or op.shape[1] not in (1, nsites):
        raise ValueError(f"operator of shape {np.shape(operator)} does not act "
                         f"on {nsites} sites with {norbs} orbitals each: give "
                         f"({norbs}, {norbs}), (nops, {norbs}, {norbs}) or "
                         f"(nops, {nsites}, {norbs}, {norbs})")
    if not np.all(np.isfinite(op)):
        raise ValueError("operator contains NaN or infinite entries")
    return op


def expectation(density_matrix, operator):
    """``Tr(O_i rho_i)`` for each operator and site; real for Hermitian O.

    Returns an array ``(nops, nsites)``, or ``(nsites,)`` for one matrix.
    """
    rho = np.asarray(density_matrix)
    op = check_onsite_operator(operator, rho.shape[0], rho.shape[1])
    values = np.einsum("oiab,iba->oi", np.broadcast_to(
        op, (op.shape[0],) + rho.shape), rho).real
    return values[0] if np.ndim(operator) == 2 else values


@dataclasses.dataclass
class LocalDensity:
    """Result of a nonequilibrium density calculation.

    Attributes
    ----------
    density_matrix : ndarray, shape (nsites, norbs, norbs)
        ``rho_i`` (number of electrons per site, counted above the reference
        energy); site order is ``syst.sites``.
    error : float
        Quadrature error estimate ``max |K15 - G7|`` of the entries of
        ``density_matrix``.
    grid : EnergyGrid
        The energy nodes used.
    counts : SolverCounts, optional
        Factorisations, solves and lead-mode computations of this call.
    """

    density_matrix: np.ndarray
    error: float
    grid: EnergyGrid
    counts: SolverCounts = None

    def expectation(self, operator):
        """``Tr(O_i rho_i)``; see :func:`expectation`."""
        return expectation(self.density_matrix, operator)

    @property
    def charge(self):
        """Electrons per site, ``Tr rho_i``."""
        return np.trace(self.density_matrix, axis1=1, axis2=2).real


class NonequilibriumDensity:
    """Density of the nonequilibrium steady state, for many potentials.

    Lead modes and the linear system are prepared once per energy node and
    each node keeps one factorisation (:class:`ScatteringStates`): calling the
    object with a new potential costs a few multi-column solves per node,
    not a factorisation (all leads share them).

    Parameters
    ----------
    syst : kwant.system.FiniteSystem
        Finalized system with leads; every site must have the same ``norbs``.
    chemical_potentials : sequence of float
        One per lead [energy unit of the Hamiltonian, eV for :mod:`systems`].
    temperatures : float or sequence of float
        Kelvin (one for all leads, or one per lead), ``>= 0``.
    params : dict, optional
        Kwant parameters.
    reference_energy : float, optional
        Count electrons from here up (see the module docstring); default:
        the lower end of the bias window.
    n_panels : int
        Gauss-Kronrod panels over the bias window (15 nodes each).
    sea_panels : int
        Panels between ``reference_energy`` and the window.
    boltzmann : float
        ``k_B`` in the Hamiltonian's energy unit per kelvin (default eV/K).
    states : ScatteringStates, optional
        Reuse these nodes (lead modes and factorisations), e.g. along a
        sweep in the interaction; their energies must be this grid's.
    lead_modes : LeadModes, optional
        Lead modes shared with other systems with the same leads.
    ordering, max_factor_memory, iterative :
        See :class:`~kwant_noneq.scattering.ScatteringStates`.
    allow_extra_params : iterable of str, or True
        Keys of ``params`` that no value function of ``syst`` takes but that
        are there on purpose; any other unknown key is an error
        (:func:`kwant_noneq.params.check_params`).
    """

    def __init__(self, syst, chemical_potentials, temperatures=0.0, params=None,
                 *, reference_energy=None, n_panels=4, sea_panels=8,
                 boltzmann=K_B, check_hermiticity=True, states=None,
                 lead_modes=None, ordering="pord", max_factor_memory=None,
                 iterative=True, allow_extra_params=()):
        # Every cheap check before the lead modes are computed.
        uniform_norbs(syst)
        self.mu, self.kT = check_reservoirs(len(syst.leads), chemical_potentials,
                                            temperatures, boltzmann)
        n_panels = checks.integer("n_panels", n_panels, minimum=1)
        sea_panels = checks.integer("sea_panels", sea_panels, minimum=1)
        reference_energy = checks.real_number("reference_energy", reference_energy,
                                              unit="eV", allow_none=True)
        checks.real_number("boltzmann", boltzmann, positive=True)
        if allow_extra_params:
            params = allow_extra(params, allow_extra_params)
        check_params(syst, params)
        lower, upper, breaks = bias_window(self.mu, self.kT)
        self.window = (lower, upper)
        grids = []
        if upper > lower:
            grids.append(gauss_kronrod_grid(breaks, n_panels))
        if reference_energy is not None:
            if not np.isfinite(reference_energy):
                raise ValueError("reference_energy must be finite")
            if reference_energy >= lower:
                raise ValueError(f"reference_energy {reference_energy} must lie "
                                 f"below the bias window [{lower}, {upper}]")
            grids.append(gauss_kronrod_grid([reference_energy, lower], sea_panels))
        if not grids:
            self.grid = EnergyGrid(*(np.zeros(0),) * 3, np.zeros(0, int))
        else:
            self.grid = EnergyGrid(*(np.concatenate([getattr(g, f.name) for g in grids])
                                     for f in dataclasses.fields(EnergyGrid)))
        # Occupation weight of each lead at each node, divided by 2 pi.
        E = self.grid.energies[:, None]
        self.weights = np.stack([fermi(E[:, 0], m, t) for m, t in zip(self.mu, self.kT)],
                                axis=1) / (2 * np.pi)
        if states is None:
            states = ScatteringStates(syst, self.grid.energies, params,
                                      check_hermiticity, ordering=ordering,
                                      max_factor_memory=max_factor_memory,
                                      lead_modes=lead_modes, iterative=iterative)
        elif states.syst is not syst or not np.array_equal(states.energies,
                                                           self.grid.energies):
            raise ValueError("states: a ScatteringStates of this system at this "
                             "grid's energies is needed (same bias window, "
                             "temperatures and panels)")
        self.states = states
        self.nsites = len(syst.sites)
        self.norbs = self.states.norbs
        if len(self.grid) and not np.any(self.states.nmodes * (self.weights > 0)):
            raise ValueError(
                f"no lead has propagating modes anywhere in the energy window "
                f"[{self.grid.energies.min():.6g}, {self.grid.energies.max():.6g}]:"
                " the bias window lies outside every band of the leads; move "
                "chemical_potentials into a band")

    def _accumulate(self, wave_functions):
        """``sum_nodes sum_leads w psi psi^dagger`` samples of each node, from
        ``wave_functions(node) -> (list of psi, list of d psi or None)``."""
        n, o = self.nsites, self.norbs
        samples = np.zeros((len(self.grid), n, o, o), complex)
        for node in range(len(self.grid)):
            wfs, dwfs = wave_functions(node)
            for lead, psi in enumerate(wfs):
                w = self.weights[node, lead]
                if w == 0 or psi.shape[0] == 0:
                    continue
                psi = psi.reshape(psi.shape[0], n, o)
                if dwfs is None:
                    samples[node] += w * np.einsum("mia,mib->iab", psi, psi.conj())
                else:
                    dpsi = dwfs[lead].reshape(psi.shape)
                    d = np.einsum("mia,mib->iab", dpsi, psi.conj())
                    samples[node] += w * (d + d.conj().transpose(0, 2, 1))
        return samples

    def __call__(self, potential=None, rtol=None):
        """Local density matrix with ``potential`` (sparse, scattering
        region's orbitals) added to the Hamiltonian.

        ``rtol``: relative accuracy of the wave functions' iterative solves
        (default that of :class:`ScatteringStates`, 1e-12).
        """
        before = self.states.counts.copy()
        samples = self._accumulate(
            lambda node: (self.states.wave_functions(node, potential, rtol), None))
        rho, err = integrate(self.grid, samples)
        if not len(self.grid):
            rho = np.zeros((self.nsites, self.norbs, self.norbs), complex)
        return LocalDensity(rho, err, self.grid, self.states.counts - before)

    def response(self, potential, perturbation, rtol=None):
        """Linear response ``d rho / d V [perturbation]`` at ``potential``:
        the first-order change of the local density matrix
        ``(nsites, norbs, norbs)`` when ``perturbation`` (sparse, onsite
        blocks) is added, on the same energy grid and factorisations."""
        samples = self._accumulate(lambda node: (
            self.states.wave_functions(node, potential, rtol),
            self.states.wave_function_response(node, potential, perturbation, rtol)))
        if not len(self.grid):
            return np.zeros((self.nsites, self.norbs, self.norbs), complex)
        return integrate(self.grid, samples)[0]


def local_density(syst, chemical_potentials, temperatures=0.0, params=None,
                  potential=None, **kwargs):
    """One-shot nonequilibrium local density matrix; see
    :class:`NonequilibriumDensity` for the parameters.

    Examples
    --------
    >>> rho = local_density(fsyst, [0.095, 0.105], 0.0, params)
    >>> spin_z = rho.expectation(sigma_z / 2)     # per site
    """
    return NonequilibriumDensity(syst, chemical_potentials, temperatures, params,
                                 **kwargs)(potential)
