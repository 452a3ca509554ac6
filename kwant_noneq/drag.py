"""Coulomb drag between two isotropic two-dimensional layers.

Implements Eq. (9) (longitudinal drag) and Eq. (10) (anomalous Hall drag) of
Liu, Liu and Culcer, "Anomalous Hall Coulomb drag of massive Dirac fermions",
in a form derived below, for any pair of rotation-invariant layers that
provide

* ``pi_dynamic(q, omega, T)``: retarded complex polarisation (1/(eV nm^2)),
  and ``pi_static(q)`` (real, static; for ``screening="static"``),
* ``response(q, omega, T) -> (im_pi, g, h)``: Im Pi and the longitudinal and
  anomalous drag vertices (see :meth:`MassiveDiracLayer.response
  <kwant_noneq.analytic_drag.MassiveDiracLayer.response>`),
* ``q_support(T)``, ``q_breakpoint(T)``, ``edge_energy(q, T)``: where the
  integrands live and where they have inverse-square-root edges,
* ``tau`` (ps), ``drude_conductivity()`` and, for ``anomalous_hall="intrinsic"``,
  ``intrinsic_hall_conductivity()`` (e^2/hbar).

Derivation and conventions
--------------------------
Boltzmann theory, second order in the interlayer interaction, linear in the
field E_a on the active layer (Jauho and Smith 1993; Flensberg et al. 1995).
The active layer drifts, ``f_a = f0(E - phi_a)``, ``phi_a = -e E.l_a(k)``,
``l_a = tau_a v_k``; the passive layer is short-circuited (``phi_p = 0``).
An interlayer collision ``(k_a, k_p) -> (k_a - q, k_p + q)`` transfers energy
``w`` (Golden rule, matrix element ``V_12(q, w)/L^2``, overlaps ``F_l``).
Linearised with detailed balance, the net rate of one such process is
``W_0 beta (phi_a(k_a) - phi_a(k_a - q))`` with ``W_0`` its equilibrium
rate; using ``f(x)(1 - f(x - w)) = (f(x - w) - f(x)) n_B(w)`` and
``n_B (1 + n_B) = 1/(4 sinh^2(w/2k_BT))`` the occupation factors become
``(f_k - f_{k+q})_a (f_k - f_{k+q})_p / (4 sinh^2)``.  Summing net rates over
all ordered processes counts every pair twice: a factor 1/2.
Every passive electron moved from k to k + q then carries
``j = -e (l_p(k+q) - l_p(k))`` for its lifetime, where the passive transport
vector is ``l_p = tau_p v_k`` plus the Berry-curvature displacement of the
transition, ``Omega_z zhat x q`` (the anomalous term of Eq. 10; the active
layer's topological Hall current is carried by interband coherence, changes
no band occupation and so does not drag: result (i) of the paper).
Collecting terms, with ``G_l(q, w) = int d^2k/(2pi)^2 F delta(E_{k+q} - E_k - w)
(f_k - f_{k+q}) (l_l(k+q) - l_l(k))``::

    sigma_D^{ab} = pi e^2/(4 hbar k_B T) int d^2q/(2pi)^2 int_{-inf}^{inf} dw
                   |V_12|^2 G_p^a G_a^b / sinh^2(w / 2 k_B T),

which is Eq. (9) with ``chi_l = 2 pi G_l`` and the prefactor of Eq. (10).
For isotropic layers ``G_a = tau_a g_a q_hat``, ``G_p = tau_p g_p q_hat +
h_p zhat x q_hat`` and the angle of q gives a factor pi::

    sigma_D^{xx} = (e^2/hbar) 1/(16 k_B T) int_0^inf q dq int_{-inf}^{inf} dw |V_12|^2 tau_a tau_p g_a g_p / sinh^2
    sigma_D^{yx} = (e^2/hbar) 1/(16 k_B T) int_0^inf q dq int_{-inf}^{inf} dw |V_12|^2 tau_a g_a h_p / sinh^2

(one flavour per layer; the integrand is even in w, since g and h are odd).
Resistivities: the 4x4 conductivity tensor of the double layer,
``(j_a, j_p) = S (E_a, E_p)``, ``S = [[s_a, D_ap], [D_pa, s_p]]`` with the
layers' Drude ``sigma_l`` and (optional) anomalous Hall ``sigma^yx_l`` and
the drag block ``D_pa = [[sigma_D^xx, -sigma_D^yx], [sigma_D^yx,
sigma_D^xx]]`` (rotation invariance; ``D_ap`` by Onsager reciprocity), is
inverted and ``rho_D = -(S^-1)_{pa}`` (open passive layer, ``j_p = 0``):
``rho_D^{yx} = -E_p^y/j_a^x``.  Sign: ``sigma_D^{xx} > 0`` and ``rho_D^{xx} >
0`` for like carriers (passive current along the active one).  To leading
order in the drag and in the Hall angles ``theta_l = sigma^yx_l/sigma_l``,
``rho_D = sigma_D/(sigma_a sigma_p)`` (``DragResult.rho_*_leading``, the
paper's quantity); with Hall angles
``rho_D^yx = [sigma_D^yx - sigma_D^xx (theta_a + theta_p) - theta_a theta_p sigma_D^yx]
/ (sigma_a sigma_p (1 + theta_a^2)(1 + theta_p^2)) + O(drag^2)``.
Which AHE enters ``sigma^yx_l`` is the ``anomalous_hall`` argument: ``"none"``
(default; the paper's model, which has no AHE in the layers' own response),
``"intrinsic"`` (Berry curvature of the filled sea, ``M/(4 pi mu)``; at the
paper's parameters ``theta ~ 3e-3`` exceeds ``sigma_D^yx/sigma_D^xx ~ -1.6e-3``,
so the measured ``rho_D^yx`` is ~5 times the leading one and depends on
``M_a``), or explicit values (side jump and skew scattering of the layers'
own currents, not computed here).

Screening: the full 2x2 RPA matrix
(:func:`~kwant_noneq.coulomb.interlayer_potential`) with the
retarded ``Pi_l(q, omega; T)`` of each layer (default
``screening="dynamic"``: ``layer.pi_dynamic``, intra- and interband, exact
at finite T).  ``screening="static"`` uses ``Re Pi_l(q, 0; T=0) + i Im
Pi_l(q, omega; T)`` (the earlier approximation, for comparison).  The two
differ by ~4e-8 (relative) at the paper's parameters: inside the intraband
continuum ``Re Pi(q, omega; T=0) = D(mu)`` exactly (the 2D Lindhard/Stern
identity holds for the massive Dirac cone too), and Maldague's average of
a linear ``D(mu)`` is ``D(mu)``; only ``(q, omega)`` whose thermal window
reaches the edges of that region (``omega`` near ``v_F q``, ``q`` near
``2 k_F``) contribute, weighted by ``exp(-omega/k_BT)``.  The difference
becomes large only for nearly non-degenerate layers (``E_F - |M| ~ k_BT``).

Numerics (no brute-force grids)
-------------------------------
* q: ``q = Q1 sin(u)`` on ``[0, Q1]``, ``Q1`` the smaller ``2 k_F``: removes the
  inverse square root of Im Pi at ``2 k_F``; ``q = Q1 + (Q2 - Q1) s^2`` on the
  thermal tail up to ``Q2``.
* omega: the ``omega -> 0`` pole of ``1/sinh^2`` is cancelled analytically by
  the odd vertices (the integrand is ``~ (w/sinh(w/2k_BT))^2``); the
  integration stops at the intraband edge (for M = 0 the light cone
  ``A q``), mapped by ``w = w_edge sin(t)`` which removes its inverse
  square root, or at ``THERMAL_WINDOW k_B T`` when that comes first.
* Gauss-Legendre in every mapped variable; :func:`drag_convergence`
  doubles all node counts.
"""
import dataclasses

import numpy as np

from . import checks
from .constants import HBAR_OVER_E2_OHM, KB
from .coulomb import interlayer_potential
from .thermal import THERMAL_WINDOW

__all__ = ["DragResult",
           "conductivity_tensor", "drag_resistivity",
           "drag_conductivity", "drag_vs_temperature", "drag_convergence"]


@dataclasses.dataclass(frozen=True)
class DragResult:
    """Drag conductivities (e^2/hbar) and resistivities (hbar/e^2) at T (K).

    ``sigma_xx``: Eq. (9); ``sigma_yx``: transverse passive current per
    active field, Eq. (10) (``j^hl = sigma_yx E_a``).  ``rho_xx``,
    ``rho_yx``: ``-E_p/j_a`` with ``j_p = 0`` from the inverse of the 4x4
    conductivity tensor (:func:`conductivity_tensor`); ``rho_*_leading``:
    ``sigma/(sigma_a sigma_p)`` (leading order in drag and Hall angles, the
    paper's quantity).  ``hall_angles``: ``sigma_yx/sigma_xx`` of the active
    and passive layer used in the tensor.  ``*_ohm`` properties give Ohm.

    ``sigma_xx_error``, ``sigma_yx_error``, ``rho_xx_error``,
    ``rho_yx_error``: estimated quadrature errors (same units as the
    values, absolute): the change of each value when every node count of
    :func:`drag_conductivity` is halved (doubled for a coarse rule).  The
    ``rho_*_leading`` values have the relative errors of the sigmas.
    """

    T: float
    sigma_xx: float
    sigma_yx: float
    rho_xx: float
    rho_yx: float
    rho_xx_leading: float = float("nan")
    rho_yx_leading: float = float("nan")
    hall_angles: tuple = (0.0, 0.0)
    sigma_xx_error: float = float("nan")
    sigma_yx_error: float = float("nan")
    rho_xx_error: float = float("nan")
    rho_yx_error: float = float("nan")

    @property
    def rho_xx_ohm(self):
        return self.rho_xx * HBAR_OVER_E2_OHM

    @property
    def rho_yx_ohm(self):
        return self.rho_yx * HBAR_OVER_E2_OHM


def _nodes(n):
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (x + 1), 0.5 * w          # on [0, 1]


def _real(value, name, unit, positive=False):
    """A finite real number, by name (:func:`kwant_noneq.checks.real_number`)."""
    return checks.real_number(name, value, unit=unit, positive=positive)

def _count(value, name):
    """A node count >= 2: one node cannot estimate its own error."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= 2 (Gauss-Legendre "
                        f"nodes), got {value!r}")
    if value < 2:
        raise ValueError(f"{name} must be >= 2 (Gauss-Legendre nodes; with 1 "
                         f"the error cannot be estimated), got {value}")
    return int(value)


_LAYER_METHODS = ("response", "pi_dynamic", "pi_static", "q_support",
                  "q_breakpoint", "edge_energy", "drude_conductivity")


def _check_layer(layer, name):
    missing = [m for m in _LAYER_METHODS if not callable(getattr(layer, m, None))]
    if missing or not hasattr(layer, "tau"):
        raise TypeError(f"{name} must be a layer object such as "
                        "kwant_noneq.analytic_drag.MassiveDiracLayer (it lacks "
                        f"{missing or ['tau']}), got {type(layer).__name__}")


def _drag_sums(active, passive, d, eps_r, T, n_q, n_tail, n_omega, n_k,
               screening):
    """``(sigma_D^xx, sigma_D^yx)`` (e^2/hbar) with the given node counts."""
    kT = KB * T
    q1 = min(active.q_breakpoint(T), passive.q_breakpoint(T))
    q2 = min(active.q_support(T), passive.q_support(T))
    t, wt = _nodes(n_q)
    q = [q1 * np.sin(0.5 * np.pi * t)]
    wq = [q1 * np.cos(0.5 * np.pi * t) * 0.5 * np.pi * wt]
    if q2 > q1:
        s, ws = _nodes(n_tail)
        q.append(q1 + (q2 - q1) * s ** 2)
        wq.append((q2 - q1) * 2 * s * ws)
    q, wq = np.concatenate(q), np.concatenate(wq)

    cut = THERMAL_WINDOW * kT
    edge = np.minimum(active.edge_energy(q, T), passive.edge_energy(q, T))
    top = np.minimum(edge, cut)
    sin_map = edge < cut
    x, wx = _nodes(n_omega)
    xs = np.where(sin_map[:, None], np.sin(0.5 * np.pi * x), x)
    jac = np.where(sin_map[:, None], np.cos(0.5 * np.pi * x) * 0.5 * np.pi, 1.0)
    omega = top[:, None] * xs
    womega = top[:, None] * jac * wx

    qq = np.broadcast_to(q[:, None], omega.shape)
    # Identical layers (the paper's M_a = M_p, n_a = n_p): compute once.
    same = active == passive
    ia, ga, ha = active.response(qq, omega, T, n_k=n_k)
    ip, gp, hp = (ia, ga, ha) if same else passive.response(qq, omega, T, n_k=n_k)
    if screening == "dynamic":
        pi_a = active.pi_dynamic(qq, omega, T)
        pi_p = pi_a if same else passive.pi_dynamic(qq, omega, T)
    else:
        pi_a = active.pi_static(q)[:, None] + 1j * ia
        pi_p = passive.pi_static(q)[:, None] + 1j * ip
    V = interlayer_potential(qq, pi_a, pi_p, d, eps_r)
    kernel = np.abs(V) ** 2 / np.sinh(omega / (2 * kT)) ** 2
    # Even integrand: 2 x int_0^inf d omega.
    weight = 2 * womega * (q * wq)[:, None] * kernel / (16 * kT)
    sxx = float((weight * active.tau * passive.tau * ga * gp).sum())
    syx = float((weight * active.tau * ga * hp).sum())
    return sxx, syx


#: Relative change under halving above which the halved rule is not trusted
#: as an error estimate and the doubled rule is used instead.
HALVING_TRUST = 1e-3


def _comparison_sums(active, passive, d, eps_r, T, screening, nodes, sxx, syx):
    """Drag sums of a second rule, to estimate the error of ``(sxx, syx)``.

    Why two rules: Gauss-Legendre errors fall geometrically with the node
    count, so the change under halving every count (1/8 of the cost)
    bounds the error of a converged rule from above.  For a coarse rule
    (a count of 2 or 3, or a change above ``HALVING_TRUST``) the halved rule
    may miss the integrand altogether and agree by accident; then the
    doubled rule is used, whose difference is the error of the coarse
    rule itself.
    """
    half = {k: (v + 1) // 2 for k, v in nodes.items()}
    if all(v >= 4 for v in nodes.values()):
        c = _drag_sums(active, passive, d, eps_r, T, screening=screening, **half)
        if (abs(sxx - c[0]) <= HALVING_TRUST * abs(sxx)
                and abs(syx - c[1]) <= HALVING_TRUST * abs(syx)):
            return c
    double = {k: 2 * v for k, v in nodes.items()}
    return _drag_sums(active, passive, d, eps_r, T, screening=screening, **double)


def drag_conductivity(active, passive, d, eps_r, T, n_q=96, n_tail=24,
                      n_omega=40, n_k=48, screening="dynamic", anomalous_hall="none"):
    """Longitudinal and anomalous Hall drag at temperature T (K).

    Parameters
    ----------
    active, passive : layer objects (e.g. ``MassiveDiracLayer``)
    d : float
        Layer separation (nm), > 0.
    eps_r : float
        Relative dielectric constant, > 0.
    T : float
        Temperature (K), > 0.
    n_q, n_tail, n_omega, n_k : int
        Gauss-Legendre nodes: q on [0, 2k_F], q on the thermal tail, omega,
        and the k integral inside each vertex.
    screening : {"dynamic", "static"}
        ``"dynamic"`` (default): ``Pi_l(q, omega; T)`` complex, intra- and
        interband, from ``layer.pi_dynamic``.  ``"static"``: ``Re Pi_l(q, 0;
        T=0) + i Im Pi_l(q, omega; T)`` (intraband Im from ``response``), the
        earlier approximation, kept for comparison.
    anomalous_hall : {"none", "intrinsic"} or (float, float)
        Anomalous Hall conductivities ``sigma_yx`` (e^2/hbar) of the active
        and passive layer in the 4x4 tensor that is inverted for rho:
        ``"none"`` (default, the paper's rho_D), ``"intrinsic"`` (Berry
        curvature of the Fermi sea, ``layer.intrinsic_hall_conductivity()``),
        or given values (e.g. including side jump and skew scattering).

    Returns
    -------
    DragResult
        With quadrature error estimates ``*_error``: the change when every
        node count is halved (rounded up), a conservative estimate for
        Gauss-Legendre rules, whose error falls geometrically with the
        node count (it costs ~1/8 of the main evaluation); for a coarse
        rule (change above ``HALVING_TRUST`` or a count below 4) the change
        when every count is doubled instead.

    Raises
    ------
    TypeError, ValueError
        Before any integral is evaluated, for strings where numbers belong,
        NaN or infinite values, non-positive d, eps_r or T,
        node counts below 2, and unknown ``screening`` / ``anomalous_hall``.
    """
    _check_layer(active, "active")
    _check_layer(passive, "passive")
    d = _real(d, "d", "nm", positive=True)
    eps_r = _real(eps_r, "eps_r", "dimensionless", positive=True)
    T = _real(T, "T", "K", positive=True)
    nodes = dict(n_q=_count(n_q, "n_q"), n_tail=_count(n_tail, "n_tail"),
                 n_omega=_count(n_omega, "n_omega"), n_k=_count(n_k, "n_k"))
    if screening not in ("dynamic", "static"):
        raise ValueError(f"screening must be 'dynamic' or 'static', got {screening!r}")
    hall = _layer_hall(active, passive, anomalous_hall)

    sxx, syx = _drag_sums(active, passive, d, eps_r, T, screening=screening,
                          **nodes)
    (sxx_c, syx_c) = _comparison_sums(active, passive, d, eps_r, T, screening,
                                      nodes, sxx, syx)
    err_xx, err_yx = abs(sxx - sxx_c), abs(syx - syx_c)
    sig_a, sig_p = active.drude_conductivity(), passive.drude_conductivity()
    norm = sig_a * sig_p
    # An undoped layer has no Drude conductivity: rho_D is undefined (nan),
    # the drag current sigma_D E_a is still meaningful.
    if not norm > 0:
        nan = float("nan")
        return DragResult(T=T, sigma_xx=sxx, sigma_yx=syx, rho_xx=nan,
                          rho_yx=nan, rho_xx_leading=nan, rho_yx_leading=nan,
                          sigma_xx_error=err_xx, sigma_yx_error=err_yx)
    rho = drag_resistivity(conductivity_tensor(sig_a, sig_p, hall[0], hall[1],
                                               sxx, syx))
    rho_h = drag_resistivity(conductivity_tensor(sig_a, sig_p, hall[0], hall[1],
                                                 sxx_c, syx_c))
    return DragResult(T=T, sigma_xx=sxx, sigma_yx=syx,
                      rho_xx=float(rho[0, 0]), rho_yx=float(rho[1, 0]),
                      rho_xx_leading=sxx / norm, rho_yx_leading=syx / norm,
                      hall_angles=(hall[0] / sig_a, hall[1] / sig_p),
                      sigma_xx_error=err_xx, sigma_yx_error=err_yx,
                      rho_xx_error=float(abs(rho[0, 0] - rho_h[0, 0])),
                      rho_yx_error=float(abs(rho[1, 0] - rho_h[1, 0])))


def _layer_hall(active, passive, anomalous_hall):
    if isinstance(anomalous_hall, str):
        if anomalous_hall == "none":
            return 0.0, 0.0
        if anomalous_hall == "intrinsic":
            return (active.intrinsic_hall_conductivity(),
                    passive.intrinsic_hall_conductivity())
        raise ValueError("anomalous_hall must be 'none', 'intrinsic' or a pair "
                         f"(sigma_yx_a, sigma_yx_p), got {anomalous_hall!r}")
    try:
        a, p = anomalous_hall
    except (TypeError, ValueError):
        raise TypeError("anomalous_hall must be 'none', 'intrinsic' or a pair of floats, "
                        f"got {anomalous_hall!r}") from None
    return (_real(a, "anomalous_hall[0]", "e^2/hbar"),
            _real(p, "anomalous_hall[1]", "e^2/hbar"))


def conductivity_tensor(sigma_a, sigma_p, hall_a, hall_p, drag_xx, drag_yx):
    """4x4 conductivity of the double layer (e^2/hbar).

    ``(j_a, j_p) = S (E_a, E_p)`` with components ordered
    ``(a x, a y, p x, p y)``:

        S = [[s_a, D_ap], [D_pa, s_p]],
        s_l = [[sigma_l, -hall_l], [hall_l, sigma_l]],
        D_pa = [[drag_xx, -drag_yx], [drag_yx, drag_xx]],   D_ap = D_pa.

    ``hall_l = sigma^yx_l`` (``j_y = hall E_x``); the drag block uses
    rotation invariance (``D^yy = D^xx``, ``D^xy = -D^yx``).  ``D_ap``
    follows from Onsager reciprocity ``D_ap^{ij}(M) = D_pa^{ji}(-M)`` with
    ``drag_xx`` even and ``drag_yx`` odd in the magnetisations (they enter
    ``rho_D`` only at second order in the drag).
    """
    s = np.zeros((4, 4))
    for i, (lon, hall) in enumerate(((sigma_a, hall_a), (sigma_p, hall_p))):
        s[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[lon, -hall], [hall, lon]]
    d = np.array([[drag_xx, -drag_yx], [drag_yx, drag_xx]])
    s[2:, :2] = d
    s[:2, 2:] = d
    return s


def drag_resistivity(sigma):
    """Drag resistivity ``rho_D = -(S^-1)_{pa}`` (2x2, hbar/e^2).

    With ``j_p = 0`` (open passive layer), ``E_p = (S^-1)_{pa} j_a``;
    ``rho_D = -E_p/j_a`` is positive for like carriers.  Expansion:
    ``rho_D = rho_p D_pa rho_a [1 + O(D^2 rho_a rho_p)]``, and with Hall
    angles ``theta_l = hall_l/sigma_l``
    ``rho_D^yx = [drag_yx - drag_xx (theta_a + theta_p) - theta_a theta_p drag_yx]
    / (sigma_a sigma_p (1 + theta_a^2)(1 + theta_p^2))``.
    """
    return -np.linalg.inv(sigma)[2:, :2]


def drag_vs_temperature(active, passive, d, eps_r, temperatures, **nodes):
    """:func:`drag_conductivity` on a list of temperatures (K); all of them
    are checked before the first is computed."""
    if isinstance(temperatures, (str, bytes)) or not np.iterable(temperatures):
        raise TypeError("temperatures must be a list of temperatures (K), got "
                        f"{temperatures!r}")
    temperatures = [_real(T, f"temperatures[{i}]", "K", positive=True)
                    for i, T in enumerate(temperatures)]
    return [drag_conductivity(active, passive, d, eps_r, T, **nodes)
            for T in temperatures]


def drag_convergence(active, passive, d, eps_r, T, **nodes):
    """Relative change of rho_xx and rho_yx when every node count doubles.

    Returns ``(result, refined, rel_xx, rel_yx)``.
    """
    base = dict(n_q=96, n_tail=24, n_omega=40, n_k=48)
    base.update(nodes)
    r1 = drag_conductivity(active, passive, d, eps_r, T, **base)
    r2 = drag_conductivity(active, passive, d, eps_r, T,
                           **{k: 2 * v for k, v in base.items()})
    rel = lambda a, b: abs(a - b) / abs(b) if b != 0 else abs(a - b)
    return r1, r2, rel(r1.rho_xx, r2.rho_xx), rel(r1.rho_yx, r2.rho_yx)
