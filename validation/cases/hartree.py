"""Hartree screening of a gated wire: the Thomas-Fermi / geometric-capacitance
limit of :func:`kwant_noneq.scf.solve_mean_field` with a charge channel.

Lattice: the chain of :mod:`kwant_noneq.systems.chain` (t = 1 eV, a = 1 nm,
one orbital), ``N`` sites between two leads of the same chain, at distance
``d`` from a metallic gate: ``V_ij = gated_coulomb(|i - j| a)``
(:func:`kwant_noneq.meanfield.gated_wire_kernel`, ``eps_r = 1``, width ``w
= a``) between the ``N`` sites; the leads are reservoirs without a Hartree
potential.  The density counts every electron in a scattering state
(``reference_energy`` below the band, the band edge as a breakpoint, the
adaptive energy grid: the sea's response to the potential lives near the
band bottom, in resonances of the wire); the background is the neutral
half-filled chain, ``n^ref = 1/2`` per site (``electrons_per_site(0)``).

Closed form.  Raising both leads' chemical potentials by ``dmu`` (a gate
shift) adds ``dn`` electrons per site.  Where the potential is uniform
(the middle of a long wire) the density is the bulk one at the local
chemical potential, ``n = N(dmu - phi)``, and ``phi = S dn`` with ``S =
sum_j V_ij`` the kernel's sum: ``dn = dmu / (1/nu + S)``, i.e. ``1/C =
1/C_quantum + 1/C_geom`` per site, ``C_quantum = nu = 1/(2 pi t)`` (the
density of states per site at half filling) and ``1/C_geom = S``.  For the
infinite wire ``S = V_0``
(:func:`kwant_noneq.coulomb.gated_wire_interaction_sum`: the lattice sum by
Poisson summation), whose continuum limit is ``e^2/C_geom = 2 e^2 ln(2d/w)
/ (4 pi eps0)`` per length.  A bias ``[dmu, 0]`` fills the ballistic wire's
right movers to ``dmu`` and its left movers to 0: ``dn = (dmu/2) / (1/nu +
S)``.

Expansion parameters behind the tolerances (each tolerance is twice the
sum of those that apply):

* nonlinearity: at half filling ``N(E) - 1/2 = (1/pi)[E/2t + (E/2t)^3/6 +
  ...]``: relative ``(dmu / 2t)^2 / 6``;
* the ends (the wire has ``N`` sites, the leads none of the charge): the
  middle site's kernel sum is the finite ``S_mid = sum_{j in wire} V_mid,j``
  (used in the finite-wire closed form; ``(V_0 - S_mid) / (1/nu + V_0)`` is
  the correction to the infinite wire's, ``~ 2 C d^2 / (L/2)^2``); the charge
  within ``~2 d`` of each end exceeds the middle's by at most a fraction
  ``e = V_0 / (2/nu + V_0)`` (half the neighbours) and acts on the middle
  through ``V(L/2 - 2d)``: relative ``2 * 2d * e * V(L/2 - 2d) / (1/nu +
  S_mid)``;
* Friedel oscillations from the ends: amplitude ``|r| / (2 pi x)`` per site
  with a reflection ``|r| <= phi / 2t`` (Born, a step of the full height);
  at half filling (``2 k_F = pi / a``) and even ``N`` the two ends' terms
  reach the middle with opposite signs and cancel to ``|r| / (2 pi x^2)``,
  ``x = N/2``;
* quadrature: the adaptive grid's estimate at the converged field, per
  site, divided by ``dn``;
* against the finite wire's own linear Thomas-Fermi charge, ``(1/nu + V)
  dn = dmu`` (:func:`kwant_noneq.meanfield.thomas_fermi_charge`, the ends'
  charge included), only the nonlinear, Friedel and quadrature terms remain
  (gradient corrections to Thomas-Fermi are second order in the middle's
  flat potential);
* bias only: the smooth potential's reflection at window energies is
  second order in ``|r|``, below the terms above.

Two channels together (``spin=True``, a Zeeman field ``B sigma_z`` on
every site, leads included; the same gated charge channel on ``Tr rho_i``
with the neutral background ``N(-B) + N(B) = 1`` per site, and a contact
exchange ``h_i = -U s_i``): a gate shift ``dmu`` gives ``dn = dmu / (1/(2
nu) + S_mid)`` (both spins) and the Zeeman field a spin ``s_z = -nu B / (1 -
U nu)`` per site, the Stoner enhancement of the bare ``-nu B``, in one
self-consistent state.  At half filling the channels decouple to linear
order (``nu'(0) = 0``); the cross term is ``(x / 2t)^2 / 8`` with ``x =
dmu - phi``.  The exchange field of the ends' spin does not reach the
middle (contact kernel); the Friedel terms, taken without the middle's
cancellation (a bound): the charge step ``phi`` at the leads reflects the
two spins' Fermi momenta ``k_F +- B_eff / 2t`` differently, ``(phi / 2t)
(B_eff / 2t) / (2 pi s_z)``, and the exchange step ``h`` reflects with
``h / 2t``, ``(h / 2t) / (2 pi x s_z)``.  The potential ``phi - |h| > 0``
everywhere (checked): no spin sees an attractive well, so no state is bound
below the leads' bands (the scattering states would miss it).

The continuum capacitance ``2 C ln(2d/w)`` differs from the lattice ``a V_0``
by ``ln(D / 2d) = ln(1 + w^2/4d^2) / 2`` (the regularisation) and the
Poisson terms ``4 (K_0(2 pi w/a) - K_0(2 pi D/a))`` (the lattice), both
written into that record's tolerance.
"""
import warnings

import numpy as np
import scipy.special

from kwant_noneq.coulomb import gated_coulomb, gated_wire_interaction_sum
from kwant_noneq.constants import COULOMB
from kwant_noneq.exchange import contact_kernel
from kwant_noneq.meanfield import (charge_channel, gated_wire_kernel, spin_channel,
                                   thomas_fermi_charge)
from kwant_noneq.pauli import SIGMA_X, SIGMA_Y, SIGMA_Z
from kwant_noneq.quadrature import QuadratureWarning
from kwant_noneq.scf import solve_mean_field
from kwant_noneq.systems import chain
from validation.records import compare

CASE = "hartree"
N_SITES = 120         # even: the ends' Friedel terms cancel at the middle
HOPPING = 1.0         # t [eV]
SPACING = 1.0         # a [nm]
WIDTH = 1.0           # w [nm]
EPS_R = 1.0
GATE = 5.0            # d [nm]
DMU = 0.01            # [eV]
E_REF = -2.05         # below the band bottom -2t [eV]
QUAD_ATOL = 1e-8      # electrons per site, ~1e-5 of dn
ZEEMAN = 1e-3         # B [eV], two-channel run
U_EXCHANGE = 1.0      # contact exchange U [eV]: U nu = 0.16, Stoner factor 1.19


def _solve(syst, channels, mus, fields):
    """Self-consistent state; the adaptive grid is refined at the fields the
    loop starts from, and again at the converged fields when its estimate
    there misses the tolerance (the documented remedy)."""
    norbs = channels[0].operators.shape[-1]
    kw = dict(reference_energy=E_REF, sea_panels=4, band_edges=True, tol=1e-9,
              quadrature_tol=0.0, quadrature_atol=QUAD_ATOL,
              observable=np.eye(norbs), max_panels=4000)
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", QuadratureWarning)
            state = solve_mean_field(syst, channels, mus, 0.0, None,
                                     initial_fields=fields, **kw)
        if not any(issubclass(w.category, QuadratureWarning) for w in caught):
            break
        fields = list(state.fields)
    return state


def _work(state):
    """The solver's work (docs/mean_field.md): the factorisations are the
    set-up's (refinement, error estimate) but for the refactorisations; the
    iterations cost solves."""
    c = state.counts
    return dict(factorizations=c.factorizations,
                refactorizations=c.refactorizations, solves=c.solves)


def _middle(state, n0):
    # Sites N/2 - 1 and N/2 are mirror images: their mean is either.
    n = state.densities[0][:, 0] - n0
    mid = N_SITES // 2
    return 0.5 * (n[mid - 1] + n[mid]), float(state.fields[0][mid, 0])


def run(figdir):
    syst = chain.make_chain(N_SITES, HOPPING, SPACING).finalized()
    kernel = gated_wire_kernel(syst.sites, GATE, EPS_R, WIDTH)
    n0 = float(chain.electrons_per_site(0.0, HOPPING))
    nu = float(chain.density_of_states(0.0, HOPPING))           # 1/(2 pi t)
    s_mid = float(np.asarray(kernel.sum(axis=1)).ravel()[N_SITES // 2])
    v0 = gated_wire_interaction_sum(GATE, EPS_R, WIDTH, SPACING)
    half = N_SITES * SPACING / 2
    params = dict(N=N_SITES, t=HOPPING, a=SPACING, w=WIDTH, d=GATE, eps_r=EPS_R,
                  dmu=DMU, V0=v0, S_mid=s_mid, nu=nu)

    eps_nl = (DMU / (2 * HOPPING)) ** 2 / 6
    excess = v0 / (2 / nu + v0)     # an end site's extra charge, relative
    eps_ends = (2 * 2 * GATE * excess
                * float(gated_coulomb(half - 2 * GATE, GATE, EPS_R, WIDTH))
                / (1 / nu + s_mid))
    eps_trunc = (v0 - s_mid) / (1 / nu + v0)
    records = []

    channels = [charge_channel(kernel, 1, reference=n0)]
    start = np.full((N_SITES, 1), 1.0)
    gate = _solve(syst, channels, [DMU, DMU], [DMU / 2 * start])
    dn, phi = _middle(gate, n0)
    eps_f = (phi / (2 * HOPPING)) / (2 * np.pi * half ** 2) / dn
    eps_q = gate.quadrature_error / dn
    base = eps_nl + eps_ends + eps_f + eps_q
    p = dict(params, lead_mus=[DMU, DMU], iterations=gate.iterations,
             **_work(gate),
             nodes=len(gate.density.grid), quadrature_error=gate.quadrature_error,
             phi_mid=phi)
    records.append(compare(
        CASE, "added_charge_middle_finite_wire", dn, DMU / (1 / nu + s_mid),
        2 * base, p,
        note=f"gate shift dmu: dn = dmu/(1/nu + S_mid), S_mid the discrete kernel's "
             f"sum over the wire; tol = 2 (nonlinear {eps_nl:.1e} + ends "
             f"{eps_ends:.1e} + Friedel {eps_f:.1e} + quadrature {eps_q:.1e}); "
             f"screening dn/(nu dmu) = {dn / (nu * DMU):.4f}"))
    tf = thomas_fermi_charge(kernel, nu, DMU)
    records.append(compare(
        CASE, "added_charge_middle_thomas_fermi_wire", dn,
        0.5 * (tf[N_SITES // 2 - 1] + tf[N_SITES // 2]), 2 * (eps_nl + eps_f + eps_q), p,
        note=f"the finite wire's linear Thomas-Fermi charge, (1/nu + V) dn = dmu "
             f"(meanfield.thomas_fermi_charge): the ends' charge is in it, what is "
             f"left is quantum (Friedel; the gradient corrections are second order in "
             f"the middle's flat phi) and numerical; tol = 2 (nonlinear {eps_nl:.1e} + "
             f"Friedel {eps_f:.1e} + quadrature {eps_q:.1e}); the ends alone move the "
             f"middle by {0.5 * (tf[N_SITES // 2 - 1] + tf[N_SITES // 2]) * (1 / nu + s_mid) / DMU - 1:.1e} "
             f"(bound above: {eps_ends:.1e})"))
    records.append(compare(
        CASE, "added_charge_middle_infinite_wire", dn, DMU / (1 / nu + v0),
        2 * (base + eps_trunc), p,
        note=f"1/C = 1/C_quantum + 1/C_geom with 1/C_geom = V_0 = sum_j V(|j| a) "
             f"(Poisson sum); tol adds the wire's finite length (V_0 - S_mid)/"
             f"(1/nu + V_0) = {eps_trunc:.1e}"))

    # The geometric capacitance read off the lattice: a (dmu/dn - 1/nu).
    c = COULOMB / EPS_R
    big = np.hypot(WIDTH, 2 * GATE)
    continuum = 2 * c * np.log(2 * GATE / WIDTH)
    eps_reg = np.log(big / (2 * GATE)) / np.log(2 * GATE / WIDTH)
    eps_poisson = 2 * abs(scipy.special.k0(2 * np.pi * WIDTH / SPACING)
                          - scipy.special.k0(2 * np.pi * big / SPACING)) / np.log(2 * GATE / WIDTH)
    amplify = (1 / nu + v0) / v0    # d(1/C_geom)/(1/C_geom) per d(dn)/dn
    records.append(compare(
        CASE, "inverse_geometric_capacitance", SPACING * (DMU / dn - 1 / nu),
        continuum, 2 * (amplify * (base + eps_trunc) + eps_reg + eps_poisson),
        dict(p, unit="eV nm (e^2/C_geom per length)"),
        note=f"e^2/C_geom = 2 e^2 ln(2d/w)/(4 pi eps0 eps_r) per length vs "
             f"a (dmu/dn - 1/nu) of the lattice; tol = 2 ({amplify:.2f} x the dn "
             f"terms and the finite length + regularisation {eps_reg:.1e} + "
             f"lattice (Poisson) {eps_poisson:.1e}); the lattice measures the "
             f"finite wire's S_mid = {s_mid:.4f} eV, {v0 - s_mid:.4f} eV below V_0, and "
             f"the continuum lies below V_0 by about as much: their closeness is "
             f"partly that coincidence"))

    bias = _solve(syst, channels, [DMU, 0.0], [DMU / 4 * start])
    dn_b, phi_b = _middle(bias, n0)
    eps_f_b = (phi_b / (2 * HOPPING)) / (2 * np.pi * half ** 2) / dn_b
    eps_q_b = bias.quadrature_error / dn_b
    records.append(compare(
        CASE, "added_charge_middle_bias", dn_b, (DMU / 2) / (1 / nu + s_mid),
        2 * (eps_nl + eps_ends + eps_f_b + eps_q_b),
        dict(params, lead_mus=[DMU, 0.0], iterations=bias.iterations,
             **_work(bias),
             nodes=len(bias.density.grid), quadrature_error=bias.quadrature_error,
             phi_mid=phi_b),
        note=f"bias [dmu, 0] on the ballistic wire: right movers to dmu, left to "
             f"0, dn = (dmu/2)/(1/nu + S_mid); tol = 2 (nonlinear {eps_nl:.1e} + ends "
             f"{eps_ends:.1e} + Friedel {eps_f_b:.1e} + quadrature {eps_q_b:.1e})"))
    return records + _two_channel_records(params, eps_nl)


def _two_channel_records(params, eps_nl):
    syst = chain.make_chain(N_SITES, HOPPING, SPACING, spin=True,
                            zeeman=ZEEMAN).finalized()
    kernel = gated_wire_kernel(syst.sites, GATE, EPS_R, WIDTH)
    n0 = float(chain.electrons_per_site(-ZEEMAN, HOPPING)
               + chain.electrons_per_site(ZEEMAN, HOPPING))
    nu = float(chain.density_of_states(0.0, HOPPING))            # per spin
    spin = np.array([SIGMA_X, SIGMA_Y, SIGMA_Z])
    channels = [charge_channel(kernel, 2, reference=n0),
                spin_channel(spin, contact_kernel(syst.sites, U_EXCHANGE))]
    # Start: half the gate shift screened, the bare (unenhanced) exchange field.
    ones = np.ones((N_SITES, 1))
    h_bare = np.hstack([0 * ones, 0 * ones, U_EXCHANGE * nu * ZEEMAN * ones])
    state = _solve(syst, channels, [DMU, DMU], [DMU / 2 * ones, h_bare])
    mid = N_SITES // 2
    s_mid = float(np.asarray(kernel.sum(axis=1)).ravel()[mid])
    dn = 0.5 * (state.densities[0][mid - 1, 0] + state.densities[0][mid, 0]) - n0
    s_z = 0.5 * (state.densities[1][mid - 1, 2] + state.densities[1][mid, 2])
    phi, h = float(state.fields[0][mid, 0]), float(state.fields[1][mid, 2])
    wells = float(np.min(state.fields[0][:, 0] - np.abs(state.fields[1][:, 2])))
    half = N_SITES * SPACING / 2
    p = dict(params, spin=True, zeeman=ZEEMAN, U=U_EXCHANGE, lead_mus=[DMU, DMU],
             S_mid=s_mid, iterations=state.iterations, **_work(state),
             nodes=len(state.density.grid), quadrature_error=state.quadrature_error,
             phi_mid=phi, h_mid=h, min_phi_minus_h=wells)
    if not wells > 0:
        raise RuntimeError(f"a spin sees an attractive well (min phi - |h| = "
                           f"{wells:.3g} eV): bound states would be missed")
    eps_cross = ((DMU - phi) / (2 * HOPPING)) ** 2 / 8
    v0 = params["V0"]
    excess = v0 / (1 / nu + v0)     # an end site's extra charge (two spins)
    eps_ends = (2 * 2 * GATE * excess
                * float(gated_coulomb(half - 2 * GATE, GATE, EPS_R, WIDTH))
                / (1 / (2 * nu) + s_mid))
    eps_f = 2 * (phi / (2 * HOPPING)) / (2 * np.pi * half ** 2) / dn
    eps_q = state.quadrature_error / dn
    records = [compare(
        CASE, "two_channels_added_charge_middle", dn, DMU / (1 / (2 * nu) + s_mid),
        2 * (eps_nl + eps_cross + eps_ends + eps_f + eps_q), p,
        note=f"charge and spin channels in one state: dn = dmu/(1/(2 nu) + S_mid) "
             f"(two spins); tol = 2 (nonlinear {eps_nl:.1e} + cross {eps_cross:.1e} "
             f"+ ends {eps_ends:.1e} + Friedel {eps_f:.1e} + quadrature {eps_q:.1e})")]
    b_eff = ZEEMAN + h
    stoner = -nu * ZEEMAN / (1 - U_EXCHANGE * nu)
    eps_nl_s = (b_eff / (2 * HOPPING)) ** 2 / 6
    eps_fc = (phi / (2 * HOPPING)) * (b_eff / (2 * HOPPING)) / (2 * np.pi * abs(s_z))
    eps_fs = (abs(h) / (2 * HOPPING)) / (2 * np.pi * half * abs(s_z))
    eps_qs = state.quadrature_error / abs(s_z)
    records.append(compare(
        CASE, "two_channels_stoner_spin_middle", s_z, stoner,
        2 * (eps_nl_s + eps_cross + eps_fc + eps_fs + eps_qs), p,
        note=f"s_z = -nu B/(1 - U nu), the Stoner enhancement "
             f"{1 / (1 - U_EXCHANGE * nu):.3f} of the bare -nu B, beside the Hartree "
             f"charge; tol = 2 (nonlinear {eps_nl_s:.1e} + cross {eps_cross:.1e} + "
             f"Friedel of the charge step {eps_fc:.1e} and of the exchange step "
             f"{eps_fs:.1e} (uncancelled bounds) + quadrature {eps_qs:.1e})"))
    return records
