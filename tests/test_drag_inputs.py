"""Drag results carry their quadrature error; bad inputs raise clear errors
before any integral is evaluated."""
import math

import numpy as np
import pytest

from kwant_noneq.analytic_drag import MassiveDiracLayer, fermi_wavevector_from_density
from kwant_noneq.drag import drag_conductivity, drag_vs_temperature
from kwant_noneq.systems.ti_film import TIFilm, per_cm2

N = per_cm2(1e12)
LAYER = MassiveDiracLayer.from_density(N, 0.41, 0.01, 0.1)
D, EPS, T = 10.0, 20.0, 5.0


@pytest.fixture(scope="module")
def reference():
    """Default nodes: its own error estimate is ~1e-5 of the value, far
    below the errors of the coarse rules compared with it."""
    r = drag_conductivity(LAYER, LAYER, D, EPS, T)
    assert r.rho_xx_error < 1e-4 * r.rho_xx
    assert r.rho_yx_error < 1e-4 * abs(r.rho_yx)
    return r


@pytest.mark.parametrize("n", [2, 4, 6])
def test_coarse_quadrature_reports_an_error_comparable_to_its_true_error(reference, n):
    """2 nodes per integral is off by ~90 %; the reported error must say so.
    'Comparable': within a factor 3 either way (an estimate from a second
    rule is not a bound, but must not hide an error of this size)."""
    r = drag_conductivity(LAYER, LAYER, D, EPS, T, n_q=n, n_tail=n, n_omega=n, n_k=n)
    for value, err, ref in ((r.rho_xx, r.rho_xx_error, reference.rho_xx),
                            (r.rho_yx, r.rho_yx_error, reference.rho_yx),
                            (r.sigma_xx, r.sigma_xx_error, reference.sigma_xx)):
        true = abs(value - ref)
        assert true > 100 * abs(ref) * 1e-5          # genuinely unconverged
        assert true / 3 <= err <= 3 * true


def test_converged_error_estimate_is_not_smaller_than_the_true_error(reference):
    """At moderate nodes the halved rule overestimates (geometric
    convergence): the estimate may be large but must not be too small."""
    r = drag_conductivity(LAYER, LAYER, D, EPS, T, n_q=16, n_tail=16, n_omega=16, n_k=16)
    true = abs(r.rho_xx - reference.rho_xx)
    assert r.rho_xx_error >= true / 3
    assert r.rho_xx_error < 1e-2 * r.rho_xx


def test_ti_film_drag_carries_errors():
    r = TIFilm(n_a=N, n_p=N).drag(T)
    assert math.isfinite(r.rho_xx_error) and r.rho_xx_error >= 0
    assert math.isfinite(r.rho_yx_error) and r.rho_yx_error >= 0


@pytest.mark.parametrize("field", ["M", "mu", "A", "tau"])
def test_nan_layer_parameter_named(field):
    kw = dict(A=0.41, M=0.01, mu=0.1, tau=0.1)
    kw[field] = float("nan")
    with pytest.raises(ValueError, match=f"{field} must be finite"):
        MassiveDiracLayer(**kw)
    kw[field] = "0.1"
    with pytest.raises(TypeError, match=f"{field} must be a real number"):
        MassiveDiracLayer(**kw)


@pytest.mark.parametrize("name", ["M_p", "n_p", "M_a", "n_a", "d", "eps_r"])
def test_nan_film_parameter_named(name):
    with pytest.raises(ValueError, match=f"{name} must be finite"):
        TIFilm(**{name: float("nan")})
    with pytest.raises(TypeError, match=f"{name} must be a real number"):
        TIFilm(**{name: "1"})


def test_nan_density_refused():
    with pytest.raises(ValueError, match="density"):
        fermi_wavevector_from_density(float("nan"))
    with pytest.raises(ValueError, match="density"):
        MassiveDiracLayer.from_density(float("nan"), 0.41, 0.01)


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(d="10"), TypeError, "d"),
    (dict(eps_r="20"), TypeError, "eps_r"),
    (dict(T="5"), TypeError, "T"),
    (dict(T=-5.0), ValueError, "T"),
    (dict(T=float("nan")), ValueError, "T"),
    (dict(d=0.0), ValueError, "d"),
    (dict(eps_r=float("inf")), ValueError, "eps_r"),
    (dict(n_q=1), ValueError, "n_q"),
    (dict(n_k=2.5), TypeError, "n_k"),
    (dict(n_omega="40"), TypeError, "n_omega"),
    (dict(screening="full"), ValueError, "screening"),
    (dict(anomalous_hall="big"), ValueError, "anomalous_hall"),
    (dict(anomalous_hall=(0.1, float("nan"))), ValueError, "anomalous_hall"),
    (dict(anomalous_hall=("a", 0.1)), TypeError, "anomalous_hall"),
])
def test_bad_drag_arguments_named(kwargs, exc, name):
    args = dict(d=D, eps_r=EPS, T=T)
    args.update(kwargs)
    d, eps, temp = args.pop("d"), args.pop("eps_r"), args.pop("T")
    with pytest.raises(exc, match=name):
        drag_conductivity(LAYER, LAYER, d, eps, temp, **args)


def test_bad_layers_and_temperature_lists():
    with pytest.raises(TypeError, match="active"):
        drag_conductivity("layer", LAYER, D, EPS, T)
    with pytest.raises(TypeError, match="passive"):
        drag_conductivity(LAYER, None, D, EPS, T)
    with pytest.raises(ValueError, match=r"temperatures\[1\]"):
        drag_vs_temperature(LAYER, LAYER, D, EPS, [1.0, -2.0])
    with pytest.raises(TypeError, match="temperatures"):
        drag_vs_temperature(LAYER, LAYER, D, EPS, "5")


def test_identical_results_for_floats_and_numpy_scalars():
    a = drag_conductivity(LAYER, LAYER, np.float64(D), EPS, np.int64(5), n_q=8,
                          n_tail=4, n_omega=8, n_k=8)
    b = drag_conductivity(LAYER, LAYER, D, EPS, 5.0, n_q=8, n_tail=4, n_omega=8, n_k=8)
    assert a == b


def test_polarization_inputs_named():
    """Lattice polarisation helpers of the drag validation: a negative T
    no longer inverts the Fermi function, strings and NaN are refused."""
    from kwant_noneq import polarization as pol
    from kwant_noneq import thermal
    with pytest.raises(ValueError, match="kT must be >= 0"):
        thermal.fermi(0.1, 0.0, -5.0)
    with pytest.raises(ValueError, match="mu must be finite"):
        thermal.fermi(0.1, float("nan"), 5.0)
    with pytest.raises(TypeError, match="n_T"):
        thermal.maldague_nodes(0.1, 5.0, 2.5)
    H = lambda k: np.zeros(k.shape[:-1] + (1, 1))
    with pytest.raises(ValueError, match="T must be > 0"):
        pol.static_polarization(H, [0.1, 0], 0.1, 0.0, np.zeros((1, 2)), [1.0])
    with pytest.raises(ValueError, match="half_width"):
        pol.dynamic_polarization_imag(H, [0.1, 0], 0.01, 0.1, (0, 0), -1.0, 8)
    with pytest.raises(TypeError, match="omega"):
        pol.dynamic_polarization_real(H, [0.1, 0], "0", 0.1, (0, 0), 1.0, 8)
    assert thermal.fermi(0.1, 0.1, 0.0) == 0.5
