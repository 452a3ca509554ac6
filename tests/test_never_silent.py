"""Bad inputs give errors that name the parameter and the remedy, before the
expensive work; results outside a formula's regime come with a warning."""
import json
import warnings

import kwant
import numpy as np
import pytest

from kwant_noneq import analytic, edge, homogeneous, scf, transport
from kwant_noneq.analytic import RegimeWarning
from kwant_noneq.density import local_density
from kwant_noneq.bloch import BandCrossingError, bloch_hamiltonian
from kwant_noneq.homogeneous import (LeadBands, edge_gap, homogeneous_density,
                                     solve_homogeneous_exchange)
from kwant_noneq.mixing import ConvergenceError, solve_fixed_point
from kwant_noneq.params import allow_extra_params, check_params
from kwant_noneq.scattering import ScatteringStates
from kwant_noneq.scf import solve_exchange
from kwant_noneq.transport import CurrentSolver, iv_sweep
from kwant_noneq.systems import bhz

BASE = dict(A=1.5, B=-1.0, M=-1.0)
BIAS = [0.095, 0.105]


@pytest.fixture(scope="module")
def ribbon():
    """A tiny finite ribbon: 2 x 4 sites, two leads."""
    return bhz.make_ribbon(2, 4).finalized()


@pytest.fixture(scope="module")
def bands6():
    lead = bhz.make_ribbon_lead(6).finalized()
    return LeadBands(lead, bhz.default_params(**BASE)), lead


def _never_called(*args, **kwargs):
    raise AssertionError("expensive work started before the arguments were checked")


# 1. params keys ------------------------------------------------------------

def test_check_params_names_the_typo_and_the_opt_out(ribbon):
    params = dict(bhz.default_params(**BASE))
    params["L_3"] = params.pop("L3")
    with pytest.raises(ValueError, match=r"'L_3' \(did you mean 'L3'\?\).*"
                                         r"allow_extra_params"):
        check_params(ribbon, params)
    assert check_params(ribbon, params, allow_extra=("L_3",)) is params
    assert check_params(ribbon, params, allow_extra=True) is params
    assert check_params(ribbon, None) is None
    assert check_params(ribbon, allow_extra_params(params, ["L_3"])) is not None
    with pytest.raises(TypeError, match="params must be a dict"):
        check_params(ribbon, [("A", 1.0)])
    with pytest.raises(TypeError, match="keys"):
        check_params(ribbon, {1: 2.0})


def test_lead_parameters_count_as_the_systems(ribbon):
    # Every key the finite system or one of its leads uses is known.
    assert check_params(ribbon, {"A": 1.0, "exchange": None}) is not None


def test_entry_points_refuse_unknown_keys(ribbon, monkeypatch):
    params = dict(bhz.default_params(**BASE), L_3=0.5)
    with pytest.raises(ValueError, match="L_3"):
        ScatteringStates(ribbon, [0.1], params)
    with pytest.raises(ValueError, match="L_3"):
        local_density(ribbon, BIAS, 0.0, params)
    monkeypatch.setattr(scf, "NonequilibriumDensity", _never_called)
    with pytest.raises(ValueError, match="L_3"):
        solve_exchange(ribbon, bhz.SPIN, BIAS, 0.0, params, U=1.0)
    with pytest.raises(ValueError, match="L_3"):
        CurrentSolver(ribbon, BIAS, 0.0, params)
    with pytest.raises(ValueError, match="L_3"):
        iv_sweep(ribbon, bhz.SPIN, 0.1, [0.01, 0.02], 0.0, params, U=1.0)
    lead = bhz.make_ribbon_lead(4).finalized()
    with pytest.raises(ValueError, match="L_3"):
        LeadBands(lead, params)


def test_opt_out_reaches_the_scattering_states(ribbon):
    params = dict(bhz.default_params(**BASE), label="run 7")
    rho = local_density(ribbon, BIAS, 0.0, params, n_panels=1,
                        allow_extra_params=("label",))
    assert rho.density_matrix.shape == (len(ribbon.sites), 4, 4)


def test_bhz_params_serve_the_clean_lead_but_a_plain_copy_is_strict():
    lead = bhz.make_ribbon_lead(4).finalized()
    params = bhz.default_params(**BASE)
    LeadBands(lead, params)          # disorder, exchange: scattering region only
    with pytest.raises(ValueError, match="disorder"):
        LeadBands(lead, dict(params))
    LeadBands(lead, dict(params), allow_extra_params=True)


def test_wrapped_system_parameters():
    from kwant_noneq.bloch import bloch_hamiltonian
    lat = kwant.lattice.square(1, norbs=1)
    builder = kwant.Builder(kwant.TranslationalSymmetry((1, 0), (0, 1)))
    builder[lat(0, 0)] = lambda site, m: m
    builder[lat.neighbors()] = lambda s1, s2, t: -t
    bloch_hamiltonian(builder, dict(m=0.1, t=1.0))
    with pytest.raises(ValueError, match=r"'tt' \(did you mean 't'\?\)"):
        bloch_hamiltonian(builder, dict(m=0.1, tt=1.0))
    with pytest.raises(ValueError, match="momenta"):
        bloch_hamiltonian(builder, dict(m=0.1, t=1.0, k_x=0.0))


# 2. windows and grids --------------------------------------------------------

def test_current_window_outside_every_band_is_refused(ribbon):
    params = bhz.default_params(**BASE)
    with pytest.raises(ValueError, match="outside every band"):
        CurrentSolver(ribbon, [40.0, 40.1], 0.0, params)
    with pytest.raises(ValueError, match="outside every band"):
        local_density(ribbon, [40.0, 40.1], 0.0, params)


def test_grid_sizes_and_bias_lists(ribbon, bands6, monkeypatch):
    bands, _ = bands6
    for n_panels in (0, -2):
        with pytest.raises(ValueError, match="n_panels must be >= 1"):
            homogeneous_density(bands, 0.09, 0.11, n_panels=n_panels)
    with pytest.raises(TypeError, match="n_panels must be an integer"):
        homogeneous_density(bands, 0.09, 0.11, n_panels=1.5)
    monkeypatch.setattr(scf, "NonequilibriumDensity", _never_called)
    with pytest.raises(ValueError, match="biases is empty"):
        iv_sweep(ribbon, bhz.SPIN, 0.1, [], 0.0, bhz.default_params(**BASE), U=1.0)


@pytest.mark.parametrize("over, match", [
    (dict(disorder=-0.1), "disorder .* >= 0"),
    (dict(M=np.inf), "M must be finite"),
    (dict(A=np.nan), "A must be finite"),
    (dict(L3=1j), "L3 must be a real number"),
    (dict(disorder_seed=0.5), "disorder_seed"),
    (dict(exchange=3.0), "exchange must be None or a function"),
    (dict(L_3=1.0), r"did you mean 'L3'"),
])
def test_bhz_default_params_are_checked(over, match):
    with pytest.raises((ValueError, TypeError), match=match):
        bhz.default_params(**over)


# 3. clear errors instead of generic tracebacks -------------------------------

@pytest.mark.parametrize("kw, match", [
    (dict(U="2"), "U must be a real number"),
    (dict(U=1.0, tol="1e-9"), "tol .* must be a real number"),
    (dict(U=1.0, max_iter=2.5), "max_iter must be an integer"),
    (dict(U=1.0, mixing="0.5"), "mixing must be a real number"),
    (dict(U=1.0, n_panels="2"), "n_panels must be an integer"),
    (dict(U=1.0, method="newtonian"), "method must be"),
    (dict(U=1.0, initial_field=np.zeros((3, 3))), "initial_field must have shape"),
])
def test_solve_exchange_arguments(ribbon, kw, match, monkeypatch):
    monkeypatch.setattr(scf, "NonequilibriumDensity", _never_called)
    with pytest.raises((TypeError, ValueError), match=match):
        solve_exchange(ribbon, bhz.SPIN, BIAS, 0.0, bhz.default_params(**BASE), **kw)


def test_strings_for_numbers(ribbon):
    with pytest.raises(TypeError, match="temperatures must be real numbers"):
        local_density(ribbon, BIAS, "4", bhz.default_params(**BASE))
    with pytest.raises(TypeError, match="chemical_potentials must be real"):
        local_density(ribbon, ["0.1", "0.2"], 0.0, bhz.default_params(**BASE))
    with pytest.raises(TypeError, match=r"length must be a real number \[nm\], got '4'"):
        bhz.make_ribbon("4", 4)
    with pytest.raises(TypeError, match="A must be a real number"):
        bhz.default_params(A="1.5")
    with pytest.raises(TypeError, match="U must be a real number"):
        edge.edge_coupling(None, None, "2")


def test_homogeneous_arguments(bands6, monkeypatch):
    bands, _ = bands6
    with pytest.raises(ValueError, match=r"initial_field must have shape \(12, 3\)"):
        solve_homogeneous_exchange(bands, bhz.SPIN, 0.09, 0.11, U=1.0,
                                   initial_field=np.zeros((3, 3)))
    for nk in (0, 2):
        with pytest.raises(ValueError, match="nk must be >= 3"):
            homogeneous_density(bands, 0.09, 0.11, nk=nk)
    monkeypatch.setattr(homogeneous, "homogeneous_density", _never_called)
    for kw, match in [(dict(tol=0.0), "tol"), (dict(max_iter=0), "max_iter"),
                      (dict(U="4"), "U must be a real number"),
                      (dict(temperature="4"), "temperatures")]:
        kw = {"U": 1.0, **kw}
        with pytest.raises((ValueError, TypeError), match=match):
            solve_homogeneous_exchange(bands, bhz.SPIN, 0.09, 0.11, **kw)


def test_nan_parameter_in_lead_bands():
    lead = bhz.make_ribbon_lead(4).finalized()
    params = dict(A=1.5, B=-1.0, C=0.0, D=0.0, M=np.nan, rashba=0.0, bia=0.0,
                  L3=0.5)
    with pytest.raises(ValueError, match=r"\['M'\] are not finite"):
        LeadBands(lead, params)
    with pytest.raises(TypeError, match="finalized"):
        LeadBands(bhz.make_ribbon_lead(4), params)


def test_homogeneous_state_needs_a_leads_bands():
    """A builder's Bloch Hamiltonian takes k in 1/nm, not per unit cell: a
    density per cell from it would be off by the period, so it is refused
    before any work."""
    params = bhz.default_params(**BASE)
    builder = bhz.make_ribbon_lead(4)
    built = bloch_hamiltonian(builder, params)
    lead = bloch_hamiltonian(builder.finalized(), params)
    assert lead.is_lead and not built.is_lead and built.period == lead.period
    with pytest.raises(TypeError, match="finalized Kwant lead"):
        homogeneous_density(built, 0.09, 0.11)


# 4. self-consistent loops ------------------------------------------------------

@pytest.mark.parametrize("method", ["df-sane", "broyden1", "krylov", "hybr"])
def test_scipy_methods_stop_after_max_iter_evaluations(method):
    calls = []

    def F(x):                     # no fixed point: 1 + sin(x)/2 > 0
        calls.append(1)
        return x + 1.0 + 0.5 * np.sin(x)

    result = solve_fixed_point(F, np.zeros(3), method=method, max_iter=3,
                               on_failure="return")
    assert len(calls) == 3 and result.iterations == 3
    assert not result.converged
    with pytest.raises(ConvergenceError, match="3 evaluations"):
        solve_fixed_point(F, np.zeros(3), method=method, max_iter=3)


def test_scipy_method_still_converges():
    result = solve_fixed_point(lambda x: 0.5 * x + 1.0, np.zeros(4),
                               method="df-sane", tol=1e-10, max_iter=50)
    assert result.converged
    assert np.max(np.abs(0.5 * result.x + 1.0 - result.x)) <= 1e-10


def test_huge_interaction_blames_the_field_not_the_window(bands6):
    bands, _ = bands6
    with pytest.raises(ConvergenceError, match="pushed every band out.*smaller U"):
        solve_homogeneous_exchange(bands, bhz.SPIN, 0.09, 0.11, U=1e4,
                                   method="linear", mixing=1.0, nk=64, n_panels=1)
    state = solve_homogeneous_exchange(bands, bhz.SPIN, 0.09, 0.11, U=1e4,
                                       method="linear", mixing=1.0, nk=64,
                                       n_panels=1, on_failure="return")
    assert not state.converged
    assert state.iterations == len(state.residuals) >= 1
    # A window that really misses the bands still says so.
    with pytest.raises(ValueError, match="outside every band"):
        solve_homogeneous_exchange(bands, bhz.SPIN, 40.0, 40.1, U=1.0, nk=64)


# 5. late failures --------------------------------------------------------------

def test_iv_sweep_checks_everything_first(ribbon, monkeypatch):
    monkeypatch.setattr(scf, "NonequilibriumDensity", _never_called)
    monkeypatch.setattr(transport, "CurrentSolver", _never_called)
    params = bhz.default_params(**BASE)
    for kw, match in [(dict(tol=0.0), "tol"), (dict(max_iter=0), "max_iter"),
                      (dict(U="1"), "U must be a real number"),
                      (dict(warm_start="bogus"), "warm_start"),
                      (dict(current_panels=0), "current_panels")]:
        kw = {"U": 1.0, **kw}
        with pytest.raises((ValueError, TypeError), match=match):
            iv_sweep(ribbon, bhz.SPIN, 0.1, [0.01, 0.02], 0.0, params, **kw)
    with pytest.raises(TypeError, match="temperatures"):
        iv_sweep(ribbon, bhz.SPIN, 0.1, [0.01, 0.02], "hot", params, U=1.0)


# 6. regimes --------------------------------------------------------------------

def test_analytic_formulas_warn_outside_their_regime():
    v, lam = 1.0, 0.5
    mu = np.sqrt(0.26 * v**3 / lam)              # lambda mu^2 / v^3 = 0.26
    with pytest.warns(RegimeWarning, match=r"lambda mu\^2/v\^3 = 0.26"):
        gap = analytic.gap_eq4(v, lam, mu, 0.01, 1.0)
    assert gap == abs(lam * mu**2 * 0.01) / (2 * np.pi * v**4)   # unchanged
    with pytest.warns(RegimeWarning, match="dmu/mu = 1.6"):
        analytic.spin_density_eq2(1.5, 0.5, 0.1, 0.16)
    with pytest.warns(RegimeWarning, match="dmu/mu"):
        analytic.backscattering_rate_eq5(1.5, 0.5, 0.1, 0.16, 1.0, 100.0)
    with pytest.warns(RegimeWarning, match=r"eV/\(2 mu0\)"):
        analytic.solve_eq8(0.2, 0.15, 1e3, 1e-3)
    with pytest.warns(RegimeWarning, match="kappa"):
        analytic.current_eq9_ballistic(0.01, 0.15, 1e9, 1e-3)
    with pytest.warns(RegimeWarning, match=r"kappa\^\(-1/3\)"):
        analytic.current_eq9_resistive(0.01, 0.15, 1e3, 1e-3)


def test_analytic_formulas_quiet_in_their_regime():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RegimeWarning)
        analytic.spin_density_eq2(1.5, 0.5, 0.1, 0.01)
        analytic.gap_eq4(1.5, 0.5, 0.1, 0.01, 2.0)
        analytic.backscattering_rate_eq5_shifted(1.5, 0.5, 0.15, 0.04, 1.0, 1e3)
        analytic.solve_eq8(0.03, 0.15, 1e5, 1e-3)


def test_expansion_parameters_values():
    p = analytic.expansion_parameters(v=1.5, lam=0.5, mu=0.1, dmu=0.01, g=2.0,
                                      eV=0.02, mu0=0.1)
    assert np.isclose(p["lambda mu^2/v^3"], 0.5 * 0.1**2 / 1.5**3, rtol=1e-14)
    assert np.isclose(p["dmu/mu"], 0.1, rtol=1e-14)
    assert np.isclose(p["g dmu/(2 pi v mu)"], 2.0 * 0.01 / (2 * np.pi * 1.5 * 0.1))
    assert np.isclose(p["eV/(2 mu0)"], 0.1)
    assert np.isclose(p["dmu/mu"].correction, 0.1**2 / 12)
    # the expansion parameters are floats (usable in arithmetic, JSON)
    assert json.loads(json.dumps({k: float(x) for k, x in p.items()}))


def test_edge_gap_warns_when_the_window_reaches_bulk_subbands(bands6):
    bands, lead = bands6
    mask = bhz.bottom_edge_mask(lead)[:lead.cell_size]
    inside = solve_homogeneous_exchange(bands, bhz.SPIN, 0.095, 0.105, U=1.0,
                                        self_consistent=False, nk=64, n_panels=1)
    assert inside.max_crossings == 4
    with warnings.catch_warnings():
        warnings.simplefilter("error", RegimeWarning)
        edge_gap(bands, mask, 0.0, k_window=0.05, nk=11, state=inside)
    bulk = solve_homogeneous_exchange(bands, bhz.SPIN, 1.495, 1.505, U=1.0,
                                      self_consistent=False, nk=64, n_panels=1)
    assert bulk.max_crossings > 4
    with pytest.warns(RegimeWarning, match="bulk subbands"):
        edge_gap(bands, mask, 0.0, k_window=0.05, nk=11, state=bulk)


def test_edge_fit_window_in_bulk_subbands_is_refused(bands6):
    bands, lead = bands6
    mask = bhz.bottom_edge_mask(lead)[:lead.cell_size]
    with pytest.raises(ValueError, match="window reaches bulk subbands"):
        edge.edge_parameters(bands, mask, bhz.SPIN, window=1.6, n=9)


def test_avoided_crossing_is_named_not_blamed_on_nk():
    """Two bands 2 delta apart at an avoided crossing: just below the top of
    the lower band the crossings sit where the velocity vanishes, and no
    k-grid brackets them well; the message says so instead of 'increase
    nk'."""
    lat = kwant.lattice.chain(1, norbs=2)
    builder = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    builder[lat(0)] = lambda site, delta: np.array([[0, delta], [delta, 0]])
    builder[lat.neighbors()] = np.diag([-1.0, 1.0])
    delta = 9e-6
    bands = LeadBands(builder.finalized(), dict(delta=delta))
    E = -delta * 1.01
    for nk in (64, 512):
        with pytest.raises(BandCrossingError, match="avoided crossing.*finer nk "
                                                   "does not help"):
            homogeneous_density(bands, E - 1e-12, E + 1e-12, nk=nk, n_panels=1)


def test_scipy_giving_up_is_non_convergence_not_a_traceback():
    # x -> x + 1 has a zero Jacobian of the residual: SciPy's krylov raises
    # its own ValueError; that is reported as non-convergence.
    with pytest.raises(ConvergenceError, match="SciPy's krylov stopped"):
        solve_fixed_point(lambda x: x + 1.0, np.zeros(3), method="krylov",
                          max_iter=10)
    result = solve_fixed_point(lambda x: x + 1.0, np.zeros(3), method="krylov",
                               max_iter=10, on_failure="return")
    assert not result.converged and result.iterations <= 10

    def broken(x):
        raise ValueError("the map itself failed")
    with pytest.raises(ValueError, match="the map itself failed"):
        solve_fixed_point(broken, np.zeros(3), method="krylov")


# 7. the tally ------------------------------------------------------------------

def test_bad_inputs_tally_is_all_clear(capsys):
    """scripts/bad_inputs.py: every bad input gets a clear error or warning."""
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).parents[1] / "scripts" / "bad_inputs.py"
    spec = importlib.util.spec_from_file_location("bad_inputs", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    status = script.main([])
    out = capsys.readouterr().out
    assert status == 0, out
    assert " 0 generic, 0 silent" in out
