"""Onsite mean-field channels: charge (Hartree), spin (exchange), any other.

A *channel* couples a field to the electrons through onsite operators and
takes the field from a density through an interaction kernel.  With
``nops`` operators ``O_a`` (the coupling), density operators ``D_a``
(default ``D_a = O_a``), a kernel ``V_ij`` [eV] between sites, a sign
``s = +1`` or ``-1`` and a reference density ``n^ref``:

    n_{i,a}   = Tr(D_{a,i} rho_i)                      (per site)
    phi_{i,a} = s sum_j V_ij (n_{j,a} - n^ref_{j,a})   [eV]
    H_MF      = sum_i sum_a phi_{i,a} O_{a,i}

Several channels add their ``H_MF``.  The self-consistent loop is
:func:`kwant_noneq.scf.solve_mean_field`; the potential lives on the onsite
blocks of the scattering region, the fixed sparsity pattern of the engine
(docs/engine.md), so a new field costs solves on the kept factorisations,
not factorisations.

The two physical channels (docs/mean_field.md):

* **charge** (:func:`charge_channel`): ``O = D = 1`` on every site, ``s =
  +1``: the Hartree potential ``phi_i = sum_j V_ij (n_j - n^ref_j)`` [eV] of
  the electrons per site ``n_j`` counted by the density (above its
  reference energy) against a background ``n^ref_j`` (e.g. the ions' charge,
  or the density of a neutral equilibrium state).  ``V_ij`` is the
  interaction energy of two electrons on sites ``i`` and ``j``, e.g. a
  gate-screened Coulomb interaction (:func:`gated_wire_kernel`).
* **spin** (:func:`spin_channel`): ``O = sigma``, ``D = sigma / 2``, ``s =
  -1``: the exchange field ``h_i = -sum_j V_ij s_j`` of
  :mod:`kwant_noneq.exchange` (Eq. (3) of Balram et al., PRL 123, 246803
  (2019), on a lattice).

A Hubbard interaction ``U n_up n_down`` is both at once: the charge channel
with ``V = U / 2`` and the spin channel with ``V = U`` (from ``n_up n_down
= (n^2 - 4 s_z^2) / 4``, each square decoupled as ``2 <A> A``); the spin
channel then holds the three components, which is the rotation-invariant
choice.

Units: energies eV, densities in electrons (or spin, ``hbar = 1``) per site,
distances in the units of ``site.pos`` (nm for :mod:`kwant_noneq.systems`).
"""
import dataclasses

import kwant
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg  # noqa: F401  (sp.linalg)

from . import checks
from .coulomb import gated_coulomb
from .density import (check_onsite_operator, density_operator_blocks,
                      expectation)
from .exchange import check_spin_operators, range_kernel
from .scattering import onsite_block_matrix

__all__ = ["MeanFieldChannel", "charge_channel", "spin_channel",
           "gated_wire_kernel", "thomas_fermi_charge", "check_channels",
           "channel_densities", "channel_fields", "mean_field_potential",
           "check_initial_fields"]


@dataclasses.dataclass(frozen=True, eq=False)
class MeanFieldChannel:
    """One onsite mean-field channel (see the module docstring).

    Attributes
    ----------
    operators : array or kwant.operator.Density
        The coupling ``O_a``: one Hermitian matrix ``(norbs, norbs)``, a
        stack ``(nops, norbs, norbs)``, per-site blocks ``(nops, nsites,
        norbs, norbs)`` or ``kwant.operator.Density`` objects of the system
        (formats of :func:`~kwant_noneq.density.check_onsite_operator`).
    kernel : array or sparse matrix (nsites, nsites)
        ``V_ij`` [eV], real and symmetric, in ``syst.sites`` order.
    sign : {+1, -1}
        ``+1`` for a direct (Hartree) term, ``-1`` for an exchange (Fock)
        term of equal spins; the strength is the kernel's.
    density_operators : optional
        ``D_a``, same formats and number as ``operators``; default
        ``operators``.
    reference : float or array (nsites, nops), optional
        ``n^ref`` [electrons or spin per site], subtracted before the
        kernel acts; ``(nsites,)`` for one operator.  Default 0.
    name : str
        A label (``'charge'``, ``'spin'``) for results and messages.
    """

    operators: object
    kernel: object
    sign: int = 1
    density_operators: object = None
    reference: object = None
    name: str = ""

    @property
    def n_operators(self):
        """``nops`` (after :func:`check_channels`)."""
        return np.shape(self.operators)[0]


def charge_channel(kernel, norbs=1, reference=None, name="charge"):
    """The Hartree channel: ``phi_i = sum_j V_ij (n_j - n^ref_j)`` [eV] with
    ``n_j = Tr rho_j`` (electrons per site), coupled as ``phi_i`` times the
    identity on site ``i``.

    Parameters
    ----------
    kernel : array or sparse matrix (nsites, nsites)
        ``V_ij`` [eV], e.g. :func:`gated_wire_kernel`.
    norbs : int
        Orbitals per site.
    reference : float or array (nsites,), optional
        Background ``n^ref_j`` [electrons per site] (default 0: the density
        itself is the charge, as for the bias-window density).
    """
    norbs = checks.integer("norbs", norbs, minimum=1)
    return MeanFieldChannel(np.eye(norbs)[None], kernel, +1, None, reference,
                            name)


def spin_channel(spin_operators, kernel, name="spin"):
    """The exchange channel: ``h_i = -sum_j V_ij s_j`` [eV] with ``s_j =
    <sigma_j> / 2``, coupled as ``h_i.sigma_i`` (:mod:`kwant_noneq.exchange`).

    Parameters
    ----------
    spin_operators : array (3, norbs, norbs), or three kwant.operator.Density
        ``sigma_x, sigma_y, sigma_z`` in the site basis, the same on every
        site (:func:`~kwant_noneq.exchange.check_spin_operators`).
    kernel : array or sparse matrix (nsites, nsites)
        ``V_ij`` [eV] (e.g. :func:`~kwant_noneq.exchange.contact_kernel`).
    """
    first = spin_operators[0] if len(spin_operators) else None
    norbs = (density_operator_blocks(first).shape[-1]
             if isinstance(first, kwant.operator.Density)
             else np.shape(spin_operators)[-1])
    ops = check_spin_operators(spin_operators, norbs)
    return MeanFieldChannel(ops, kernel, -1, ops / 2, None, name)


def gated_wire_kernel(sites, gate_distance, eps_r, width, cutoff=None):
    """``V_ij`` [eV] of electrons on ``sites`` in front of a metallic gate.

    ``V_ij = gated_coulomb(|r_i - r_j|)``, see
    :func:`kwant_noneq.coulomb.gated_coulomb`: the Coulomb interaction
    ``e^2 / (4 pi eps0 eps_r)`` of a charge and of its image charge at
    distance ``2 d`` behind the gate, regularised on the scale ``width``
    (the wire's width or the site's extent).

    Parameters
    ----------
    sites : sequence of kwant sites
        ``syst.sites``; positions in nm.
    gate_distance : float
        ``d`` [nm], distance of the sites from the gate plane.
    eps_r : float
        Relative permittivity.
    width : float
        Regularisation ``w`` [nm] (``V(0)`` is finite).
    cutoff : float, optional
        Pairs further apart than this [nm] are dropped (``V ~ 2 d^2 /
        r^3`` there); default: every pair.
    """
    d = checks.real_number("gate_distance", gate_distance, unit="nm",
                           positive=True)
    eps_r = checks.real_number("eps_r", eps_r, unit="dimensionless",
                               positive=True)
    w = checks.real_number("width", width, unit="nm", positive=True)
    pos = np.array([s.pos for s in sites], float)
    if cutoff is None:
        extent = pos.max(axis=0) - pos.min(axis=0) if len(pos) else 0.0
        cutoff = float(np.linalg.norm(extent)) + 1.0
    cutoff = checks.real_number("cutoff", cutoff, unit="nm", positive=True)
    return range_kernel(sites, lambda r: gated_coulomb(r, d, eps_r, w), cutoff)


def thomas_fermi_charge(kernel, density_of_states, shift):
    """Linear Thomas-Fermi charge of a Hartree channel [electrons per site].

    Each site's charge follows its local chemical potential, ``dn_i = nu_i
    (dmu_i - phi_i)`` with ``phi = V dn``:

        (diag(1 / nu) + V) dn = dmu,

    the local (long-wavelength) limit of the self-consistent Hartree state
    for a small shift ``dmu`` of the chemical potential (e.g. a gate), with
    ``nu_i`` the density of states per site at the Fermi level.  For a
    uniform wire far from its ends, ``dn = dmu / (1/nu + sum_j V_ij)``:
    ``1/C = 1/C_quantum + 1/C_geom`` per site.  Cheap (one linear solve):
    a starting field for :func:`~kwant_noneq.scf.solve_mean_field`
    (``phi = V dn``) and the reference the quantum corrections are measured
    from.

    Parameters
    ----------
    kernel : array or sparse matrix (nsites, nsites)
        ``V_ij`` [eV].
    density_of_states : float or array (nsites,)
        ``nu_i`` [1/eV per site], ``> 0``.
    shift : float or array (nsites,)
        ``dmu_i`` [eV].

    Returns
    -------
    ndarray (nsites,)
        ``dn_i`` [electrons per site].
    """
    kernel = _kernel(kernel, np.shape(kernel)[0], "thomas_fermi_charge")
    n = kernel.shape[0]
    nu = np.broadcast_to(np.asarray(density_of_states, float), (n,))
    if not np.all(nu > 0) or not np.all(np.isfinite(nu)):
        raise ValueError("density_of_states must be > 0 and finite [1/eV per "
                         "site]")
    rhs = np.broadcast_to(np.asarray(shift, float), (n,)).copy()
    matrix = (sp.diags(1 / nu) + kernel).tocsc() if sp.issparse(kernel) else (
        np.diag(1 / nu) + kernel)
    return (sp.linalg.spsolve(matrix, rhs) if sp.issparse(matrix)
            else np.linalg.solve(matrix, rhs))


def check_channels(channels, nsites, norbs, *, syst=None, params=None):
    """Check the channels and return them with arrays in place.

    Parameters
    ----------
    channels : MeanFieldChannel, or a sequence of them
        A tuple ``(operators, kernel, sign)`` is taken as a channel too.
    nsites, norbs : int
        Sites of the system and orbitals per site.
    syst : kwant.system.FiniteSystem, optional
        The system (a ``kwant.operator.Density`` must be of this one).
    params : dict, optional
        Parameters of a ``kwant.operator.Density``'s onsite function.

    Returns
    -------
    tuple of MeanFieldChannel
        ``operators`` and ``density_operators`` as arrays ``(nops, norbs,
        norbs)`` (the same on every site) or ``(nops, nsites, norbs,
        norbs)``, ``reference`` None or ``(nsites, nops)``, ``kernel`` a
        sparse matrix or an ndarray.

    Raises
    ------
    TypeError, ValueError
        Naming the channel and what is wrong: shapes, a kernel that is not
        real, finite and symmetric, a sign other than +-1, an operator that
        is not Hermitian.
    """
    # One channel alone (an object, or a tuple whose first entry is its
    # operators rather than a channel) is a list of one.
    if isinstance(channels, MeanFieldChannel) or (
            isinstance(channels, tuple) and channels
            and not isinstance(channels[0], (MeanFieldChannel, tuple))):
        channels = [channels]
    channels = list(channels) if channels is not None else []
    if not channels:
        raise ValueError("channels must hold at least one MeanFieldChannel")
    checked = []
    for k, channel in enumerate(channels):
        if isinstance(channel, tuple):
            if not 2 <= len(channel) <= 3:
                raise TypeError(f"channel {k}: a tuple must be (operators, "
                                f"kernel) or (operators, kernel, sign), got "
                                f"{len(channel)} entries")
            channel = MeanFieldChannel(*channel)
        if not isinstance(channel, MeanFieldChannel):
            raise TypeError(f"channel {k} must be a MeanFieldChannel, got "
                            f"{type(channel).__name__}")
        label = f"channel {k}" + (f" ({channel.name!r})" if channel.name else "")
        ops = _operators(channel.operators, nsites, norbs, syst, params,
                         f"{label} operators")
        dens = ops if channel.density_operators is None else _operators(
            channel.density_operators, nsites, norbs, syst, params,
            f"{label} density_operators")
        if dens.shape[0] != ops.shape[0]:
            raise ValueError(f"{label}: {dens.shape[0]} density_operators for "
                             f"{ops.shape[0]} operators; give one per operator")
        if channel.sign not in (1, -1):
            raise ValueError(f"{label}: sign must be +1 (direct, Hartree) or -1 "
                             f"(exchange), got {channel.sign!r}; the strength "
                             f"is the kernel's [eV]")
        kernel = _kernel(channel.kernel, nsites, label)
        reference = _reference(channel.reference, nsites, ops.shape[0], label)
        checked.append(dataclasses.replace(
            channel, operators=ops, density_operators=dens, kernel=kernel,
            reference=reference, sign=int(channel.sign)))
    return tuple(checked)


def _operators(operator, nsites, norbs, syst, params, label):
    try:
        op = check_onsite_operator(operator, nsites, norbs, syst=syst,
                                   params=params)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{label}: {err}") from err
    if not np.allclose(op, op.conj().swapaxes(-1, -2)):
        raise ValueError(f"{label} must be Hermitian")
    # One matrix per operator stays (nops, norbs, norbs): the potential is
    # then one product per site, as exchange.exchange_potential makes it.
    return op[:, 0] if op.shape[1] == 1 else op


def _kernel(kernel, nsites, label):
    if sp.issparse(kernel):
        data = kernel.data if hasattr(kernel, "data") else kernel.tocsr().data
        dense = None
    else:
        try:
            dense = np.asarray(kernel)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{label}: kernel must be an array or a sparse "
                            f"matrix (nsites, nsites) [eV]") from err
        data = dense
    shape = getattr(kernel, "shape", None) if dense is None else dense.shape
    if shape != (nsites, nsites):
        raise ValueError(f"{label}: kernel has shape {shape}, the system has "
                         f"{nsites} sites: give a (nsites, nsites) matrix "
                         f"V_ij [eV]")
    if np.asarray(data).dtype.kind not in "iuf":
        raise TypeError(f"{label}: kernel must be real V_ij [eV], got dtype "
                        f"{np.asarray(data).dtype}")
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{label}: kernel contains NaN or infinite entries")
    asym = kernel - kernel.T
    asym = abs(asym).max() if sp.issparse(asym) else np.max(np.abs(asym),
                                                            initial=0.0)
    scale = abs(kernel).max() if sp.issparse(kernel) else np.max(
        np.abs(dense), initial=0.0)
    if asym > 1e-12 * scale:
        raise ValueError(f"{label}: kernel is not symmetric (max |V_ij - V_ji| "
                         f"= {asym:.3g} eV): an interaction energy V_ij [eV] "
                         f"is symmetric")
    return kernel if dense is None else dense.astype(float, copy=False)


def _reference(reference, nsites, nops, label):
    if reference is None:
        return None
    ref = np.asarray(reference)
    if ref.dtype.kind not in "iuf":
        raise TypeError(f"{label}: reference must be real numbers [per site], "
                        f"got dtype {ref.dtype}")
    if ref.ndim == 1 and nops == 1 and ref.shape[0] == nsites:
        ref = ref[:, None]
    try:
        ref = np.broadcast_to(ref.astype(float), (nsites, nops)).copy()
    except ValueError as err:
        raise ValueError(f"{label}: reference has shape {np.shape(reference)}; "
                         f"give a number or an array ({nsites}, {nops}) "
                         f"(sites, operators)") from err
    if not np.all(np.isfinite(ref)):
        raise ValueError(f"{label}: reference contains NaN or infinite values")
    return ref


def channel_densities(density_matrix, channels):
    """``n_{i,a} = Tr(D_a rho_i)`` of each checked channel: a list of arrays
    ``(nsites, nops)`` [per site]."""
    rho = np.asarray(density_matrix)
    return [expectation(rho, c.density_operators).T for c in channels]


def channel_fields(densities, channels, reference=True):
    """``phi_{i,a} = s sum_j V_ij (n_{j,a} - n^ref_{j,a})`` [eV] of each
    checked channel, a list of ``(nsites, nops)``; ``reference=False``
    leaves ``n^ref`` out (a linear response)."""
    fields = []
    for n, c in zip(densities, channels):
        if reference and c.reference is not None:
            n = n - c.reference
        out = c.kernel @ np.asarray(n)
        fields.append(out if c.sign > 0 else -out)
    return fields


def mean_field_potential(fields, channels):
    """Sparse ``H_MF = sum_i sum_a phi_{i,a} O_{a,i}`` [eV] on the onsite
    blocks of the scattering region's orbitals.

    Parameters
    ----------
    fields : sequence of arrays (nsites, nops)
        One per checked channel [eV].
    channels : tuple of MeanFieldChannel
        From :func:`check_channels`.
    """
    blocks = None
    for field, c in zip(fields, channels):
        field = np.asarray(field, float)
        ops = c.operators
        b = (np.einsum("ic,cab->iab", field, ops) if ops.ndim == 3 else
             np.einsum("ic,ciab->iab", field, ops))
        blocks = b if blocks is None else blocks + b
    return onsite_block_matrix(blocks).tocsr()


def check_initial_fields(initial_fields, channels, nsites):
    """Starting fields, one float array ``(nsites, nops)`` [eV] per channel:
    zeros for None (all, or one entry)."""
    if initial_fields is None:
        initial_fields = [None] * len(channels)
    if isinstance(initial_fields, np.ndarray) or not isinstance(
            initial_fields, (list, tuple)):
        raise TypeError("initial_fields must be a list with one array "
                        "(nsites, nops) [eV] (or None) per channel")
    if len(initial_fields) != len(channels):
        raise ValueError(f"initial_fields has {len(initial_fields)} entries for "
                         f"{len(channels)} channels")
    out = []
    for k, (field, c) in enumerate(zip(initial_fields, channels)):
        shape = (nsites, c.n_operators)
        if field is None:
            out.append(np.zeros(shape))
            continue
        f = np.asarray(field)
        if f.dtype.kind not in "iuf":
            raise TypeError(f"initial_fields[{k}] must be real numbers [eV], "
                            f"got dtype {f.dtype}")
        if f.shape != shape:
            raise ValueError(f"initial_fields[{k}] must have shape {shape} (one "
                             f"field [eV] per site and operator), got {f.shape}")
        if not np.all(np.isfinite(f)):
            raise ValueError(f"initial_fields[{k}] contains NaN or infinite "
                             f"values")
        out.append(f.astype(float))
    return out
