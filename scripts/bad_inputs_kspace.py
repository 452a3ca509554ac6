"""Tally of bad inputs on the k-space (nonlinear Hall) and drag APIs.

Each case calls a public function with one bad argument and classifies the
outcome:

* clear   -- ValueError, TypeError or KeyError whose message names the
             parameter (the expected name is part of the case);
* unclear -- an exception of another type, or one that does not name it;
* silent  -- a result came back.

Run from the repository root: ``python scripts/bad_inputs_kspace.py``
(``-v`` lists every case).  Exit status 0 iff every case is clear.
"""
import pathlib
import sys
import warnings

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from kwant_noneq import polarization as pol  # noqa: E402
from kwant_noneq import thermal  # noqa: E402
from kwant_noneq.analytic_drag import (MassiveDiracLayer,  # noqa: E402
                                       fermi_wavevector_from_density)
from kwant_noneq.bloch import bloch_hamiltonian  # noqa: E402
from kwant_noneq.coulomb import coulomb_potential, interlayer_potential  # noqa: E402
from kwant_noneq.drag import (drag_conductivity, drag_convergence,  # noqa: E402
                              drag_vs_temperature)
from kwant_noneq.kintegrate import (ContinuumPolar, LatticePockets,  # noqa: E402
                                    fermi_window_rule, thermal_average,
                                    thermal_average_pair)
from kwant_noneq.nonlinear_hall import (Flavour, bcd_conductivity,  # noqa: E402
                                        enh_pt_conductivity,
                                        enh_t_conductivity, exchange_field,
                                        inh_conductivity)
from kwant_noneq.systems.dirac2d import (h_pt_continuum, h_pt_flavour,  # noqa: E402
                             h_t_continuum, h_t_flavours, paper_parameters,
                             spin_operators_t)
from kwant_noneq.systems.ti_film import TIFilm  # noqa: E402

NAN, INF = float("nan"), float("inf")
P = paper_parameters()
HV, TAU, V0 = P["hbar_vx"], P["tau"], P["V0"]
QUAD = dict(n_angles=16, n_radial=6)
NODES = dict(n_q=8, n_tail=4, n_omega=8, n_k=8)


def tv():
    return h_t_flavours(P, **QUAD)


def pt():
    return h_pt_flavour(P, **QUAD)


LAYER = MassiveDiracLayer(0.41, 0.01, 0.1, 0.1)


def drag(**kw):
    args = dict(d=10.0, eps_r=20.0, T=5.0, **NODES)
    args.update(kw)
    d, e, T = args.pop("d"), args.pop("eps_r"), args.pop("T")
    return drag_conductivity(LAYER, LAYER, d, e, T, **args)


def bad_hamiltonian():
    good = h_t_continuum(1, 0.05, HV, HV, 0.1 * HV)
    return bloch_hamiltonian(lambda k: good(k) * NAN, dim=2, norbs=2)


KSPACE = [
    # (parameter named in the error, call)
    ("mu", lambda: bcd_conductivity(tv(), NAN, TAU)),
    ("mu", lambda: bcd_conductivity(tv(), INF, TAU)),
    ("mu", lambda: bcd_conductivity(tv(), "0.1", TAU)),
    ("mu", lambda: bcd_conductivity(tv(), None, TAU)),
    ("mu", lambda: bcd_conductivity(tv(), [0.1, 0.2], TAU)),
    ("mu", lambda: inh_conductivity(pt(), NAN)),
    ("mu", lambda: enh_t_conductivity(tv(), NAN, TAU, V0)),
    ("mu", lambda: enh_pt_conductivity(pt(), NAN, V0)),
    ("mu", lambda: exchange_field(pt(), NAN, TAU, V0)),
    ("tau", lambda: bcd_conductivity(tv(), 0.1, NAN)),
    ("tau", lambda: bcd_conductivity(tv(), 0.1, -0.5)),
    ("tau", lambda: bcd_conductivity(tv(), 0.1, "0.5")),
    ("tau", lambda: enh_t_conductivity(tv(), 0.1, INF, V0)),
    ("temperature", lambda: bcd_conductivity(tv(), 0.1, TAU, temperature=-10.0)),
    ("temperature", lambda: inh_conductivity(pt(), 0.1, temperature=-10.0)),
    ("temperature", lambda: enh_t_conductivity(tv(), 0.1, TAU, V0, temperature=-10.0)),
    ("temperature", lambda: enh_pt_conductivity(pt(), 0.1, V0, temperature=-10.0)),
    ("temperature", lambda: enh_pt_conductivity(pt(), 0.1, V0, temperature=NAN)),
    ("temperature", lambda: bcd_conductivity(tv(), 0.1, TAU, temperature="300K")),
    ("temperature", lambda: bcd_conductivity(tv(), 0.1, TAU, kT=1e-3)),  # old name
    ("interaction", lambda: enh_t_conductivity(tv(), 0.1, TAU, NAN)),
    ("interaction", lambda: enh_pt_conductivity(pt(), 0.1, "7.2")),
    ("V(q)", lambda: enh_pt_conductivity(pt(), 0.1, lambda q: q * NAN)),
    ("V(q)", lambda: enh_pt_conductivity(pt(), 0.1, lambda q: 1.0)),
    ("valley_exchange", lambda: enh_t_conductivity(tv(), 0.1, TAU, V0, "both")),
    ("thermal_step", lambda: enh_pt_conductivity(pt(), 0.1, V0, temperature=10.0, thermal_step=0)),
    ("thermal_nodes", lambda: enh_pt_conductivity(pt(), 0.1, V0, temperature=10.0, thermal_nodes=0)),
    ("thermal_nodes", lambda: enh_pt_conductivity(pt(), 0.1, V0, thermal_nodes="4")),
    ("flavours", lambda: bcd_conductivity("valleys", 0.1, TAU)),
    ("flavours", lambda: bcd_conductivity([], 0.1, TAU)),
    ("flavours", lambda: bcd_conductivity([1, 2], 0.1, TAU)),
    ("flavour_index", lambda: exchange_field(tv(), 0.1, TAU, V0, flavour_index=2)),
    ("k", lambda: exchange_field(tv(), 0.1, TAU, V0, k="x")),
    ("k", lambda: exchange_field(tv(), 0.1, TAU, V0, k=[[NAN, 0.0]])),
    ("delta", lambda: h_t_flavours(dict(P, delta=NAN))),
    ("alpha", lambda: h_t_flavours(dict(P, alpha=NAN))),
    ("hbar_vx", lambda: h_pt_flavour(dict(P, hbar_vx="0.26"))),
    ("delta", lambda: h_pt_continuum(INF, HV, HV, 0.0)),
    ("params", lambda: h_t_flavours({"delta": 0.05})),
    ("hamiltonian", lambda: bcd_conductivity(
        Flavour(bad_hamiltonian(), spin_operators_t(), ContinuumPolar(4.0)), 0.1, TAU)),
    ("spin", lambda: bcd_conductivity(
        Flavour(h_t_continuum(1, 0.05, HV, HV, 0.0), np.eye(3), ContinuumPolar(4.0)),
        0.1, TAU)),
    ("integrator", lambda: bcd_conductivity(
        Flavour(h_t_continuum(1, 0.05, HV, HV, 0.0), spin_operators_t(), None), 0.1, TAU)),
    ("k_max", lambda: bcd_conductivity(tv(), 1.0, TAU)),           # FS leaves k = 4/nm
    ("k_max", lambda: enh_pt_conductivity(pt(), 1.0, V0)),
    ("k_max", lambda: enh_t_conductivity(tv(), 0.12, TAU, V0, temperature=580.0)),  # thermal tail, kT = 50 meV
    ("k_cut", lambda: ContinuumPolar(4.0, k_cut=0.5).fermi_sea(
        h_t_continuum(1, 0.05, HV, HV, 0.0), 0.3)),
    ("k_max", lambda: ContinuumPolar(NAN)),
    ("k_max", lambda: ContinuumPolar(-4.0)),
    ("k_max", lambda: ContinuumPolar("4")),
    ("n_angles", lambda: ContinuumPolar(4.0, n_angles=15)),
    ("n_angles", lambda: ContinuumPolar(4.0, n_angles=0)),
    ("n_radial", lambda: ContinuumPolar(4.0, n_radial=2.5)),
    ("k_cut", lambda: ContinuumPolar(4.0, k_cut=-1.0)),
    ("pocket_radius", lambda: LatticePockets(np.eye(2), [(0, 0)], NAN)),
    ("pocket_centers", lambda: LatticePockets(np.eye(2), [(NAN, 0)], 1.0)),
    ("reciprocal_vectors", lambda: LatticePockets([[1, 0], [2, 0]], [(0, 0)], 1.0)),
    ("n_grid", lambda: LatticePockets(np.eye(2), [(0, 0)], 1.0, n_grid=0)),
    ("temperature", lambda: thermal_average(lambda e: e, 0.1, temperature=-10.0)),
    ("temperature", lambda: thermal_average_pair(lambda e: e, 0.1, temperature=0.0)),
    ("mu", lambda: thermal_average(lambda e: e, NAN, temperature=10.0)),
    ("nodes_per_panel", lambda: fermi_window_rule(0)),
    ("nodes_per_panel", lambda: fermi_window_rule(2.5)),
]

DRAG = [
    ("M", lambda: MassiveDiracLayer(0.41, NAN, 0.1)),
    ("mu", lambda: MassiveDiracLayer(0.41, 0.01, NAN)),
    ("A", lambda: MassiveDiracLayer("0.41", 0.01, 0.1)),
    ("A", lambda: MassiveDiracLayer(-0.41, 0.01, 0.1)),
    ("tau", lambda: MassiveDiracLayer(0.41, 0.01, 0.1, tau=0.0)),
    ("tau", lambda: MassiveDiracLayer(0.41, 0.01, 0.1, tau=INF)),
    ("M", lambda: MassiveDiracLayer(0.41, "0.01", 0.1)),
    ("density", lambda: MassiveDiracLayer.from_density(NAN, 0.41, 0.01)),
    ("density", lambda: MassiveDiracLayer.from_density(-1.0, 0.41, 0.01)),
    ("density", lambda: fermi_wavevector_from_density("1e12")),
    ("M_p", lambda: TIFilm(M_p=NAN).drag(5.0)),
    ("n_p", lambda: TIFilm(n_p=NAN).drag(5.0)),
    ("M_a", lambda: TIFilm(M_a=INF)),
    ("n_a", lambda: TIFilm(n_a="0.01")),
    ("d", lambda: TIFilm(d="10")),
    ("eps_r", lambda: TIFilm(eps_r=-20.0)),
    ("tau_p", lambda: TIFilm(tau_p=0.0)),
    ("T", lambda: TIFilm().drag(-5.0)),
    ("T", lambda: TIFilm().drag("5")),
    ("d", lambda: drag(d=NAN)),
    ("d", lambda: drag(d="10")),
    ("d", lambda: drag(d=0.0)),
    ("eps_r", lambda: drag(eps_r=NAN)),
    ("eps_r", lambda: drag(eps_r="20")),
    ("T", lambda: drag(T=0.0)),
    ("T", lambda: drag(T=NAN)),
    ("T", lambda: drag(T=INF)),
    ("n_q", lambda: drag(n_q=1)),
    ("n_tail", lambda: drag(n_tail=0)),
    ("n_omega", lambda: drag(n_omega="40")),
    ("n_k", lambda: drag(n_k=8.0)),
    ("screening", lambda: drag(screening="RPA")),
    ("anomalous_hall", lambda: drag(anomalous_hall="side_jump")),
    ("anomalous_hall", lambda: drag(anomalous_hall=(NAN, 0.0))),
    ("anomalous_hall", lambda: drag(anomalous_hall=0.1)),
    ("active", lambda: drag_conductivity("top", LAYER, 10.0, 20.0, 5.0)),
    ("passive", lambda: drag_conductivity(LAYER, 3.0, 10.0, 20.0, 5.0)),
    ("temperatures", lambda: drag_vs_temperature(LAYER, LAYER, 10.0, 20.0, [1.0, NAN])),
    ("temperatures", lambda: drag_vs_temperature(LAYER, LAYER, 10.0, 20.0, "5")),
    ("T", lambda: drag_convergence(LAYER, LAYER, 10.0, 20.0, -1.0)),
    ("eps_r", lambda: coulomb_potential(1.0, "20")),
    ("d", lambda: interlayer_potential(1.0, 0.1, 0.1, -1.0, 20.0)),
    ("kT", lambda: thermal.fermi(0.1, 0.0, -5.0)),
    ("mu", lambda: thermal.fermi(0.1, NAN, 5.0)),
    ("T", lambda: thermal.maldague_nodes(0.1, NAN, 8)),
    ("n_T", lambda: thermal.maldague_nodes(0.1, 5.0, 0)),
    ("T", lambda: pol.static_polarization(lambda k: np.zeros(k.shape[:-1] + (1, 1)),
                                          [0.1, 0], 0.1, -1.0, np.zeros((1, 2)), [1.0])),
    ("half_width", lambda: pol.dynamic_polarization_imag(
        lambda k: np.zeros(k.shape[:-1] + (1, 1)), [0.1, 0], 0.01, 0.1, (0, 0), 0.0, 8)),
]


def classify(name, call):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call()
    except (ValueError, TypeError, KeyError) as exc:
        return ("clear" if name.lower() in str(exc).lower() else "unclear"), \
            f"{type(exc).__name__}: {exc}"
    except Exception as exc:            # noqa: BLE001 - the tally is the point
        return "unclear", f"{type(exc).__name__}: {exc}"
    return "silent", "returned a result"


def main(argv):
    verbose = "-v" in argv
    total_bad = 0
    for title, cases in (("k-space (nonlinear Hall)", KSPACE), ("drag", DRAG)):
        tally = dict(clear=0, unclear=0, silent=0)
        for name, call in cases:
            kind, message = classify(name, call)
            tally[kind] += 1
            if verbose or kind != "clear":
                print(f"  [{kind}] {name}: {message[:150]}")
        total_bad += tally["unclear"] + tally["silent"]
        print(f"{title}: {len(cases)} bad inputs tried, {tally['clear']} clear errors, "
              f"{tally['unclear']} unclear, {tally['silent']} silent")
    return 0 if total_bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
