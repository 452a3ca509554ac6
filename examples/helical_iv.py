"""Interacting I-V deficit of a disordered helical edge (Balram et al., PRL
123, 246803 (2019), Eq. 5-9), at a micrometre edge length.

    PYTHONPATH=$PWD python examples/helical_iv.py [--out helical_iv.png]   (under a minute)

A current through a helical edge polarises its spin (Eq. 2); a contact
interaction turns that into an exchange field (Eq. 3) whose spin texture
lets non-magnetic disorder backscatter, at the rate ``1/tau ~ mu^2 dmu^2``
(Eq. 5; 4x the printed value with the field's Dirac-point shift,
docs/helical_iv.md).  A ballistic edge carries ``I h/e = eV``; the
backscattering lowers it, in the nearly ballistic regime by (Eq. 9, C -> 4C)

    eV - I h/e = kappa eV,      kappa = L 4C mu0^2 (eV)^2,

per edge.  Written with the expansion parameters of the theory
(``C = g^2 lam^2 / (l (4 pi v^4)^2)``, Eq. 6)::

    kappa = (L / l) eps^2 (g eV / (2 pi v mu0))^2,

* ``eps = lam mu0^2 / v^3``: the spin rotation at the Fermi level (Eq. 1);
* ``g eV / (2 pi v mu0)``: twice the field's Dirac-point shift over mu0, and
  the relative size of the self-consistency correction;
* ``l``: the mean free path; the Born rate needs the edge-projected disorder
  small against mu0, ``sigma_1D^2 / mu0^2 = 1 / (k_F^2 l a) < 1``.

Each must be small for Eq. (5)-(9) to hold, so a visible deficit needs
``L >> l``.  With the validation's parameters (``lam = 0.5 eV nm^3``,
``mu0 = 0.15 eV``, ``U = 4 eV``, disorder 0.2 eV: ``eps = 3.3e-3``,
``g eV/(2 pi v mu0) = 0.017`` at 10 meV, ``l = 1.1 um``) ``kappa = 1`` at
10 meV needs ``L = 3.6e11 nm``.  Here each
is pushed to the edge of its regime: a larger ``k_F`` (``mu0 = 0.5 eV``,
``k_F a = 1/3``) and ``lambda = 0.9 eV nm^3`` give ``eps = 0.067``
(lambda is bounded by the lattice: its term ``lambda (2 sin k - sin 2k) /
a^3`` splits the bulk bands by up to ``2.6 lambda``; at 0.9 eV nm^3, with
``M = -1.5 eV`` for a wider bulk gap, the window still holds only the two
edges' helical pairs); a
strong contact interaction ``U = 15 eV`` gives ``g eV/(2 pi v mu0) = 0.4`` at
the largest bias (the first-order field's shift of the Dirac point is then
0.2 mu0); disorder of full width 0.85 eV gives ``sigma_1D^2/mu0^2 = 0.2``,
``l = 44 nm``.  Then ``kappa = 0.017`` at ``L = 1 um`` and ``eV = 0.15 eV``:
a 2 % deficit, with Eq. (9) still inside its regime (at ``L = 5 um``,
``kappa = 0.08`` and the full Eq. (8) departs from Eq. (9) by 20 %).

What is computed: the bottom edge's first-order exchange field at each bias
(the homogeneous current-carrying lead, :class:`HelicalEdge`), its
disorder-averaged backscattering per nm with the exact lattice states (first
Born order) at Gauss-Legendre nodes over the bias window, and the deficit
``L int p(E) dE`` (Landauer at T = 0, nearly ballistic: ``R = L p``),
printed next to Eq. (9) and the full Eq. (8).  The lattice and Eq. (9)
differ by the lattice corrections ``O((k_F a)^2)`` and the window's
``(eV/2 mu0)^2``: up to about 10 % here.  Currents are ``I h/e`` in eV per edge.
The figure shows the relative deficit against the bias, the lattice's points
on Eq. (9)'s and Eq. (8)'s curves.
"""
import argparse
import time

import numpy as np

from kwant_noneq import analytic
from kwant_noneq.quadrature import gauss_legendre
from kwant_noneq.systems import bhz
from kwant_noneq.systems.helical_edge import HelicalEdge

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="helical_iv.png", help="figure file")
out = parser.parse_args().out
t0 = time.perf_counter()
# BHZ parameters [eV, nm]; the disorder [eV, full width of uniform onsite
# disorder] is a parameter of the ribbon's value functions too.
params = bhz.default_params(A=1.5, B=-1.0, M=-1.5, L3=0.9, disorder=0.85)
width = 16                  # ribbon width [nm]: edge decay ~1.3 nm, overlap < 1e-15
U = 15.0                    # contact interaction [eV]
mu0 = 0.5                   # mean chemical potential above the Dirac point [eV]
length = 1000.0             # edge length [nm]
biases = np.array([0.05, 0.1, 0.15])   # eV [eV]
gl_nodes = 4                # Gauss-Legendre nodes over each bias window

edge = HelicalEdge(width, params)
v, lam, disorder = params["A"], params["L3"], params["disorder"]   # Eq. (1): hbar v = A, lambda = L3
g = edge.coupling(U)                          # g_1D [eV nm]
l = edge.mean_free_path(disorder)             # [nm]
C4 = 4 * analytic.drag_constant_C(v, lam, g, l)   # Eq. (6) with the Dirac shift [1/(eV^4 nm)]
eps = lam * mu0**2 / v**3
print(f"hbar v = {v} eV nm (fit {edge.fit.velocity:.4f}), lambda = {lam} eV nm^3 "
      f"(fit {edge.fit.spin_rotation_rate:.4f}), g_1D = {g:.3g} eV nm, l = {l:.3g} nm")
print(f"expansion parameters: eps = lam mu0^2/v^3 = {eps:.3f}, "
      f"g eV/(2 pi v mu0) = {g * biases[-1] / (2 * np.pi * v * mu0):.2f} at eV = "
      f"{biases[-1]} eV, sigma_1D^2/mu0^2 = {v**2 / l / mu0**2:.2f}, k_F l = {mu0 / v * l:.0f}")
print(f"L = {length / 1000:g} um: kappa = L 4C mu0^2 eV^2 = (L/l) eps^2 (g eV/(2 pi v mu0))^2 "
      f"= {length * C4 * mu0**2 * biases[-1]**2:.3f} at eV = {biases[-1]} eV")

lattice = []
print("\nper edge:  eV [eV]   I h/e [eV]   (eV - I h/e)/eV: lattice   Eq. (9)   Eq. (8)   lattice/Eq. (9)")
for eV in biases:
    field = edge.exchange_field(mu0, eV, U)
    energies, weights = gauss_legendre(mu0, eV, gl_nodes)
    p = edge.born_backscattering(energies, field, disorder)[:, 0]    # [1/nm]
    deficit = length * np.sum(weights * p)                          # eV - I h/e [eV]
    eq9 = eV - analytic.current_eq9_ballistic(eV, mu0, length, C4)
    eq8 = eV - analytic.solve_eq8(eV, mu0, length, C4)
    lattice.append(deficit / eV)
    print(f"           {eV:.3f}    {eV - deficit:.6f}          {deficit / eV:.4f}        "
          f"{eq9 / eV:.4f}    {eq8 / eV:.4f}    {deficit / eq9:.3f}")

import matplotlib                                          # noqa: E402
matplotlib.use("Agg")
import matplotlib.pyplot as plt                            # noqa: E402

bias = np.linspace(0.01, biases[-1], 60)
fig, ax = plt.subplots(figsize=(5, 3.6))
ax.plot(bias * 1e3, 1 - analytic.current_eq9_ballistic(bias, mu0, length, C4) / bias,
        "k-", label="Eq. (9), $C \\to 4C$")
ax.plot(bias * 1e3, 1 - analytic.solve_eq8(bias, mu0, length, C4) / bias,
        "k--", label="Eq. (8), $C \\to 4C$")
ax.plot(biases * 1e3, lattice, "ro", label="BHZ lattice, Born rate")
ax.set_xlabel("bias $eV$ [meV]")
ax.set_ylabel("deficit $(eV - Ih/e)/eV$")
ax.set_title(f"helical edge, $L$ = {length / 1000:g} µm, $U$ = {U:g} eV", fontsize=9)
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(out, dpi=120)
print(f"\nfigure: {out}   ({time.perf_counter() - t0:.0f} s)")
