"""Linear triangle method (kwant_noneq.triangles) on integrals with exact answers."""
import numpy as np
import pytest

from kwant_noneq.triangles import box_grid, delta_integral, grid_triangles


def _tri_values(f, n, half=2.0, center=(0.0, 0.0)):
    pts, cell = box_grid(np.asarray(center), half, n)
    tri = grid_triangles(n + 1, n + 1)
    vals = f(pts.reshape(-1, 2))
    return vals[tri], cell / 2, pts.reshape(-1, 2)[tri]


def test_linear_energy_and_weight_are_exact():
    # eps = kx + 2 ky, w = 1 + kx: int w delta(eps - omega) over the box.
    eps, area, k = _tri_values(lambda k: k[:, 0] + 2 * k[:, 1], 7, half=1.0)
    w = 1 + k[..., 0]
    omega = 0.3
    # Line kx = omega - 2 ky, |grad eps| = sqrt 5; ky range where |kx| <= 1:
    # ky in [(omega - 1)/2, (omega + 1)/2]; d^2k delta = dky/1 (|d eps/d kx| = 1).
    lo, hi = (omega - 1) / 2, (omega + 1) / 2
    exact = (hi - lo) + ((omega * (hi - lo)) - (hi ** 2 - lo ** 2))   # int (1 + omega - 2 ky) dky
    assert delta_integral(eps, w, area, omega) == pytest.approx(exact, rel=1e-12)


def test_parabolic_dos_converges():
    # int d^2k delta(k^2/2 - omega) = 2 pi for every omega > 0.  The O(h^2)
    # interpolation error of a quadratic band is grid-periodic and only
    # shifts the contour (no effect on its length); what is left is the
    # circle-on-a-grid fluctuation of that shift along the contour,
    # ~ h^2 (h/r)^(1/2) per unit dr: O((h/r)^(3/2)) pointwise (measured
    # 0.11-0.17 (h/r)^1.5 for n = 40 ... 640).
    r = np.sqrt(2.0)
    for n in (40, 160):
        eps, area, _ = _tri_values(lambda k: 0.5 * (k ** 2).sum(-1), n)
        err = abs(delta_integral(eps, np.ones_like(eps), area, 1.0) / (2 * np.pi) - 1)
        assert err < 0.5 * (4.0 / n / r) ** 1.5


def test_dirac_dos_and_constraint():
    # int d^2k delta(|k| - omega) = 2 pi omega; theta constraints are exact
    # cuts of the linear segments: the four quadrants add up to the whole and
    # inversion maps quadrant 1 onto 3 on this grid.
    n, omega = 200, 1.1
    eps, area, k = _tri_values(lambda k: np.sqrt((k ** 2).sum(-1)), n)
    one = np.ones_like(eps)
    full = delta_integral(eps, one, area, omega)
    assert full == pytest.approx(2 * np.pi * omega, rel=0.5 * (4.0 / n / omega) ** 1.5)
    kx, ky = k[..., 0], k[..., 1]
    quads = [delta_integral(eps, one, area, omega, constraints=[sx * kx, sy * ky])
             for sx, sy in ((1, 1), (-1, 1), (-1, -1), (1, -1))]
    assert sum(quads) == pytest.approx(full, rel=1e-12)
    assert quads[0] == pytest.approx(quads[2], rel=1e-12)
    assert quads[0] == pytest.approx(full / 4, rel=2 * (4.0 / n / omega) ** 1.5)


def test_sharp_fermi_surface_cut():
    # Straight cut kx < a of the circle k^2/2 = 1 (radius r): fraction
    # 1 - acos(a/r)/pi; the cut itself is exact, the error is the DOS one.
    n, r, a = 160, np.sqrt(2.0), 0.5
    eps, area, k = _tri_values(lambda k: 0.5 * (k ** 2).sum(-1), n)
    val = delta_integral(eps, np.ones_like(eps), area, 1.0, constraints=[a - k[..., 0]])
    assert val / (2 * np.pi) == pytest.approx(1 - np.arccos(a / r) / np.pi,
                                              rel=0.5 * (4.0 / n / r) ** 1.5)


def test_errors():
    with pytest.raises(ValueError):
        delta_integral(np.zeros((3, 2)), np.zeros((3, 2)), 1.0, 0.0)
    with pytest.raises(ValueError):
        grid_triangles(1, 5)
    with pytest.raises(ValueError):
        box_grid((0, 0), -1.0, 4)
