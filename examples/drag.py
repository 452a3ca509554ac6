"""Coulomb drag and anomalous Hall drag in a magnetic TI film.

Run:  PYTHONPATH=. python examples/drag.py

Continuum film of Eq. (1) of Liu, Liu and Culcer with the parameters of
their Fig. 3, then the same surfaces as a Kwant lattice (Wilson-regularised,
one Dirac cone per surface) whose polarisation is compared with the closed
form.
"""

from kwant_noneq.analytic_drag import MassiveDiracLayer
from kwant_noneq.bloch import bloch_hamiltonian
from kwant_noneq.polarization import polar_rule, static_polarization
from kwant_noneq.constants import KB
from kwant_noneq.systems.ti_film import TIFilm, layer_projectors, make_lattice_film, per_cm2

film = TIFilm(A=0.41, M_a=0.01, M_p=0.01, n_a=per_cm2(1e12), n_p=per_cm2(1e12),
              d=10.0, eps_r=20.0, tau_a=0.1, tau_p=0.1)
for T in (1.0, 5.0, 10.0):
    r = film.drag(T)
    print(f"T = {T:4.1f} K: rho_D^xx = {r.rho_xx_ohm:.3e} Ohm, "
          f"rho_D^yx = {r.rho_yx_ohm:.3e} Ohm")

# The paper: rho_D^yx does not depend on the active layer's mass M_a, to
# leading order in (M_a/mu_a)^2 (here 1.9 % for M_a = 20 meV): the values
# below differ by about 1 %, within that order.
Ma = 0.02
mu_a = TIFilm(M_a=Ma).active.mu
print(f"rho_D^yx vs M_p at 5 K, M_a = 0 and {Ma * 1e3:.0f} meV "
      f"(independent of M_a up to O((M_a/mu_a)^2) = {(Ma / mu_a) ** 2:.1%}):")
for Mp in (0.01, 0.05, 0.1, 0.2, 0.4):
    r0, r1 = TIFilm(M_a=0.0, M_p=Mp).drag(5.0), TIFilm(M_a=Ma, M_p=Mp).drag(5.0)
    print(f"  M_p = {Mp * 1e3:5.0f} meV: {r0.rho_yx_ohm:.4e} Ohm, {r1.rho_yx_ohm:.4e} Ohm "
          f"(differ by {abs(r1.rho_yx_ohm / r0.rho_yx_ohm - 1):.1%})")

# Lattice: static polarisation of the top surface, doped minus undoped.
a, mu, M, T = 0.05, 0.15, 0.03, 116.0
H = bloch_hamiltonian(make_lattice_film(a), dict(A=0.41, B=0.41 * a / 2, M_a=M, M_p=0.02))
layer, layer0 = MassiveDiracLayer(0.41, M, mu), MassiveDiracLayer(0.41, M, 0.0)
q = 0.5 * layer.fermi_wavevector
kp, w = polar_rule(layer.wavevector(mu + 20 * KB * T) + q, 200, 192)
pa, _ = layer_projectors()
lat = (static_polarization(H, [q, 0], mu, T, kp, w, vertex=pa)
       - static_polarization(H, [q, 0], 0.0, T, kp, w, vertex=pa))
cont = layer.pi_static(q, T)[0] - layer0.pi_static(q, T)[0]
print(f"Pi lattice {lat:.5f}, continuum {cont:.5f} 1/(eV nm^2) (a = {a} nm)")
