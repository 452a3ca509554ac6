"""Tally of how the real-space API answers bad inputs.

Run ``python scripts/bad_inputs.py [-v]`` from the repository root (about a
minute: tiny systems).  Each case feeds one bad input to one entry point of
:mod:`kwant_noneq` (density, scf, transport, homogeneous, edge, analytic,
mixing), :mod:`kwant_noneq.systems.bhz` or the validation CLI and sorts the answer:

* clear: ``ValueError`` or ``TypeError`` (or a subclass) whose message names
  the parameter; for the regime cases a ``RegimeWarning`` that names the
  expansion parameter; for a non-converging loop a ``ConvergenceError`` that
  names the interaction; for the output path an ``OSError`` naming ``--json``;
* generic: any other exception, or a message that does not name the parameter;
* silent: a result without any complaint.

Exit status 0 only if every case is clear.
"""
import argparse
import os
import sys
import tempfile
import time
import warnings

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from kwant_noneq import analytic, edge  # noqa: E402
from kwant_noneq.density import local_density  # noqa: E402
from kwant_noneq.homogeneous import (LeadBands, edge_gap, edge_states,  # noqa: E402
                                     homogeneous_density,
                                     solve_homogeneous_exchange)
from kwant_noneq.mixing import ConvergenceError, solve_fixed_point  # noqa: E402
from kwant_noneq.scattering import ScatteringStates  # noqa: E402
from kwant_noneq.scf import solve_exchange  # noqa: E402
from kwant_noneq.transport import (CurrentSolver, born_backscattering,  # noqa: E402
                                   differential_conductance, iv_sweep,
                                   landauer_current)
from kwant_noneq.systems import bhz  # noqa: E402

# Fallbacks let the script run against an older checkout for comparison.
RegimeWarning = getattr(analytic, "RegimeWarning", None) or type(
    "RegimeWarning", (RuntimeWarning,), {})
try:
    from validation.records import check_writable  # noqa: E402
except ImportError:
    def check_writable(path):
        raise NotImplementedError("no check before the cases run")

BASE = dict(A=1.5, B=-1.0, M=-1.0)
BIAS = [0.095, 0.105]
NAN, INF = float("nan"), float("inf")


def build():
    """The tiny systems every case uses."""
    ribbon = bhz.make_ribbon(2, 4).finalized()
    params = bhz.default_params(**BASE)
    lead = bhz.make_ribbon_lead(6).finalized()
    bands = LeadBands(lead, params)
    mask = bhz.bottom_edge_mask(lead)[:lead.cell_size]
    return ribbon, params, lead, bands, mask


def cases(ribbon, params, lead, bands, mask):
    """``(area, what, parameter named in the answer, call, expected)``;
    ``expected`` is 'error' (the default) or 'warn'."""
    p = params
    typo = dict(p, L_3=0.5)
    lead_params = dict(A=1.5, B=-1.0, C=0.0, D=0.0, M=-1.0, rashba=0.0, bia=0.0,
                       L3=0.5)
    nsites = len(ribbon.sites)
    out = []

    def add(area, what, name, call, expected="error"):
        out.append((area, what, name, call, expected))

    # density --------------------------------------------------------------
    ld = lambda *a, **k: local_density(ribbon, *a, **k)  # noqa: E731
    add("density", "chemical_potentials as strings", "chemical_potentials",
        lambda: ld(["0.1", "0.2"], 0.0, p))
    add("density", "chemical_potentials NaN", "chemical_potentials",
        lambda: ld([NAN, 0.1], 0.0, p))
    add("density", "three chemical potentials for two leads", "chemical potential",
        lambda: ld([0.1, 0.1, 0.1], 0.0, p))
    add("density", "ragged chemical potentials", "chemical_potentials",
        lambda: ld([[0.1], [0.1, 0.2]], 0.0, p))
    add("density", "negative temperature", "temperatures", lambda: ld(BIAS, -1.0, p))
    add("density", "temperature as a string", "temperatures", lambda: ld(BIAS, "4", p))
    add("density", "infinite temperature", "temperatures", lambda: ld(BIAS, INF, p))
    add("density", "three temperatures", "temperature", lambda: ld(BIAS, [1, 2, 3], p))
    add("density", "params key typo L_3", "L_3", lambda: ld(BIAS, 0.0, typo))
    add("density", "params a list", "params", lambda: ld(BIAS, 0.0, [("A", 1.0)]))
    add("density", "params non-string key", "keys", lambda: ld(BIAS, 0.0, {1: 2.0}))
    add("density", "params NaN value", "'M'", lambda: ld(BIAS, 0.0, dict(p, M=NAN)))
    add("density", "n_panels 0", "n_panels", lambda: ld(BIAS, 0.0, p, n_panels=0))
    add("density", "n_panels 1.5", "n_panels", lambda: ld(BIAS, 0.0, p, n_panels=1.5))
    add("density", "n_panels as a string", "n_panels",
        lambda: ld(BIAS, 0.0, p, n_panels="2"))
    add("density", "sea_panels 0", "sea_panels",
        lambda: ld(BIAS, 0.0, p, reference_energy=0.0, sea_panels=0))
    add("density", "reference_energy as a string", "reference_energy",
        lambda: ld(BIAS, 0.0, p, reference_energy="0"))
    add("density", "reference_energy NaN", "reference_energy",
        lambda: ld(BIAS, 0.0, p, reference_energy=NAN))
    add("density", "reference_energy above the window", "reference_energy",
        lambda: ld(BIAS, 0.0, p, reference_energy=0.2))
    add("density", "negative boltzmann", "boltzmann",
        lambda: ld(BIAS, 0.0, p, boltzmann=-1.0))
    add("density", "unfinalized builder", "finalized",
        lambda: local_density(bhz.make_ribbon(2, 4), BIAS, 0.0, p))
    add("density", "window outside every band", "bias window",
        lambda: ld([40.0, 40.1], 0.0, p))
    add("density", "unknown keyword", "n_panel", lambda: ld(BIAS, 0.0, p, n_panel=2))
    add("scattering", "params key typo L_3", "L_3",
        lambda: ScatteringStates(ribbon, [0.1], typo))

    # scf ----------------------------------------------------------------------
    def se(**kw):
        kw = {"U": 1.0, **kw}
        args = (kw.pop("mu", BIAS), kw.pop("T", 0.0), kw.pop("params", p))
        return solve_exchange(ribbon, kw.pop("spin", bhz.SPIN), *args, **kw)

    for what, name, kw in [
            ("U as a string", "U", dict(U="2")),
            ("U NaN", "U", dict(U=NAN)),
            ("neither U nor kernel", "U", dict(U=None)),
            ("U and kernel", "kernel", dict(kernel=sp.eye(nsites))),
            ("kernel of the wrong shape", "kernel", dict(U=None, kernel=sp.eye(3))),
            ("tol 0", "tol", dict(tol=0.0)),
            ("tol negative", "tol", dict(tol=-1e-9)),
            ("tol NaN", "tol", dict(tol=NAN)),
            ("tol as a string", "tol", dict(tol="1e-9")),
            ("max_iter 0", "max_iter", dict(max_iter=0)),
            ("max_iter 2.5", "max_iter", dict(max_iter=2.5)),
            ("max_iter as a string", "max_iter", dict(max_iter="10")),
            ("mixing 0", "mixing", dict(mixing=0.0)),
            ("mixing 1.5", "mixing", dict(mixing=1.5)),
            ("mixing as a string", "mixing", dict(mixing="0.5")),
            ("unknown method", "method", dict(method="newtonian")),
            ("method not a string", "method", dict(method=3)),
            ("on_failure unknown", "on_failure", dict(on_failure="ignore")),
            ("n_panels 0", "n_panels", dict(n_panels=0)),
            ("initial_field of the wrong shape", "initial_field",
             dict(initial_field=np.zeros((3, 3)))),
            ("initial_field NaN", "initial_field",
             dict(initial_field=np.full((nsites, 3), NAN))),
            ("initial_field strings", "initial_field",
             dict(initial_field=[["a"] * 3] * nsites)),
            ("spin operators of the wrong shape", "spin_operators",
             dict(spin=np.zeros((2, 4, 4)))),
            ("spin operators not Hermitian", "Hermitian",
             dict(spin=np.array([np.triu(np.ones((4, 4)))] * 3))),
            ("params key typo", "L_3", dict(params=typo)),
            ("temperature as a string", "temperatures", dict(T="4")),
            ("one chemical potential too many", "chemical potential",
             dict(mu=[0.1, 0.1, 0.1])),
            ("window outside every band", "bias window", dict(mu=[40.0, 40.1])),
    ]:
        add("scf", what, name, lambda kw=kw: se(**kw))

    # transport ------------------------------------------------------------------
    cs = lambda *a, **k: CurrentSolver(ribbon, *a, **k)  # noqa: E731
    add("transport", "window outside every band", "bias window",
        lambda: cs([40.0, 40.1], 0.0, p))
    add("transport", "source = drain", "source", lambda: cs(BIAS, 0.0, p, source=1))
    add("transport", "source 5", "source", lambda: cs(BIAS, 0.0, p, source=5))
    add("transport", "source 0.5", "source", lambda: cs(BIAS, 0.0, p, source=0.5))
    add("transport", "n_panels 0", "n_panels", lambda: cs(BIAS, 0.0, p, n_panels=0))
    add("transport", "params key typo", "L_3", lambda: cs(BIAS, 0.0, typo))
    add("transport", "negative temperature", "temperatures", lambda: cs(BIAS, -1.0, p))
    add("transport", "landauer_current unknown keyword", "drian",
        lambda: landauer_current(ribbon, BIAS, 0.0, p, drian=1))

    def iv(**kw):
        kw = {"U": 1.0, **kw}
        args = (kw.pop("mu0", 0.1), kw.pop("biases", [0.01, 0.02]),
                kw.pop("T", 0.0), kw.pop("params", p))
        return iv_sweep(ribbon, bhz.SPIN, *args, **kw)

    for what, name, kw in [
            ("no biases", "biases", dict(biases=[])),
            ("biases as strings", "biases", dict(biases=["a", "b"])),
            ("a NaN bias", "biases", dict(biases=[0.01, NAN])),
            ("2D biases", "biases", dict(biases=[[0.01, 0.02]])),
            ("mu0 as a string", "mu0", dict(mu0="0.1")),
            ("negative temperature", "temperature", dict(T=-1.0)),
            ("warm_start unknown", "warm_start", dict(warm_start="bogus")),
            ("tol 0", "tol", dict(tol=0.0)),
            ("max_iter 0", "max_iter", dict(max_iter=0)),
            ("current_panels 0", "current_panels", dict(current_panels=0)),
            ("U as a string", "U", dict(U="1")),
            ("source = drain", "source", dict(drain=0)),
            ("params key typo", "L_3", dict(params=typo)),
    ]:
        add("transport", f"iv_sweep: {what}", name, lambda kw=kw: iv(**kw))
    add("transport", "conductance of one bias", "2 biases",
        lambda: differential_conductance([0.1], [0.1]))
    add("transport", "conductance of repeated biases", "distinct",
        lambda: differential_conductance([0.1, 0.1], [0.1, 0.2]))
    add("transport", "conductance of mismatched arrays", "matching",
        lambda: differential_conductance([0.1, 0.2], [0.1]))
    add("transport", "Born: negative variance", "variance",
        lambda: born_backscattering(bands, 0.1, -1.0))
    add("transport", "Born: variance as a string", "variance",
        lambda: born_backscattering(bands, 0.1, "0.01"))
    add("transport", "Born: nk 0", "nk", lambda: born_backscattering(bands, 0.1, 0.01, nk=0))
    add("transport", "Born: mask of the wrong length", "mask",
        lambda: born_backscattering(bands, 0.1, 0.01, mask=np.ones(3)))
    add("transport", "Born: energy outside every band", "energy",
        lambda: born_backscattering(bands, 40.0, 0.01))

    # homogeneous -----------------------------------------------------------------
    add("homogeneous", "LeadBands of a builder", "finalized",
        lambda: LeadBands(bhz.make_ribbon_lead(4), lead_params))
    add("homogeneous", "LeadBands of a finite system", "InfiniteSystem",
        lambda: LeadBands(ribbon, lead_params))
    add("homogeneous", "LeadBands params typo", "L_3",
        lambda: LeadBands(lead, dict(lead_params, L_3=0.5)))
    add("homogeneous", "LeadBands NaN parameter", "'M'",
        lambda: LeadBands(lead, dict(lead_params, M=NAN)))
    hd = lambda *a, **k: homogeneous_density(bands, *a, **k)  # noqa: E731
    add("homogeneous", "n_panels 0", "n_panels", lambda: hd(0.09, 0.11, n_panels=0))
    add("homogeneous", "n_panels -1", "n_panels", lambda: hd(0.09, 0.11, n_panels=-1))
    add("homogeneous", "n_panels 1.5", "n_panels", lambda: hd(0.09, 0.11, n_panels=1.5))
    add("homogeneous", "nk 0", "nk", lambda: hd(0.09, 0.11, nk=0))
    add("homogeneous", "nk 2", "nk", lambda: hd(0.09, 0.11, nk=2))
    add("homogeneous", "nk as a string", "nk", lambda: hd(0.09, 0.11, nk="64"))
    add("homogeneous", "negative temperature", "temperatures",
        lambda: hd(0.09, 0.11, temperature=-3))
    add("homogeneous", "temperature as a string", "temperatures",
        lambda: hd(0.09, 0.11, temperature="x"))
    add("homogeneous", "mu as a string", "chemical_potentials", lambda: hd("0.1", 0.11))
    add("homogeneous", "window outside every band", "bias window", lambda: hd(40.0, 40.1))
    add("homogeneous", "potential of the wrong shape", "potential",
        lambda: hd(0.09, 0.11, potential=np.zeros((4, 4))))
    add("homogeneous", "edge_gap: potential of the wrong shape", "potential",
        lambda: edge_gap(bands, mask, 0.0, potential=np.zeros((4, 4))))
    add("homogeneous", "bands not LeadBands", "LeadBands",
        lambda: homogeneous_density(lead, 0.09, 0.11))

    def she(**kw):
        kw = {"U": 1.0, "nk": 64, "n_panels": 1, **kw}
        return solve_homogeneous_exchange(bands, kw.pop("spin", bhz.SPIN),
                                          kw.pop("mu_r", 0.095),
                                          kw.pop("mu_l", 0.105), **kw)

    for what, name, kw in [
            ("U as a string", "U", dict(U="x")),
            ("neither U nor kernel", "U", dict(U=None)),
            ("kernel of the wrong shape", "kernel", dict(U=None, kernel=sp.eye(3))),
            ("initial_field of the wrong shape", "initial_field",
             dict(initial_field=np.zeros((3, 3)))),
            ("initial_field NaN", "initial_field",
             dict(initial_field=np.full((len(bands.sites), 3), NAN))),
            ("tol 0", "tol", dict(tol=0.0)),
            ("max_iter 0", "max_iter", dict(max_iter=0)),
            ("mixing 2", "mixing", dict(mixing=2.0)),
            ("unknown method", "method", dict(method="bogus")),
            ("on_failure unknown", "on_failure", dict(on_failure="never")),
            ("spin operators of the wrong shape", "spin_operators",
             dict(spin=np.zeros((3, 2, 2)))),
            ("temperature as a string", "temperatures", dict(temperature="hot")),
            ("nk 0", "nk", dict(nk=0)),
            ("window outside every band", "bias window", dict(mu_r=40.0, mu_l=40.1)),
    ]:
        add("homogeneous", f"solve: {what}", name, lambda kw=kw: she(**kw))
    add("homogeneous", "solve: U = 1e4 drives the field out of the bands", "U",
        lambda: she(U=1e4, method="linear", mixing=1.0))
    eg = lambda **k: edge_gap(bands, k.pop("mask", mask), k.pop("energy", 0.0),  # noqa: E731
                              **{"k_window": 0.05, "nk": 11, **k})
    add("homogeneous", "edge_gap: mask of the wrong length", "mask",
        lambda: eg(mask=np.ones(3, bool)))
    add("homogeneous", "edge_gap: k_window 0", "k_window", lambda: eg(k_window=0.0))
    add("homogeneous", "edge_gap: k_window negative", "k_window", lambda: eg(k_window=-1))
    add("homogeneous", "edge_gap: nk 1", "nk", lambda: eg(nk=1))
    add("homogeneous", "edge_gap: k_tol 0", "k_tol", lambda: eg(k_tol=0.0))
    add("homogeneous", "edge_gap: energy as a string", "energy", lambda: eg(energy="0"))
    st_bulk = {}

    def bulk_gap():
        st = st_bulk.setdefault("s", she(mu_r=1.495, mu_l=1.505, self_consistent=False))
        return eg(state=st)
    add("homogeneous", "edge_gap: window in the bulk subbands", "bulk subbands",
        bulk_gap, "warn")
    add("homogeneous", "edge_gap: potential and state", "state",
        lambda: eg(potential=np.zeros((bands.size,) * 2),
                   state=she(self_consistent=False)))
    add("homogeneous", "edge_gap: energy in the bulk band", "energy",
        lambda: eg(energy=1.5))
    add("homogeneous", "edge_states: mask not split by the energy", "mask",
        lambda: edge_states(bands, 0.0, 0.0, np.ones(bands.size)))
    add("edge", "dirac_pair: energy in the bulk band", "energy",
        lambda: edge.dirac_pair(bands, mask, energy=1.5))

    # edge ------------------------------------------------------------------------
    add("edge", "edge_parameters: window 0", "window",
        lambda: edge.edge_parameters(bands, mask, bhz.SPIN, window=0.0))
    add("edge", "edge_parameters: window reaching bulk subbands", "window",
        lambda: edge.edge_parameters(bands, mask, bhz.SPIN, window=1.6, n=9))
    add("edge", "edge_parameters: n 3", "n",
        lambda: edge.edge_parameters(bands, mask, bhz.SPIN, n=3))
    add("edge", "edge_parameters: mask of the wrong length", "mask",
        lambda: edge.edge_parameters(bands, mask[:3], bhz.SPIN))
    add("edge", "edge_parameters: mask of strings", "mask",
        lambda: edge.edge_parameters(bands, ["a"] * len(mask), bhz.SPIN))
    add("edge", "edge_parameters: energy as a string", "energy",
        lambda: edge.edge_parameters(bands, mask, bhz.SPIN, energy="0"))
    add("edge", "dirac_pair: energy as a string", "energy",
        lambda: edge.dirac_pair(bands, mask, energy="x"))
    add("edge", "dirac_pair: bands not LeadBands", "LeadBands",
        lambda: edge.dirac_pair(lead, mask))
    add("edge", "edge_coupling: U as a string", "U",
        lambda: edge.edge_coupling(bands, None, "2"))

    # kwant_noneq.systems.bhz -------------------------------------------------------------
    for what, name, kw in [
            ("negative disorder", "disorder", dict(disorder=-0.1)),
            ("A as a string", "A", dict(A="1")),
            ("M NaN", "M", dict(M=NAN)),
            ("L3 infinite", "L3", dict(L3=INF)),
            ("B None", "B", dict(B=None)),
            ("C a bool", "C", dict(C=True)),
            ("L3 complex", "L3", dict(L3=1j)),
            ("typo L_3", "L3", dict(L_3=0.5)),
            ("disorder_seed a float", "disorder_seed", dict(disorder_seed=1.5)),
            ("exchange a number", "exchange", dict(exchange=3.0)),
            ("disorder as a string", "disorder", dict(disorder="0.1")),
    ]:
        add("bhz", f"default_params: {what}", name,
            lambda kw=kw: bhz.default_params(**kw))
    for what, name, call in [
            ("length as a string", "length", lambda: bhz.make_ribbon("4", 4)),
            ("width 0", "width", lambda: bhz.make_ribbon(4, 0)),
            ("length not a multiple of a", "length", lambda: bhz.make_ribbon(2.5, 4)),
            ("negative a", "a", lambda: bhz.make_ribbon(4, 4, a=-1)),
            ("a as a string", "a", lambda: bhz.make_ribbon(4, 4, a="1")),
            ("unknown disorder_type", "disorder_type",
             lambda: bhz.make_ribbon(4, 4, disorder_type="normal")),
            ("clean_margin too long", "clean_margin",
             lambda: bhz.make_ribbon(4, 4, clean_margin=2)),
            ("negative clean_margin", "clean_margin",
             lambda: bhz.make_ribbon(4, 4, clean_margin=-1)),
            ("lead width 0", "width", lambda: bhz.make_ribbon_lead(0)),
            ("lead width as a string", "width", lambda: bhz.make_ribbon_lead("4")),
            ("lead a 0", "a", lambda: bhz.make_ribbon_lead(4, a=0)),
            ("edge mask fraction 2", "fraction",
             lambda: bhz.bottom_edge_mask(lead, fraction=2)),
            ("edge mask fraction 0", "fraction",
             lambda: bhz.bottom_edge_mask(lead, fraction=0)),
    ]:
        add("bhz", what, name, call)

    # analytic (regime warnings) and mixing ------------------------------------------
    mu_big = np.sqrt(0.26 * 1.0 / 0.5)
    for what, name, call in [
            ("Eq. 4 at lambda mu^2/v^3 = 0.26", "lambda mu^2/v^3",
             lambda: analytic.gap_eq4(1.0, 0.5, mu_big, 0.01, 1.0)),
            ("Eq. 2 at dmu = 1.6 mu", "dmu/mu",
             lambda: analytic.spin_density_eq2(1.5, 0.5, 0.1, 0.16)),
            ("Eq. 5 at dmu = 1.6 mu", "dmu/mu",
             lambda: analytic.backscattering_rate_eq5(1.5, 0.5, 0.1, 0.16, 1.0, 100.0)),
            ("Eq. 5 shifted at lambda mu^2/v^3 = 0.26", "lambda mu^2/v^3",
             lambda: analytic.backscattering_rate_eq5_shifted(1.0, 0.5, mu_big, 0.01,
                                                              1.0, 100.0)),
            ("Eq. 8 at eV = 1.3 mu0", "eV/(2 mu0)",
             lambda: analytic.solve_eq8(0.2, 0.15, 1e3, 1e-3)),
            ("Eq. 9 ballistic at kappa = 2", "kappa",
             lambda: analytic.current_eq9_ballistic(0.01, 0.15, 1e9, 1e-3)),
            ("Eq. 9 resistive at kappa = 2e-3", "kappa^(-1/3)",
             lambda: analytic.current_eq9_resistive(0.01, 0.15, 1e3, 1e-3)),
            ("self-consistency correction of 40 %", "g dmu/(2 pi v mu)",
             lambda: analytic.selfconsistent_gap_correction(1.0, 0.1, 0.05, 5.0)),
    ]:
        add("analytic", what, name, call, "warn")
    add("analytic", "Eq. 4 with v as a string", "v",
        lambda: analytic.gap_eq4("1.5", 0.5, 0.1, 0.01, 1.0))
    add("analytic", "Eq. 2 with NaN mu", "mu",
        lambda: analytic.spin_density_eq2(1.5, 0.5, NAN, 0.01))
    add("analytic", "Eq. 9 with L as a string", "L",
        lambda: analytic.current_eq9_ballistic(0.01, 0.15, "1e3", 1e-3))
    add("analytic", "Eq. 9 resistive with infinite C", "C",
        lambda: analytic.current_eq9_resistive(0.01, 0.15, 1e3, INF))

    def dfsane_budget():
        calls = []

        def F(x):
            calls.append(1)
            return x + 1.0 + 0.5 * np.sin(x)
        solve_fixed_point(F, np.zeros(3), method="df-sane", max_iter=3)
        return len(calls)
    add("mixing", "df-sane without a fixed point, max_iter 3", "3 evaluations",
        dfsane_budget)
    add("mixing", "initial point NaN", "initial field",
        lambda: solve_fixed_point(np.cos, np.array([NAN])))
    add("mixing", "history -1", "history",
        lambda: solve_fixed_point(np.cos, np.zeros(1), history=-1))

    # validation CLI -------------------------------------------------------------------
    tmp = tempfile.mkdtemp()
    blocker = os.path.join(tmp, "file")
    open(blocker, "w").close()
    add("validation", "--json a directory", "--json", lambda: check_writable(tmp))
    add("validation", "--json below a file", "--json",
        lambda: check_writable(os.path.join(blocker, "records.json")))
    return out


def classify(name, call, expected):
    """('clear' | 'generic' | 'silent', detail)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
        except (ValueError, TypeError) as err:
            ok = name in str(err) and expected == "error"
            return ("clear" if ok else "generic"), f"{type(err).__name__}: {err}"
        except ConvergenceError as err:
            ok = name in str(err) or name == "3 evaluations" and "3 evaluations" in str(err)
            return ("clear" if ok else "generic"), f"ConvergenceError: {err}"
        except OSError as err:
            return ("clear" if name in str(err) else "generic"), f"{type(err).__name__}: {err}"
        except Exception as err:     # noqa: BLE001 -- the point is to catch all
            return "generic", f"{type(err).__name__}: {err}"
    regime = [w for w in caught if issubclass(w.category, RegimeWarning)]
    if expected == "warn" and any(name in str(w.message) for w in regime):
        return "clear", f"RegimeWarning: {regime[0].message}"
    if caught:
        return "generic", f"only a warning: {caught[0].message}"
    return "silent", "no complaint"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print every case's answer")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    systems = build()
    table = cases(*systems)
    tally = {"clear": 0, "generic": 0, "silent": 0}
    for area, what, name, call, expected in table:
        verdict, detail = classify(name, call, expected)
        tally[verdict] += 1
        if args.verbose or verdict != "clear":
            print(f"{verdict:8s} {area:12s} {what}: {detail[:300]}")
    print(f"{len(table)} bad inputs: {tally['clear']} clear, {tally['generic']} "
          f"generic, {tally['silent']} silent ({time.perf_counter() - t0:.0f} s)")
    return 0 if tally["clear"] == len(table) else 1


if __name__ == "__main__":
    sys.exit(main())
