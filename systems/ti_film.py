"""Magnetic topological-insulator film: two massive Dirac surfaces (Eq. 1).

Liu, Liu and Culcer, "Anomalous Hall Coulomb drag of massive Dirac
fermions": top (active) and bottom (passive) surfaces,

    H_0(k) = tau_z (x) A sigma.(k x z) + diag(M_a, -M_a, M_p, -M_p),     (Eq. 1)

separated by d in a dielectric eps_r, coupled only by the Coulomb
interaction.  Units: eV, nm, ps, K; densities in 1/nm^2
(``per_cm2(1e12) = 0.01``).

Two descriptions:

* :class:`TIFilm`: the continuum model (closed forms of
  :mod:`kwant_noneq.analytic_drag`) and its drag (:mod:`kwant_noneq.drag`).
* :func:`make_lattice_film`: a Kwant builder whose Bloch Hamiltonian is the
  square-lattice regularisation of Eq. (1),

      h_l(k) = s_l (A/a)[sin(k_y a) sigma_x - sin(k_x a) sigma_y]
               + [s_l (2B/a^2)(2 - cos k_x a - cos k_y a) + M_l] sigma_z,

  ``s_a = +1``, ``s_p = -1`` (the tau_z of Eq. 1).  The Wilson term B gaps the
  three fermion doublers at (pi, 0), (0, pi), (pi, pi) by ``4B/a^2`` and
  ``8B/a^2``, so each layer keeps ONE Dirac cone (B = 0 gives four: checked
  by the ``flavours`` validation record).  Near Gamma it reproduces Eq. (1)
  up to ``O((ka)^2)`` and an effective mass ``M_l + s_l B k^2``.
"""
import dataclasses

import numpy as np

from kwant_noneq.analytic_drag import MassiveDiracLayer
from kwant_noneq.drag import drag_conductivity, drag_vs_temperature
from kwant_noneq.pauli import SIGMA_X, SIGMA_Y, SIGMA_Z

__all__ = ["per_cm2", "TIFilm", "continuum_hamiltonian", "make_lattice_film",
           "layer_projectors"]


def per_cm2(n_cm2):
    """Density in 1/nm^2 of a density given in 1/cm^2."""
    return n_cm2 * 1e-14


@dataclasses.dataclass(frozen=True)
class TIFilm:
    """Continuum two-surface film of Eq. (1).

    Parameters
    ----------
    A : float
        hbar v (eV nm); the paper's 4.1 eV Angstrom is 0.41.
    M_a, M_p : float
        Exchange masses of the active (top) and passive (bottom) surface (eV).
    n_a, n_p : float
        Electron densities (1/nm^2); the paper uses equal densities.
    d : float
        Layer separation (nm).
    eps_r : float
        Dielectric constant.
    tau_a, tau_p : float
        Transport times (ps).
    """

    A: float = 0.41
    M_a: float = 0.01
    M_p: float = 0.01
    n_a: float = 0.01
    n_p: float = 0.01
    d: float = 10.0
    eps_r: float = 20.0
    tau_a: float = 0.1
    tau_p: float = 0.1

    def __post_init__(self):
        units = dict(A="eV nm", M_a="eV", M_p="eV", n_a="1/nm^2", n_p="1/nm^2",
                     d="nm", eps_r="dimensionless", tau_a="ps", tau_p="ps")
        for name, unit in units.items():
            value = getattr(self, name)
            if isinstance(value, (str, bytes, bool)) or np.ndim(value) != 0:
                raise TypeError(f"{name} must be a real number ({unit}), got {value!r}")
            if not np.isfinite(float(value)):
                raise ValueError(f"{name} must be finite ({unit}), got {value}")
        for name in ("A", "d", "eps_r", "tau_a", "tau_p"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0 ({units[name]}), got {getattr(self, name)}")
        for name in ("n_a", "n_p"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 (1/nm^2), got {getattr(self, name)}")

    @property
    def active(self):
        return MassiveDiracLayer.from_density(self.n_a, self.A, self.M_a, self.tau_a)

    @property
    def passive(self):
        return MassiveDiracLayer.from_density(self.n_p, self.A, self.M_p, self.tau_p)

    def drag(self, T, **nodes):
        """:class:`kwant_noneq.drag.DragResult` at temperature T (K)."""
        return drag_conductivity(self.active, self.passive, self.d, self.eps_r, T, **nodes)

    def drag_vs_temperature(self, temperatures, **nodes):
        return drag_vs_temperature(self.active, self.passive, self.d, self.eps_r,
                                   temperatures, **nodes)

    def hamiltonian(self):
        """Vectorised continuum Bloch Hamiltonian of Eq. (1), 4 x 4."""
        return continuum_hamiltonian(self.A, self.M_a, self.M_p)


def continuum_hamiltonian(A, M_a, M_p):
    """``H(k) = tau_z (x) A sigma.(k x z) + diag(M_a, -M_a, M_p, -M_p)`` (Eq. 1).

    ``sigma.(k x z) = k_y sigma_x - k_x sigma_y``.  Returns a callable
    k (..., 2) -> (..., 4, 4).
    """
    def H(k):
        k = np.asarray(k, dtype=float)
        kx, ky = k[..., 0, None, None], k[..., 1, None, None]
        h = A * (ky * SIGMA_X - kx * SIGMA_Y)
        out = np.zeros(k.shape[:-1] + (4, 4), dtype=complex)
        out[..., :2, :2] = h + M_a * SIGMA_Z
        out[..., 2:, 2:] = -h + M_p * SIGMA_Z
        return out
    return H


def layer_projectors():
    """Projectors on the active and passive layer in the 4-orbital basis."""
    pa = np.diag([1.0, 1.0, 0.0, 0.0]).astype(complex)
    return pa, np.eye(4) - pa


def make_lattice_film(a=0.2):
    """Kwant builder of the square-lattice film (one 4-orbital site per cell).

    Orbitals: (active up, active down, passive up, passive down).
    Parameters of the value functions: ``A`` (eV nm), ``B`` (eV nm^2, Wilson
    mass), ``M_a``, ``M_p`` (eV).  ``B = A a / 2`` is a good choice; ``B = 0``
    is the naive discretisation with four cones per layer.

    Returns
    -------
    kwant.Builder with a 2D TranslationalSymmetry (lattice constant a, nm).
    """
    import kwant

    if not a > 0:
        raise ValueError(f"lattice constant a must be > 0 (nm), got {a}")
    lat = kwant.lattice.square(a, norbs=4)
    syst = kwant.Builder(kwant.TranslationalSymmetry((a, 0), (0, a)))
    tz = np.diag([1.0, -1.0])

    def onsite(site, A, B, M_a, M_p):
        wilson = np.kron(tz, 4 * B / a ** 2 * SIGMA_Z)
        return wilson + np.diag([M_a, -M_a, M_p, -M_p])

    # alpha sin(k a) sigma = (alpha/2i)(e^{ika} - e^{-ika}) sigma and
    # beta cos(k a) = (beta/2)(e^{ika} + e^{-ika}): hopping -i alpha sigma/2 + beta/2.
    def hop_x(site1, site2, A, B):
        return np.kron(tz, 1j * A / (2 * a) * SIGMA_Y - B / a ** 2 * SIGMA_Z)

    def hop_y(site1, site2, A, B):
        return np.kron(tz, -1j * A / (2 * a) * SIGMA_X - B / a ** 2 * SIGMA_Z)

    syst[lat(0, 0)] = onsite
    syst[kwant.builder.HoppingKind((1, 0), lat)] = hop_x
    syst[kwant.builder.HoppingKind((0, 1), lat)] = hop_y
    return syst
