"""Exchange nonlinear Hall effect of a Kwant lattice model in a few lines.

Builds the PT-symmetric tilted Dirac model H_PT as a Kwant square-lattice
builder, takes its Bloch Hamiltonian, and computes the intrinsic (BCP) and
exchange (Eq. 9 of the ENH paper) nonlinear Hall conductivities at the
paper's parameters.  Run: PYTHONPATH=. python examples/nonlinear_hall.py
"""
import numpy as np

from kwant_noneq.bloch import bloch_hamiltonian
from kwant_noneq.pauli import pauli_spin
from kwant_noneq.kintegrate import LatticePockets
from kwant_noneq.nonlinear_hall import (Flavour, enh_pt_conductivity,
                                        inh_conductivity)
from kwant_noneq.systems.dirac2d import h_pt_builder, paper_parameters

p = paper_parameters()            # eV, nm, ps; V0 = e^2/(4 pi eps0 q_s) in eV nm^2
a = 0.1                           # lattice constant (nm)
builder = h_pt_builder(a=a)       # any kwant.Builder with a 2D TranslationalSymmetry
H = bloch_hamiltonian(builder, {k: p[k] for k in ("delta", "hbar_vx", "hbar_vy", "alpha")})
spin = pauli_spin(4)              # 1_tau (x) s, spin is the fast index
integrator = LatticePockets(2 * np.pi / a * np.eye(2), pocket_centers=[(0, 0)],
                            pocket_radius=8.0, n_grid=64, n_angles=16, n_radial=8)
pt = Flavour(H, spin, integrator)

for mu in (0.08, 0.15, 0.25):
    inh = inh_conductivity(pt, mu)
    enh = enh_pt_conductivity(pt, mu, interaction=p["V0"])
    print(f"mu = {mu * 1e3:5.0f} meV  sigma_INH^xyx = {inh.sigma[0, 1, 0]:+.3e}  "
          f"sigma_ENH^xyx = {enh.sigma[0, 1, 0]:+.3e} {enh.units}  "
          f"(convergence {max(inh.convergence, enh.convergence):.0e})")
