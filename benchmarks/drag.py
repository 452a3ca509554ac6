"""Speed and convergence of the drag integrals (issue 5, item 6).

Prints the wall time of rho_D(T) on 20 temperatures (dynamic screening, the
default, and static screening for comparison) at the paper's
parameters (Fig. 3: d = 10 nm, eps_r = 20, A = 4.1 eV A, tau = 0.1 ps,
n = 1e12 cm^-2, M = 10 meV) and the relative change of rho_xx and rho_yx
when all Gauss-Legendre node counts (q, omega, inner k) are doubled, also
for massless layers (M = 0: light-cone edge) and an activated active layer.

    PYTHONPATH=. python benchmarks/drag.py
"""
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from kwant_noneq.analytic_drag import MassiveDiracLayer  # noqa: E402
from kwant_noneq.drag import drag_convergence  # noqa: E402
from kwant_noneq.systems.ti_film import TIFilm  # noqa: E402


def main():
    film = TIFilm()
    temps = np.linspace(1, 20, 20)
    film.drag(5.0)                                   # warm-up (imports, caches)
    t0 = time.perf_counter()
    res = film.drag_vs_temperature(temps)
    dt = time.perf_counter() - t0
    print(f"rho_D(T) on {len(temps)} temperatures: {dt:.2f} s "
          f"({dt / len(temps) * 1e3:.0f} ms per temperature)")
    print(f"  T=5 K: rho_xx = {res[4].rho_xx_ohm:.4e} Ohm, rho_yx = {res[4].rho_yx_ohm:.4e} Ohm")
    t0 = time.perf_counter()
    stat = film.drag_vs_temperature(temps, screening="static")
    dt = time.perf_counter() - t0
    print(f"  same with screening='static' (Re Pi(q,0;T=0)): {dt:.2f} s; max relative change "
          f"dynamic/static - 1: rho_xx {max(abs(r.rho_xx / s.rho_xx - 1) for r, s in zip(res, stat)):.1e}, "
          f"rho_yx {max(abs(r.rho_yx / s.rho_yx - 1) for r, s in zip(res, stat)):.1e}")
    print("convergence (relative change when all node counts double):")
    cases = {
        "paper, M=10 meV": (film.active, film.passive),
        "massless, M=0": (MassiveDiracLayer.from_density(0.01, 0.41, 0.0),
                          MassiveDiracLayer.from_density(0.01, 0.41, 0.0)),
    }
    for name, (a, p) in cases.items():
        for T in (1.0, 5.0, 20.0):
            t0 = time.perf_counter()
            _, _, rxx, ryx = drag_convergence(a, p, film.d, film.eps_r, T)
            print(f"  {name:16s} T={T:5.1f} K: d rho_xx = {rxx:.1e}, d rho_yx = {ryx:.1e} "
                  f"({time.perf_counter() - t0:.2f} s)")
    a = MassiveDiracLayer(0.41, 0.03, 0.02, 0.1)
    r1, r2, _, _ = drag_convergence(a, film.passive, film.d, film.eps_r, 5.0)
    print(f"  activated active layer (mu in gap): d sigma_yx = "
          f"{abs(r1.sigma_yx / r2.sigma_yx - 1):.1e}")


if __name__ == "__main__":
    main()
