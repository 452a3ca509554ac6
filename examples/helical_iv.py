"""Nonlinear I-V of a helical edge (Balram et al., PRL 123, 246803, Eq. 5-9).

    PYTHONPATH=$PWD python examples/helical_iv.py

1. A self-consistent I-V sweep of a short BHZ ribbon with a contact
   interaction: the mean-field exchange field is solved at every bias
   (warm-started from the previous one) and the Landauer current computed
   with it.
2. The disorder-averaged backscattering rate of the current-carrying edge from
   the exact lattice states (first Born order in the disorder), against
   Eq. (5) and Eq. (5) with the Dirac-point shift (4x).
3. The interacting I-V deficit: the crossover from I = V to I^3 ~ V of a
   long, locally equilibrated edge (segment chaining with the lattice rate)
   against Eq. (8).  Model parameters are read from ``params``.
Currents are I h / e in eV (a ballistic channel carries eV).
"""
import numpy as np

from kwant_noneq import analytic, edge
from kwant_noneq.dephasing import chained_iv
from kwant_noneq.homogeneous import LeadBands, solve_homogeneous_exchange
from kwant_noneq.analytic import backscattering_rate_eq5_shifted
from kwant_noneq.transport import born_backscattering, iv_sweep
from kwant_noneq.systems import bhz

params = bhz.default_params(A=1.5, B=-1.0, M=-1.0, L3=0.5)
mu0, U = 0.15, 4.0

v, lam = params["A"], params["L3"]             # hbar v [eV nm], lambda [eV nm^3]

# 1. Self-consistent I-V of a short clean ribbon (both edges conduct).  A
#    clean edge cannot backscatter: I h/e = 2 eV exactly, with or without
#    the interaction (the check the deficit of part 3 is measured against).
fsyst = bhz.make_ribbon(6, 12).finalized()
iv = iv_sweep(fsyst, bhz.SPIN, mu0, [0.01, 0.02, 0.03], 0.0, params, U=U)
print("eV [eV]   I h/e [eV]   dI/dV [e^2/h]   SCF iterations")
for V, I, G, n in zip(iv.biases, iv.currents, iv.conductance, iv.iterations):
    print(f"{V:6.3f}   {I:.10f}   {G:.8f}   {n}")

# 2. Backscattering per unit length of the bottom edge at mu0, dmu.
lead = bhz.make_ribbon_lead(16).finalized()
bands = LeadBands(lead, params)
mask = bhz.bottom_edge_mask(lead)[:lead.cell_size]
E_D, pair, _ = edge.dirac_pair(bands, mask)
g = edge.edge_coupling(bands, pair, U)
disorder = 0.2                                  # uniform, full width [eV]
var = disorder**2 / 12
l = v ** 2 * U / (var * g)                      # the paper's mean free path
dmu = 0.04
state = solve_homogeneous_exchange(bands, bhz.SPIN, E_D + mu0 - dmu / 2,
                                   E_D + mu0 + dmu / 2, U=U, self_consistent=False)
rate = born_backscattering(bands, E_D + mu0, var, state.potential, mask).on(True)
eq5 = analytic.backscattering_rate_eq5(v, lam, mu0, dmu, g, l) / v
eq5s = backscattering_rate_eq5_shifted(v, lam, mu0, dmu, g, l) / v
print(f"\nl = {l:.0f} nm; 1/(v tau): lattice {rate:.3e}/nm, Eq. (5) {eq5:.3e}/nm, "
      f"Eq. (5) with Dirac shift {eq5s:.3e}/nm")

# 3. The interacting I-V deficit of a long, locally equilibrated edge: the
#    exchange field of the current lets the disorder backscatter, at the
#    lattice rate ~ mu_bar^2 dmu^2, so I h/e falls below eV, from
#    eV - I ~ L 4C mu0^2 (eV)^3 (nearly ballistic) to I^3 ~ V (Eq. 8).
#    The rate of this weakly coupled ribbon (lambda mu0^2 / v^3 ~ 3e-3) is
#    tiny: the deficit becomes of order one only on the edge length L at which
#    kappa = L 4C mu0^2 (eV)^2 = 1 at eV = 10 meV, printed in m.
C4 = rate / (mu0**2 * dmu**2)                    # lattice 4C [1/(eV^4 nm)]
L = 1.0 / (C4 * mu0**2 * 0.01**2)                # kappa = 1 at eV = 10 meV [nm]
biases = np.geomspace(1e-3, 0.05, 8)
chained = chained_iv(biases, mu0, L, lambda m, d: C4 * m**2 * d**2)
print(f"\nchained edge, L = {L * 1e-9:.3g} m (kappa = 1 at eV = 10 meV):")
print("  eV [eV]  I h/e [eV]  Eq. (8)   deficit (eV - I h/e)/eV")
for V, I, ref in zip(biases, chained, analytic.solve_eq8(biases, mu0, L, C4)):
    print(f"  {V:.4f}   {I:.6f}    {ref:.6f}  {(V - I) / V:.3f}")
