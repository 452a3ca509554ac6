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
  within ``~2 d`` of each end differs from the middle's by at most
  ``V_0 / (2/nu + V_0)`` (half the neighbours) and acts on the middle through
  ``V(L/2 - 2d)``: relative ``2 * 2d * V(L/2 - 2d) / (2/nu + V_0)``;
* Friedel oscillations from the ends: amplitude ``|r| / (2 pi x)`` per site
  with a reflection ``|r| <= phi / 2t`` (Born, a step of the full height);
  at half filling (``2 k_F = pi / a``) and even ``N`` the two ends' terms
  reach the middle with opposite signs and cancel to ``|r| / (2 pi x^2)``,
  ``x = N/2``;
* quadrature: the adaptive grid's estimate at the converged field, per
  site, divided by ``dn``;
* bias only: the smooth potential's reflection at window energies is
  second order in ``|r|``, below the terms above.

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
from kwant_noneq.meanfield import charge_channel, gated_wire_kernel
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


def _solve(syst, kernel, mus, start):
    """Self-consistent Hartree state; the adaptive grid is refined at the
    field the loop starts from, and again at the converged field when its
    estimate there misses the tolerance (the documented remedy)."""
    channel = charge_channel(kernel, 1, reference=chain.electrons_per_site(0.0, HOPPING))
    kw = dict(reference_energy=E_REF, sea_panels=4, band_edges=True, tol=1e-9,
              quadrature_tol=0.0, quadrature_atol=QUAD_ATOL,
              observable=np.eye(1), max_panels=4000)
    fields = [np.full((len(syst.sites), 1), start)]
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", QuadratureWarning)
            state = solve_mean_field(syst, [channel], mus, 0.0, None,
                                     initial_fields=fields, **kw)
        if not any(issubclass(w.category, QuadratureWarning) for w in caught):
            break
        fields = list(state.fields)
    return state


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
    eps_ends = (2 * 2 * GATE * float(gated_coulomb(half - 2 * GATE, GATE, EPS_R, WIDTH))
                / (2 / nu + v0))
    eps_trunc = (v0 - s_mid) / (1 / nu + v0)
    records = []

    gate = _solve(syst, kernel, [DMU, DMU], DMU / 2)
    dn, phi = _middle(gate, n0)
    eps_f = (phi / (2 * HOPPING)) / (2 * np.pi * half ** 2) / dn
    eps_q = gate.quadrature_error / dn
    base = eps_nl + eps_ends + eps_f + eps_q
    p = dict(params, lead_mus=[DMU, DMU], iterations=gate.iterations,
             nodes=len(gate.density.grid), quadrature_error=gate.quadrature_error,
             phi_mid=phi)
    records.append(compare(
        CASE, "added_charge_middle_finite_wire", dn, DMU / (1 / nu + s_mid),
        2 * base, p,
        note=f"gate shift dmu: dn = dmu/(1/nu + S_mid), S_mid the discrete kernel's "
             f"sum over the wire; tol = 2 (nonlinear {eps_nl:.1e} + ends "
             f"{eps_ends:.1e} + Friedel {eps_f:.1e} + quadrature {eps_q:.1e}); "
             f"screening dn/(nu dmu) = {dn / (nu * DMU):.4f}"))
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
             f"lattice (Poisson) {eps_poisson:.1e})"))

    bias = _solve(syst, kernel, [DMU, 0.0], DMU / 4)
    dn_b, phi_b = _middle(bias, n0)
    eps_f_b = (phi_b / (2 * HOPPING)) / (2 * np.pi * half ** 2) / dn_b
    eps_q_b = bias.quadrature_error / dn_b
    records.append(compare(
        CASE, "added_charge_middle_bias", dn_b, (DMU / 2) / (1 / nu + s_mid),
        2 * (eps_nl + eps_ends + eps_f_b + eps_q_b),
        dict(params, lead_mus=[DMU, 0.0], iterations=bias.iterations,
             nodes=len(bias.density.grid), quadrature_error=bias.quadrature_error,
             phi_mid=phi_b),
        note=f"bias [dmu, 0] on the ballistic wire: right movers to dmu, left to "
             f"0, dn = (dmu/2)/(1/nu + S_mid); tol = 2 (nonlinear {eps_nl:.1e} + ends "
             f"{eps_ends:.1e} + Friedel {eps_f_b:.1e} + quadrature {eps_q_b:.1e})"))
    return records
