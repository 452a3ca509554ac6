"""Current-induced gap of a warped 3D-TI surface: Balram et al., PRL 123,
246803 (2019), Eq. (10)-(11) and the closing paragraph (Berry-curvature
monopole), on the cubic-lattice slab of :mod:`kwant_noneq.systems.ti_slab`.

The case is assembled from three sections, the modules of this package:

* ``slab``: the slab's surface Dirac parameters and hybridisation
  gap (``surface_velocity``, ``surface_warping``, ``hybridisation_gap``) and the
  real-space slab between two leads against the homogeneous ballistic state
  (``slab_vs_homogeneous``);
* ``homogeneous``: the homogeneous surface under a Boltzmann
  (relaxation-time) and a ballistic (Landauer) distribution, and its
  self-consistent exchange gap (``s_inplane``, ``sz_boltzmann_first_order``,
  ``gap_boltzmann_exponent``, ``gap_direction``, ``sz_ballistic_first_order``,
  ``gap_ballistic_exponent_dmu``, ``gap_exponent_U``, ``gap_exponent_lambda``,
  ``gap_lambda0``, ``gap_inplane_only``);
* ``monopole``: the anomalous Hall conductivity of the gapped
  surface and the nonlinear Hall current it carries (``monopole_hall``).

The closed forms compared with are in :mod:`kwant_noneq.analytic_surface`;
their derivations are in docs/ti_surface.md.
"""
from . import homogeneous, monopole, slab

CASE = "ti_surface"
SECTIONS = (slab, homogeneous, monopole)


def run(figdir):
    records = []
    for section in SECTIONS:
        records += section.records(figdir)
    return records
