"""Self-consistent exchange field of a finite system driven by its leads.

Iterates ``h -> -V s[h]``: the nonequilibrium spin density ``s`` of the
scattering states (:mod:`kwant_noneq.density`) with the exchange field ``h``
in the Hamiltonian, and the exchange field of that density
(:mod:`kwant_noneq.exchange`), to the fixed point (:mod:`kwant_noneq.mixing`).
The energy grid is frozen while iterating (an adaptive grid inside a
fixed-point loop breaks convergence); with ``refine=True`` the grid is then
doubled and the loop converged again from the first solution, and the change
is reported.
"""
import dataclasses

import numpy as np

from .density import NonequilibriumDensity
from .exchange import (check_spin_operators, contact_kernel, exchange_field,
                       exchange_potential, spin_density)
from . import checks
from .mixing import check_fixed_point_options, solve_fixed_point
from .occupation import K_B, check_reservoirs
from .params import allow_extra_params as allow_extra, check_params
from .scattering import uniform_norbs

__all__ = ["SelfConsistentState", "solve_exchange"]


@dataclasses.dataclass
class SelfConsistentState:
    """Self-consistent nonequilibrium state of a finite system.

    Attributes
    ----------
    exchange_field : ndarray, shape (nsites, 3)
        ``h_i`` [eV], in ``syst.sites`` order.
    spin_density : ndarray, shape (nsites, 3)
        ``s_i = <sigma_i>/2`` of the self-consistent state.
    density : LocalDensity
        The full local density matrix (``.expectation(O)`` for any onsite O).
    converged : bool
    iterations : int
    residuals : ndarray
        ``max_i |h_new - h|`` [eV] per iteration.
    quadrature_error : float
        Energy-quadrature error estimate of the density matrix.
    refinement_change : float or None
        ``max |h(refined grid) - h(grid)|`` [eV] when ``refine=True``.
    """

    exchange_field: np.ndarray
    spin_density: np.ndarray
    density: object
    converged: bool
    iterations: int
    residuals: np.ndarray
    quadrature_error: float
    refinement_change: float = None


def solve_exchange(syst, spin_operators, chemical_potentials, temperatures=0.0,
                   params=None, *, U=None, kernel=None, initial_field=None,
                   method="anderson", tol=1e-9, max_iter=100, mixing=0.5,
                   n_panels=2, refine=False, on_failure="raise",
                   progress=False, allow_extra_params=(), **density_kwargs):
    """Self-consistent exchange field of ``syst`` at the given bias.

    Parameters
    ----------
    syst : kwant.system.FiniteSystem
        Finalized system with leads (every site the same ``norbs``).
    spin_operators : array (3, norbs, norbs)
        Pauli matrices in the site basis; the spin density is ``<sigma>/2``.
    chemical_potentials, temperatures :
        Per lead [eV], [K]; see :class:`~kwant_noneq.density.NonequilibriumDensity`.
    params : dict
        Kwant parameters of the static Hamiltonian.
    U : float, optional
        Contact interaction [eV]: ``h_i = -U s_i``.
    kernel : sparse matrix (nsites, nsites), optional
        Any interaction ``V_ij`` [eV] instead of ``U`` (see
        :func:`~kwant_noneq.exchange.range_kernel`).
    initial_field : array (nsites, 3) or SelfConsistentState, optional
        Warm start; default zero field.
    method, tol, max_iter, mixing, on_failure, progress :
        See :func:`~kwant_noneq.mixing.solve_fixed_point`; ``tol`` in eV.
    n_panels : int
        Gauss-Kronrod panels over the bias window.
    refine : bool
        After convergence, double the panels and converge again.
    allow_extra_params : iterable of str, or True
        Keys of ``params`` deliberately unknown to ``syst``
        (:func:`kwant_noneq.params.check_params`).

    All arguments are checked before the energy grid's lead modes are
    computed.
    """
    # Every cheap check here, before the lead modes of the energy grid are
    # computed (a minute for a large ribbon).
    norbs = uniform_norbs(syst)
    check_reservoirs(len(syst.leads), chemical_potentials, temperatures,
                     density_kwargs.get("boltzmann", K_B))
    check_fixed_point_options(method, tol, max_iter, mixing,
                              on_failure=on_failure)
    n_panels = checks.integer("n_panels", n_panels, minimum=1)
    check_spin_operators(spin_operators, norbs)
    if allow_extra_params:
        params = allow_extra(params, allow_extra_params)
    check_params(syst, params)
    if (U is None) == (kernel is None):
        raise ValueError("give exactly one of U (contact interaction) or kernel")
    if kernel is None:
        kernel = contact_kernel(syst.sites, checks.real_number("U", U, unit="eV"))
    if getattr(kernel, "shape", None) != (len(syst.sites),) * 2:
        raise ValueError(f"kernel has shape {getattr(kernel, 'shape', None)}, "
                         f"the system has {len(syst.sites)} sites: give a "
                         f"(nsites, nsites) matrix V_ij [eV]")
    if isinstance(initial_field, SelfConsistentState):
        initial_field = initial_field.exchange_field
    h0 = (np.zeros((len(syst.sites), 3)) if initial_field is None
          else np.asarray(initial_field))
    if h0.dtype.kind not in "iuf":
        raise TypeError(f"initial_field must be real numbers [eV], got dtype "
                        f"{h0.dtype}")
    h0 = h0.astype(float)
    if h0.shape != (len(syst.sites), 3):
        raise ValueError(f"initial_field must have shape ({len(syst.sites)}, 3), "
                         f"got {h0.shape}")
    if not np.all(np.isfinite(h0)):
        raise ValueError("initial_field contains NaN or infinite values")

    def run(panels, start):
        density = NonequilibriumDensity(syst, chemical_potentials, temperatures,
                                        params, n_panels=panels, **density_kwargs)
        ops = check_spin_operators(spin_operators, density.norbs)
        last = {}

        def update(h):
            rho = density(exchange_potential(h, ops))
            last["rho"] = rho
            return exchange_field(spin_density(rho.density_matrix, ops), kernel)

        fp = solve_fixed_point(update, start, method=method, tol=tol,
                               max_iter=max_iter, mixing=mixing,
                               on_failure=on_failure, progress=progress)
        rho = density(exchange_potential(fp.x, ops))
        return fp, rho, ops

    fp, rho, ops = run(n_panels, h0)
    change = None
    if refine and fp.converged:
        fp2, rho2, _ = run(2 * n_panels, fp.x)
        change = float(np.max(np.abs(fp2.x - fp.x), initial=0.0))
        fp = dataclasses.replace(fp2, iterations=fp.iterations + fp2.iterations,
                                 residuals=np.concatenate([fp.residuals, fp2.residuals]))
        rho = rho2
    return SelfConsistentState(fp.x, spin_density(rho.density_matrix, ops), rho,
                               fp.converged, fp.iterations, fp.residuals,
                               rho.error, change)
