"""Tilted massive Dirac models of the exchange nonlinear Hall paper (seed 001).

Two models, each as a continuum Bloch Hamiltonian and as a Kwant
square-lattice builder whose low-energy expansion is the continuum model:

* ``H_T`` (T-symmetric, two valleys xi = +-1)::

      H_T(k) = hbar v_x k_x s_y - xi hbar v_y k_y s_x + Delta s_z + xi alpha k_y

* ``H_PT`` (PT-symmetric magnet, orbital tau ⊗ spin s, spin fastest)::

      H_PT(k) = tau_y ⊗ (hbar v_x k_x s_x + hbar v_y k_y s_y + Delta s_z)
                + alpha k_y

Units: energies eV, lengths nm, k in 1/nm, ``hbar_v`` and ``alpha`` in eV nm.

Lattice regularisation (lattice constant ``a``): ``k -> sin(k a)/a`` and a
squared Wilson mass ``Delta -> Delta + B W(k)``, ``W = (2 - cos k_x a -
cos k_y a)^2``, that gaps the doublers at (pi/a, 0), (0, pi/a) by ``4B`` and
at (pi/a, pi/a) by ``16B``.  Why squared: ``W ~ (k a)^4 / 4`` at small k, so
the mass is unchanged to order (ka)^2 (an ordinary Wilson term shifts it
by ``B (k a)^2 / 2``, several per cent of Delta at the Fermi momenta of
Fig. 3); it costs next-nearest-neighbour hoppings.  The continuum is
recovered to relative order ``(k a)^2 / 6`` (velocity) and
``B (k a)^4 / (4 Delta)`` (mass).
"""
import numpy as np

import kwant

from kwant_noneq.bloch import bloch_hamiltonian
from kwant_noneq.constants import COULOMB, velocity_to_hbar_v
from kwant_noneq.pauli import (SIGMA_0 as S0, SIGMA_X as SX, SIGMA_Y as SY,
                               SIGMA_Z as SZ, pauli_spin)

__all__ = ["paper_parameters", "h_t_continuum", "h_pt_continuum",
           "h_t_builder", "h_pt_builder", "spin_operators_t",
           "spin_operators_pt", "h_t_flavours", "h_pt_flavour"]

TY = SY


def paper_parameters():
    """Parameters of Fig. 3: Delta = 50 meV, v = 4e5 m/s, alpha = 0.1 hbar v,
    q_s = 0.2 /nm, V0 = e^2 / (4 pi eps0 q_s) (eV nm^2), tau = 0.5 ps."""
    hbar_v = velocity_to_hbar_v(4e5)
    q_s = 0.2
    return dict(delta=0.05, hbar_vx=hbar_v, hbar_vy=hbar_v,
                alpha=0.1 * hbar_v, q_s=q_s, V0=COULOMB / q_s, tau=0.5)


def spin_operators_t():
    """Pauli spin operators (3, 2, 2) of H_T (s acts on the whole 2x2)."""
    return pauli_spin(2)


def spin_operators_pt():
    """Spin operators 1_tau ⊗ s (3, 4, 4) of H_PT."""
    return pauli_spin(4)


def _stack(coeffs, mats):
    return sum(np.asarray(c)[..., None, None] * m for c, m in zip(coeffs, mats))


def h_t_continuum(xi, delta, hbar_vx, hbar_vy, alpha):
    """Continuum H_T of valley ``xi`` (+1 or -1) as a BlochHamiltonian."""
    if xi not in (1, -1):
        raise ValueError(f"valley xi must be +1 or -1, got {xi}")
    _check_model(delta, hbar_vx, hbar_vy, alpha)

    def h(k):
        kx, ky = k[..., 0], k[..., 1]
        return _stack([hbar_vx * kx, -xi * hbar_vy * ky,
                       delta + 0 * kx, xi * alpha * ky],
                      [SY, SX, SZ, S0])

    def dh(k):
        shape = k.shape[:-1]
        dx = np.broadcast_to(hbar_vx * SY, shape + (2, 2))
        dy = np.broadcast_to(-xi * hbar_vy * SX + xi * alpha * S0,
                             shape + (2, 2))
        return np.stack([dx, dy], axis=-3)

    return bloch_hamiltonian(h, dim=2, norbs=2, derivative=dh)


def h_pt_continuum(delta, hbar_vx, hbar_vy, alpha):
    """Continuum H_PT (4 bands, Kramers-degenerate) as a BlochHamiltonian."""
    _check_model(delta, hbar_vx, hbar_vy, alpha)
    gx, gy, gz = (np.kron(TY, SX), np.kron(TY, SY), np.kron(TY, SZ))
    one = np.eye(4, dtype=complex)

    def h(k):
        kx, ky = k[..., 0], k[..., 1]
        return _stack([hbar_vx * kx, hbar_vy * ky, delta + 0 * kx,
                       alpha * ky], [gx, gy, gz, one])

    def dh(k):
        shape = k.shape[:-1]
        dx = np.broadcast_to(hbar_vx * gx, shape + (4, 4))
        dy = np.broadcast_to(hbar_vy * gy + alpha * one, shape + (4, 4))
        return np.stack([dx, dy], axis=-3)

    return bloch_hamiltonian(h, dim=2, norbs=4, derivative=dh)


def _square_builder(a, onsite, hop_x, hop_y, wilson_matrix, norbs):
    """Square lattice with NN hoppings ``hop_x``, ``hop_y`` and the squared
    Wilson term ``wilson_matrix * W(k)``, W = (2 - cos x - cos y)^2 =
    5 - 4 cos x - 4 cos y + (cos 2x + cos 2y)/2 + cos(x+y) + cos(x-y); a term
    c cos(k.R) M is the hopping c M / 2 along R."""
    lat = kwant.lattice.square(a, norbs=norbs)
    syst = kwant.Builder(kwant.TranslationalSymmetry((a, 0), (0, a)))
    M = wilson_matrix

    # Kwant value functions must name their parameters (no *args).
    def onsite_w(site, delta, hbar_vx, hbar_vy, alpha):
        return onsite(site, delta, hbar_vx, hbar_vy, alpha) + 5 * M

    def hop_x_w(s1, s2, delta, hbar_vx, hbar_vy, alpha):
        return hop_x(s1, s2, delta, hbar_vx, hbar_vy, alpha) - 2 * M

    def hop_y_w(s1, s2, delta, hbar_vx, hbar_vy, alpha):
        return hop_y(s1, s2, delta, hbar_vx, hbar_vy, alpha) - 2 * M

    syst[lat(0, 0)] = onsite_w
    syst[kwant.builder.HoppingKind((1, 0), lat)] = hop_x_w
    syst[kwant.builder.HoppingKind((0, 1), lat)] = hop_y_w
    for d, c in (((2, 0), 0.25), ((0, 2), 0.25), ((1, 1), 0.5), ((1, -1), 0.5)):
        syst[kwant.builder.HoppingKind(d, lat)] = c * M
    return syst


def h_t_builder(xi, a=0.1, wilson=0.2):
    """Square-lattice Kwant builder for valley ``xi`` of H_T.

    Bloch Hamiltonian (with :func:`kwant_noneq.bloch.bloch_hamiltonian`)::

        hbar_vx sin(k_x a)/a s_y - xi hbar_vy sin(k_y a)/a s_x
        + [delta + wilson (2 - cos k_x a - cos k_y a)^2] s_z
        + xi alpha sin(k_y a)/a

    Parameters (``params``): ``delta``, ``hbar_vx``, ``hbar_vy``, ``alpha``
    (eV, eV nm).  ``a`` in nm, ``wilson`` in eV.

    Notes
    -----
    A hopping ``T = <R + a|H|R>`` enters as ``T^+ e^{ika} + T e^{-ika}``:
    ``M sin(ka)`` needs ``T = i M / 2`` and ``M cos(ka)`` needs ``T = M/2``.
    """
    if xi not in (1, -1):
        raise ValueError(f"valley xi must be +1 or -1, got {xi}")
    B = wilson

    def onsite(site, delta, hbar_vx, hbar_vy, alpha):
        return delta * SZ

    def hop_x(s1, s2, delta, hbar_vx, hbar_vy, alpha):
        return 0.5j * hbar_vx / a * SY

    def hop_y(s1, s2, delta, hbar_vx, hbar_vy, alpha):
        return 0.5j * (-xi * hbar_vy / a) * SX + 0.5j * xi * alpha / a * S0

    return _square_builder(a, onsite, hop_x, hop_y, B * SZ, 2)


def h_pt_builder(a=0.1, wilson=0.2):
    """Square-lattice Kwant builder for H_PT (4 orbitals, tau ⊗ s).

    Bloch Hamiltonian::

        tau_y ⊗ [hbar_vx sin(k_x a)/a s_x + hbar_vy sin(k_y a)/a s_y
                 + (delta + wilson (2 - cos k_x a - cos k_y a)^2) s_z]
        + alpha sin(k_y a)/a

    The Wilson term keeps the form tau_y ⊗ (d . s), so PT symmetry and the
    Kramers degeneracy survive on the lattice.
    """
    B = wilson
    gx, gy, gz = (np.kron(TY, SX), np.kron(TY, SY), np.kron(TY, SZ))
    one = np.eye(4, dtype=complex)

    def onsite(site, delta, hbar_vx, hbar_vy, alpha):
        return delta * gz

    def hop_x(s1, s2, delta, hbar_vx, hbar_vy, alpha):
        return 0.5j * hbar_vx / a * gx

    def hop_y(s1, s2, delta, hbar_vx, hbar_vy, alpha):
        return 0.5j * hbar_vy / a * gy + 0.5j * alpha / a * one

    return _square_builder(a, onsite, hop_x, hop_y, B * gz, 4)


def _check_model(delta, hbar_vx, hbar_vy, alpha):
    """Refuse non-numeric or non-finite model parameters by name (a NaN
    would otherwise give zero responses or a LinAlgError)."""
    for name, value, unit in (("delta", delta, "eV"), ("hbar_vx", hbar_vx, "eV nm"),
                              ("hbar_vy", hbar_vy, "eV nm"), ("alpha", alpha, "eV nm")):
        if (isinstance(value, (str, bytes, bool)) or np.ndim(value) != 0
                or not isinstance(value, (int, float, np.integer, np.floating))):
            raise TypeError(f"{name} must be a real number ({unit}), got {value!r}")
        if not np.isfinite(float(value)):
            raise ValueError(f"{name} must be finite ({unit}), got {value}")


def _model_params(params):
    missing = [k for k in ("delta", "hbar_vx", "hbar_vy", "alpha") if k not in params]
    if missing:
        raise KeyError(f"params lacks {missing} (delta in eV, hbar_vx, hbar_vy, "
                       "alpha in eV nm)")
    model = {k: params[k] for k in ("delta", "hbar_vx", "hbar_vy", "alpha")}
    _check_model(**model)
    return model


def h_t_flavours(params, lattice=False, a=0.1, wilson=0.2, k_max=None,
                 **integrator_options):
    """The two valleys of H_T as ``kwant_noneq.nonlinear_hall.Flavour``\\ s.

    Parameters
    ----------
    params : dict
        ``delta, hbar_vx, hbar_vy, alpha`` (eV, eV nm); other keys ignored.
    lattice : bool
        Continuum (polar quadrature around k = 0) or the Kwant lattice builder
        (Bloch Hamiltonian via kwant.wraparound, pockets around Gamma).
    k_max : float
        Fermi pockets lie within this radius (1/nm); default 4/nm.
    """
    from kwant_noneq.kintegrate import ContinuumPolar, LatticePockets
    from kwant_noneq.nonlinear_hall import Flavour
    model = _model_params(params)
    k_max = 4.0 if k_max is None else k_max
    out = []
    for xi in (1, -1):
        if lattice:
            H = bloch_hamiltonian(h_t_builder(xi, a, wilson), model)
            integ = LatticePockets(2 * np.pi / a * np.eye(2), [(0.0, 0.0)],
                                   2 * k_max, **integrator_options)
        else:
            H = h_t_continuum(xi, **model)
            integ = ContinuumPolar(k_max, **integrator_options)
        out.append(Flavour(H, spin_operators_t(), integ))
    return out


def h_pt_flavour(params, lattice=False, a=0.1, wilson=0.2, k_max=None,
                 **integrator_options):
    """H_PT as a ``kwant_noneq.nonlinear_hall.Flavour`` (see h_t_flavours)."""
    from kwant_noneq.kintegrate import ContinuumPolar, LatticePockets
    from kwant_noneq.nonlinear_hall import Flavour
    model = _model_params(params)
    k_max = 4.0 if k_max is None else k_max
    if lattice:
        H = bloch_hamiltonian(h_pt_builder(a, wilson), model)
        integ = LatticePockets(2 * np.pi / a * np.eye(2), [(0.0, 0.0)],
                               2 * k_max, **integrator_options)
    else:
        H = h_pt_continuum(**model)
        integ = ContinuumPolar(k_max, **integrator_options)
    return Flavour(H, spin_operators_pt(), integ)
