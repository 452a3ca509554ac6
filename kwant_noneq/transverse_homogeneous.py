"""Homogeneous ballistic state of a lead periodic in a transverse direction,
averaged over the transverse momentum.

A lead wrapped in a transverse direction (``kwant.wraparound.wraparound(
lead, keep=...)``, e.g. :func:`kwant_noneq.systems.ti_slab.make_slab_lead`)
takes a Bloch phase ``k`` per transverse period as a parameter (``k_y``).
At each ``k`` it is an ordinary lead, whose homogeneous nonequilibrium state
(right movers filled to ``mu_right``, left movers to ``mu_left``) is
:func:`kwant_noneq.homogeneous.homogeneous_density`.  Its average

    rho_i = (1 / 2 pi) int_{k_min}^{k_max} dk  rho_i^hom(k)

is the state deep inside a long clean conductor periodic in that direction,
the homogeneous counterpart of :class:`~kwant_noneq.transverse.TransverseDensity`
(same rules, same nodes, same units: electrons per site of the cell, i.e.
per site and per transverse period).  With the same momentum rule, energy
panels and bias, the two agree node by node in the middle of a long clean
system, so their comparison does not depend on the quadratures' errors.

:func:`solve_transverse_homogeneous_exchange` iterates the exchange field of
an interaction kernel on the lead's cell to self-consistency on this
density (the homogeneous counterpart of
``solve_exchange(density=TransverseDensity(...))``).
"""
import dataclasses

import kwant.system
import numpy as np

from . import checks
from .bloch import bloch_hamiltonian
from .exchange import (check_initial_field, check_spin_operators,
                       exchange_field, spin_density)
from .factorization import SolverCounts
from .homogeneous import NoBandInWindow, cell_potential, homogeneous_density
from .mixing import check_fixed_point_options, solve_fixed_point
from .occupation import check_reservoirs
from .params import allow_extra_params as allow_extra, check_params
from .transverse import (TransverseLocalDensity, check_momentum, coarse_rule_average,
                         companion_rule, momentum_rule)
from .quadrature import GAUSS_POINTS

__all__ = ["TransverseHomogeneousDensity", "TransverseHomogeneousState",
           "solve_transverse_homogeneous_exchange"]


class TransverseHomogeneousDensity:
    """Homogeneous ballistic density of a transversely periodic lead,
    averaged over the transverse momentum.

    Parameters
    ----------
    lead : kwant.system.InfiniteSystem
        A finalized lead whose value functions take ``momentum`` (e.g.
        ``fsyst.leads[1]`` of a wrapped system, or a lead built with
        ``kwant.wraparound.wraparound(..., keep=...)``).  Right movers move
        along its symmetry vector.
    mu_right, mu_left : float
        Chemical potentials of the right and left movers [eV] (for the
        state between lead 0 on the left and lead 1 on the right:
        ``mu_right = mu_0``, ``mu_left = mu_1``).
    temperature : float
        [K], ``>= 0``.
    params : dict, optional
        Kwant parameters without ``momentum`` (set per node).
    momentum : str
        Name of the transverse-momentum parameter (Bloch phase per period,
        dimensionless; default ``'k_y'``).
    n_momenta, rule, momentum_range, breakpoints, edges :
        As for :class:`~kwant_noneq.transverse.TransverseDensity` (the same
        values give the same nodes and weights).
    n_panels : int
        Gauss-Kronrod panels over the bias window (the grid of
        :class:`~kwant_noneq.density.NonequilibriumDensity` with the same
        ``n_panels`` on a fixed grid: the same energies).
    nk : int
        k-grid (per Brillouin zone of the lead) that brackets the band
        crossings (:func:`~kwant_noneq.homogeneous.band_crossings`); it must
        resolve the crossings' separation, ``2 k_x`` near a subband bottom.
    allow_extra_params : iterable of str, or True
        Keys of ``params`` deliberately unknown to the lead.

    Attributes
    ----------
    momenta, weights : ndarray
        The rule's nodes and weights.
    bands : list of kwant_noneq.bloch.BlochHamiltonian
        One per node; ``companions`` the ``'gauss'`` estimate's extra nodes.
    sites, norbs, size :
        The lead cell's sites, orbitals per site, orbitals of the cell.
    """

    def __init__(self, lead, mu_right, mu_left, temperature=0.0, params=None,
                 *, momentum="k_y", n_momenta=8, rule="uniform",
                 momentum_range=None, n_panels=2, nk=256, allow_extra_params=(),
                 breakpoints=(), edges=None):
        # Every cheap check before the first Bloch Hamiltonian.
        if not isinstance(lead, kwant.system.InfiniteSystem):
            raise TypeError(f"lead must be a finalized Kwant lead "
                            f"(kwant.system.InfiniteSystem), got "
                            f"{type(lead).__name__}")
        check_reservoirs(2, [mu_right, mu_left], temperature)
        n, self.rule, self.momentum_range = check_momentum(
            lead, momentum, params, n_momenta, rule, momentum_range)
        self.n_panels = checks.integer("n_panels", n_panels, minimum=1)
        self.nk = checks.integer("nk", nk, minimum=3)
        self.mu_right, self.mu_left = float(mu_right), float(mu_left)
        self.temperature = float(temperature)
        self.momentum, self.n_momenta = momentum, n
        self.breakpoints, self.edges = breakpoints, edges
        self.momenta, self.weights = momentum_rule(
            n, rule, self.momentum_range, breakpoints=breakpoints, edges=edges)
        # 'panels': the companion halves the panels the rule really has
        extra = companion_rule(len(self.momenta) // GAUSS_POINTS
                               if rule == "panels" else n, rule,
                               self.momentum_range, breakpoints=breakpoints,
                               edges=edges)[0]
        if rule == "panels" and len(extra) == len(self.momenta):
            extra = np.zeros(0)     # the companion is the rule: no estimate
        base = allow_extra(params, allow_extra_params or ())
        probe = allow_extra(base, ())
        probe[momentum] = 0.0
        check_params(lead, probe)

        def make(k):
            p = allow_extra(base, ())
            p[momentum] = float(k)
            return bloch_hamiltonian(lead, p)

        self.bands = [make(k) for k in self.momenta]
        self.companions = [make(k) for k in extra]
        first = self.bands[0]
        self.sites, self.norbs, self.size = first.sites, first.norbs, first.size

    def _one(self, bands, potential):
        """Density of one node; zero where no band crosses the window (a
        node outside every subband, as ``allow_no_modes`` of the scattering
        density)."""
        try:
            return homogeneous_density(bands, self.mu_right, self.mu_left,
                                       self.temperature, potential,
                                       self.n_panels, self.nk)
        except NoBandInWindow:
            return None

    def __call__(self, potential=None):
        """Momentum-averaged homogeneous density with ``potential`` (a dense
        ``(size, size)`` matrix on the cell's orbitals [eV], e.g.
        :func:`~kwant_noneq.homogeneous.cell_potential`, the same at every
        momentum) added to the cell Hamiltonian.

        Returns
        -------
        TransverseLocalDensity
            ``density_matrix`` (ncell, norbs, norbs) per site of the cell;
            ``energy_error`` the weighted energy-quadrature estimates,
            ``momentum_error`` the rule's estimate (as for
            :class:`~kwant_noneq.transverse.TransverseDensity`), ``counts``
            empty (no scattering problem is solved).

        Raises
        ------
        NoBandInWindow
            When no band crosses the window at any node.
        """
        ncell = len(self.sites)
        zero = np.zeros((ncell, self.norbs, self.norbs), complex)
        per = [self._one(b, potential) for b in self.bands]
        extra = [self._one(b, potential) for b in self.companions]
        if all(r is None for r in per):
            lo, hi = sorted((self.mu_right, self.mu_left))
            raise NoBandInWindow(
                f"no band crosses the window [{lo:.6g}, {hi:.6g}] at any of the "
                f"{len(self.momenta)} momenta {self.momentum} in "
                f"{self.momentum_range}: move the chemical potentials into a band")
        rho_k = [zero if r is None else r.density_matrix for r in per]
        rho = np.tensordot(self.weights, np.asarray(rho_k), axes=1)
        lower = coarse_rule_average(
            rho_k, [zero if r is None else r.density_matrix for r in extra],
            self.weights, self.rule, self.momentum_range,
            breakpoints=self.breakpoints, edges=self.edges)
        k_err = (np.inf if lower is None
                 else float(np.max(np.abs(rho - lower), initial=0.0)))
        e_err = float(np.dot(self.weights,
                             [0.0 if r is None else r.error for r in per]))
        grid = next((r.grid for r in per if r is not None), None)
        return TransverseLocalDensity(
            rho, e_err + k_err, grid, SolverCounts(), e_err + k_err, None,
            energy_error=e_err, momentum_error=k_err, momenta=self.momenta,
            weights=self.weights, per_momentum=per)


@dataclasses.dataclass(frozen=True)
class TransverseHomogeneousState:
    """Self-consistent homogeneous state of a transversely periodic lead.

    Attributes
    ----------
    exchange_field : ndarray (ncell, 3)
        [eV] on the cell's sites.
    spin_density : ndarray (ncell, 3)
        ``<sigma>/2`` per site and transverse period, of the density that
        made ``exchange_field`` (self-consistent: the converged one).
    density : TransverseLocalDensity
        That density.
    potential : ndarray (size, size)
        The cell potential ``sum_i h_i . sigma`` [eV].
    converged : bool
    iterations : int
    residuals : ndarray
        Max-norm residual of each iteration [eV].
    """

    exchange_field: np.ndarray
    spin_density: np.ndarray
    density: TransverseLocalDensity
    potential: np.ndarray
    converged: bool
    iterations: int
    residuals: np.ndarray


def solve_transverse_homogeneous_exchange(density, spin_operators, *, kernel,
                                          initial_field=None,
                                          self_consistent=True,
                                          method="anderson", tol=1e-10,
                                          max_iter=60, mixing=0.7,
                                          on_failure="raise", progress=False):
    """Self-consistent exchange field ``h_i = -sum_j V_ij s_j`` on a lead's
    cell, in the homogeneous state averaged over the transverse momentum.

    Parameters
    ----------
    density : TransverseHomogeneousDensity
    spin_operators : array (3, norbs, norbs)
        Pauli matrices in the site basis; ``s = <sigma>/2``.
    kernel : array or sparse matrix (ncell, ncell)
        Interaction ``V_ij`` [eV] between the cell's sites, e.g.
        ``region_kernel(density.sites, U, region)`` for a contact
        interaction on a region (a surface).
    initial_field : array (ncell, 3), optional
        Warm start [eV]; default zero.
    self_consistent : bool
        ``False``: the first-order field, from the density without field.
    method, tol, max_iter, mixing, on_failure, progress :
        As for :func:`~kwant_noneq.mixing.solve_fixed_point`; ``tol`` [eV].

    Returns
    -------
    TransverseHomogeneousState
    """
    if not isinstance(density, TransverseHomogeneousDensity):
        raise TypeError(f"density must be a TransverseHomogeneousDensity, got "
                        f"{type(density).__name__}")
    tol, max_iter, mixing, _ = check_fixed_point_options(
        method, tol, max_iter, mixing, on_failure=on_failure)
    ncell = len(density.sites)
    if getattr(kernel, "shape", None) != (ncell, ncell):
        raise ValueError(f"kernel must be ({ncell}, {ncell}) (the cell's "
                         f"sites) [eV], got shape {getattr(kernel, 'shape', None)}")
    ops = check_spin_operators(spin_operators, density.norbs)
    h0 = check_initial_field(initial_field, ncell, "site of the lead's cell")
    last = {}

    def evaluate(h):
        rho = density(cell_potential(h, ops))
        last["h"], last["rho"] = h, rho
        return exchange_field(spin_density(rho.density_matrix, ops), kernel)

    if self_consistent:
        fp = solve_fixed_point(evaluate, h0, method=method, tol=tol,
                               max_iter=max_iter, mixing=mixing,
                               on_failure=on_failure, progress=progress)
        h, conv, it, res = fp.x, fp.converged, fp.iterations, fp.residuals
        rho = (last["rho"] if np.array_equal(last["h"], h)
               else density(cell_potential(h, ops)))
    else:
        rho = density(cell_potential(h0, ops))
        h = exchange_field(spin_density(rho.density_matrix, ops), kernel)
        conv, it, res = True, 1, np.zeros(0)
    return TransverseHomogeneousState(
        np.asarray(h), spin_density(rho.density_matrix, ops), rho,
        cell_potential(h, ops), bool(conv), int(it), np.asarray(res))
