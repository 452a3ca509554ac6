r"""Second-order (nonlinear) Hall conductivities of Bloch bands.

Responses of seed paper 001 (Tan, Matsyshyn, Vignale, Song, "Nonequilibrium
exchange nonlinear Hall effect"), for any 2D Bloch Hamiltonian with spin
operators, written as ``j^c = sigma^{c a b} E^a E^b`` (the tensor is not
symmetrised in a, b; only its a <-> b symmetric part is observable):

* BCD, Berry curvature dipole (Sodemann-Fu), :func:`bcd_conductivity`
* INH, intrinsic nonlinear Hall (BCP), :func:`inh_conductivity`
* ENH^(T), T-even exchange nonlinear Hall, Eq. (10), :func:`enh_t_conductivity`
* ENH^(PT), PT-even exchange nonlinear Hall, Eq. (9), :func:`enh_pt_conductivity`
* the nonequilibrium exchange field U_k^eta(E), Eq. (3), :func:`exchange_field`
* and the linear intrinsic anomalous Hall conductivity's Fermi-surface
  (Haldane) part, :func:`fermi_surface_anomalous_hall`, whose dependence on
  a drive-induced mass is the Berry-curvature *monopole* nonlinear Hall
  effect (docs/ti_surface_monopole.md)

Derivation (all from the anomalous current of the paper,
``j_H = -(e^2/hbar) sum_nk (E x Omega~) f_n`` with e > 0, so that the
relative signs of all four responses are consistent)
---------------------------------------------------------------------------
Insert Eq. (2) into Eq. (3).  The diagonal (Fermi-surface shift) part gives
``-V s^eta_nn (-(e tau/hbar) E^b d_b f_n)``; the interband part,
``sum_nm s^eta_nm r^b_mn (f_n - f_m)/(e_m - e_n) = -sum_n f_n S^{eta b}_n``
(relabel n <-> m in the f_m half), so::

    U_k^eta = e E^b sum_k'n V_{k'-k} [ (tau/hbar) s^eta_nn(k') d_b f_n(k')
                                       + f_n(k') S^{eta b}_n(k') ]     (3')

Eq. (8), with sum_k = int d^2k/(2pi)^2 per unit area, then splits into

    sigma_PT^{c a b} = (e^3/hbar) sum_{nk,n'k'} [d_c f_n S^{eta a}_n - (c<->a)]
                       V_{k'-k} S^{eta b}_{n'}(k') f_{n'}(k')          (9)
    sigma_T^{c a b}  = (e^3 tau/hbar^2) sum_{nk,n'k'} [d_c f_n S^{eta a}_n - (c<->a)]
                       V_{k'-k} s^eta_{n'n'}(k') d_b f_{n'}(k')         (10)

i.e. the factor printed ``s^{eta beta}_{n',k'}`` in Eq. (9) is the SBP
``S^{eta b}`` (a Fermi-sea sum over all occupied bands) and in Eq. (10) the
diagonal spin ``s^eta_{n'n'}`` (docs/architecture.md, section 6.6;
checked here).  ``d_b = d/dk_b``.  The same j_H with Omega~ = Omega +
curl(e E G) gives the paper's INH, and with f -> f - (e tau/hbar) E.grad f::

    sigma_BCD^{c a b} = (e^3 tau/hbar^2) eps^{c a} sum_nk Omega_n d_b f_n
    sigma_INH^{c a b} = (e^3/hbar) sum_nk [G^{b a}_n d_c f_n - G^{b c}_n d_a f_n]

``sigma_BCD`` equals (e^3 tau / hbar^2) z x E (D . E) with the Sodemann-Fu
dipole D_b = sum f d_b Omega.  Every response is antisymmetric in (c, a).

Interaction: a number V0 [eV nm^2] (contact), for which the k, k' sums
factorise into products of single sums, or a callable V(q) [eV nm^2] of
``|q|`` [1/nm], evaluated on all node pairs.  Several flavours (valleys) are
coupled either only within a flavour (``valley_exchange="intra"``) or all
with all (``"inter"``, the same V(k - k') with k measured from each
flavour's own origin).  For H_T with a contact interaction the "inter"
choice makes sigma_T vanish (each valley's factor is odd in xi); "intra"
reproduces the paper's Fig. 3 (docs/architecture.md, section 6.6).

Units: k [1/nm], energies [eV], tau [ps], V [eV nm^2], temperatures [K]
(``k_B T`` [eV] inside, :func:`kwant_noneq.occupation.thermal_energy`).
Conductivities are in [A nm / V^2] (2D sheet: j [A/nm] for E [V/nm];
multiply by 1e-9 for SI A m / V^2).
"""
import dataclasses

import numpy as np
from scipy.spatial.distance import cdist

from . import checks
from .constants import E2_OVER_HBAR, HBAR
from .geometry import band_geometry
from .kintegrate import ContinuumPolar, fermi_window_rule, thermal_average_pair
from .occupation import TEMPERATURE_KEYWORD, thermal_energy

__all__ = ["Flavour", "NonlinearHallResult", "ExchangeField",
           "bcd_conductivity", "inh_conductivity", "enh_t_conductivity",
           "enh_pt_conductivity", "exchange_field", "screened_interaction",
           "CONDUCTIVITY_UNITS", "exchange_factors",
           "AnomalousHallResult", "fermi_surface_anomalous_hall"]

CONDUCTIVITY_UNITS = "A nm / V^2"
EPS2D = np.array([[0.0, 1.0], [-1.0, 0.0]])


@dataclasses.dataclass
class Flavour:
    """One decoupled block of the band structure (e.g. a valley).

    Attributes
    ----------
    hamiltonian : kwant_noneq.bloch.BlochHamiltonian
        2D Bloch Hamiltonian (k [1/nm], energies [eV]).
    spin : array (nspin, n, n)
        Spin operators (Pauli matrices on the spin index; eta = 1, 2, 3).
    integrator : ContinuumPolar or LatticePockets
        k-space quadrature (kwant_noneq.kintegrate).
    degeneracy_tol : float
        Energies closer than this [eV] form one degenerate subspace.
    """

    hamiltonian: object
    spin: np.ndarray
    integrator: object
    degeneracy_tol: float = 1e-9
    # Node geometry of mu-independent quadrature nodes (lattice BZ grid),
    # reused across a mu sweep: it was ~half the time of a lattice ENH_PT
    # curve.  Keyed by resolution; validated by comparing k and band.
    _static_nodes: dict = dataclasses.field(default_factory=dict, init=False,
                                            repr=False, compare=False)
    # Refined integrators, kept so that their mu-independent caches survive.
    _refined: dict = dataclasses.field(default_factory=dict, init=False,
                                       repr=False, compare=False)

    def integrator_at(self, refine):
        """The integrator (refine = 1) or its ``refine``-fold refinement."""
        if refine == 1:
            return self.integrator
        if refine not in self._refined:
            self._refined[refine] = self.integrator.refined(refine)
        return self._refined[refine]


@dataclasses.dataclass
class NonlinearHallResult:
    """A second-order conductivity tensor.

    Attributes
    ----------
    sigma : ndarray (2, 2, 2)
        ``sigma[c, a, b]``, ``j^c = sigma^{cab} E^a E^b`` [A nm / V^2].
    convergence : float
        ``max|sigma(N) - sigma(2N)| / max|sigma(2N)|`` between the
        quadrature and its refinement (and thermal nodes at T > 0).
    mu : float
        Chemical potential [eV].
    temperature : float
        [K].
    response : str
    units : str
    """

    sigma: np.ndarray
    convergence: float
    mu: float
    temperature: float
    response: str
    units: str = CONDUCTIVITY_UNITS

    @property
    def kT(self):
        """``k_B T`` [eV] (:data:`kwant_noneq.constants.KB`)."""
        return thermal_energy(self.temperature)

    @property
    def hall(self):
        """``sigma^{xyy}``, ``sigma^{xyx}`` as a pair [A nm / V^2]."""
        return self.sigma[0, 1, 1], self.sigma[0, 1, 0]


@dataclasses.dataclass
class ExchangeField:
    """Nonequilibrium exchange field of Eq. (3): ``U^eta = sum_b u^{eta b} E^b``.

    Attributes
    ----------
    k : (M, 2) 1/nm
    tau_part : (M, nspin, 2)
        Fermi-surface (Drude, proportional to tau) coefficient [eV per V/nm].
    intrinsic_part : (M, nspin, 2)
        Interband (Fermi-sea SBP) coefficient [eV per V/nm].
    convergence : float
        Relative change (max over both parts) between the quadrature and
        its 2x refinement; the refined values are returned.
    """

    k: np.ndarray
    tau_part: np.ndarray
    intrinsic_part: np.ndarray
    convergence: float = float("nan")

    @property
    def total(self):
        return self.tau_part + self.intrinsic_part


def screened_interaction(V0, q_s):
    """``V(q) = V0 q_s / (q + q_s)`` [eV nm^2]: Thomas-Fermi screened Coulomb
    normalised so that V(0) = V0 (the paper's contact estimate
    V0 = e^2/(4 pi eps0 q_s) is its q -> 0 limit up to the 2 pi of the 2D
    Fourier transform, which is absorbed in V0)."""
    return lambda q: V0 * q_s / (np.asarray(q) + q_s)


# --------------------------------------------------------------------------
# Node data

def _nodes(flavour, quad):
    """Geometry of the quadrature's bands at its nodes.

    Nodes of different bands often share k (filled Kramers pairs): each
    distinct k is diagonalised once.  The first ``quad.static_count`` nodes
    (mu-independent grid) are taken from the flavour's cache when their k
    and bands match.
    """
    ns = getattr(quad, "static_count", 0)
    if ns:
        hit = flavour._static_nodes.get(ns)
        if (hit is None or hit[3] is not flavour.hamiltonian
                or hit[4] is not flavour.spin
                or not np.array_equal(hit[0], quad.k[:ns])
                or not np.array_equal(hit[1], quad.band[:ns])):
            hit = (quad.k[:ns].copy(), quad.band[:ns].copy(),
                   _node_geometry(flavour, quad.k[:ns], quad.band[:ns]),
                   flavour.hamiltonian, flavour.spin)
            if len(flavour._static_nodes) >= 4:     # bounded memory
                flavour._static_nodes.pop(next(iter(flavour._static_nodes)))
            flavour._static_nodes[ns] = hit
        rest = _node_geometry(flavour, quad.k[ns:], quad.band[ns:])
        return {name: np.concatenate([hit[2][name], rest[name]])
                for name in rest}
    return _node_geometry(flavour, quad.k, quad.band)


def _node_geometry(flavour, k, band):
    # Distinct k via a 1D complex view (sorting (M, 2) rows was ~10 % of a
    # lattice sweep).
    kc = k[:, 0] + 1j * k[:, 1]
    ukc, inv = np.unique(kc, return_inverse=True)
    inv = inv.reshape(-1)
    uk = np.stack([ukc.real, ukc.imag], -1)
    g = band_geometry(flavour.hamiltonian, uk, flavour.spin,
                      flavour.degeneracy_tol)

    def pick(q):
        q = q[inv]
        idx = band.reshape((-1,) + (1,) * (q.ndim - 1))
        return np.take_along_axis(q, idx, axis=-1)[..., 0]

    return dict(curvature=pick(g.berry_curvature), bcp=pick(g.bcp),
                sbp=pick(g.sbp), spin=pick(g.spin), velocity=pick(g.velocity))


def _surface(flavour, mu, refine):
    integ = flavour.integrator_at(refine)
    q = integ.fermi_surface(flavour.hamiltonian, mu)
    return q, _nodes(flavour, q)


def _sea(flavour, mu, refine):
    integ = flavour.integrator_at(refine)
    q = integ.fermi_sea(flavour.hamiltonian, mu)
    return q, _nodes(flavour, q)


def _df(q, g):
    """Weights of ``sum_k d_b f`` at FS nodes: d_b f = -delta(mu - e) d_b e."""
    return -q.weight[:, None] * g["velocity"]                  # (M, 2)


def _sbp_curl_factor(q, g):
    """a^{c a, eta}_i = w_i [d_c f S^{eta a} - d_a f S^{eta c}] (1/eV per node)."""
    df = _df(q, g)
    t = np.einsum("mc,mea->mcae", df, g["sbp"])
    return t - np.swapaxes(t, 1, 2)                              # (M, c, a, eta)


def _as_list(flavours):
    """The flavours as a checked list: every bad input is refused here,
    before any quadrature is built."""
    if isinstance(flavours, Flavour):
        flavours = [flavours]
    elif isinstance(flavours, (str, bytes)) or not np.iterable(flavours):
        raise TypeError("flavours must be a Flavour or a list of Flavour, got "
                        f"{type(flavours).__name__}")
    flavours = list(flavours)
    if not flavours:
        raise ValueError("flavours is empty: give at least one Flavour")
    for i, fl in enumerate(flavours):
        if not isinstance(fl, Flavour):
            raise TypeError(f"flavours[{i}] must be a Flavour, got "
                            f"{type(fl).__name__}")
        _check_flavour(fl, i)
    return flavours


def _check_flavour(fl, i):
    """Finite Hamiltonian and spin operators of matching size.  A NaN model
    parameter (delta, alpha, ...) otherwise gives sigma = 0 with
    convergence 0, or a LinAlgError deep inside the quadrature."""
    H = fl.hamiltonian
    norbs = getattr(H, "norbs", None)
    if norbs is None or not callable(H):
        raise TypeError(f"flavours[{i}].hamiltonian must be a BlochHamiltonian "
                        f"(kwant_noneq.bloch), got {type(H).__name__}")
    probe = np.array([[0.0, 0.0], [0.3, -0.2]])
    h = np.asarray(H(probe))
    if not np.all(np.isfinite(h)):
        raise ValueError(f"flavours[{i}].hamiltonian is not finite at k = "
                         f"{probe.tolist()} 1/nm: a model parameter (e.g. "
                         "delta, alpha, hbar_v) is NaN or infinite")
    spin = np.asarray(fl.spin)
    if spin.ndim != 3 or spin.shape[1:] != (norbs, norbs):
        raise ValueError(f"flavours[{i}].spin must have shape (nspin, {norbs}, "
                         f"{norbs}), got {spin.shape}")
    if not np.all(np.isfinite(spin)):
        raise ValueError(f"flavours[{i}].spin has non-finite entries")
    if not (np.isfinite(fl.degeneracy_tol) and fl.degeneracy_tol >= 0):
        raise ValueError(f"flavours[{i}].degeneracy_tol must be finite and "
                         f">= 0 [eV], got {fl.degeneracy_tol}")
    for name in ("fermi_surface", "fermi_sea", "refined", "check_domain"):
        if not callable(getattr(fl.integrator, name, None)):
            raise TypeError(f"flavours[{i}].integrator must be a k-space "
                            "quadrature (ContinuumPolar or LatticePockets), "
                            f"got {type(fl.integrator).__name__}")


def _real(value, name, unit, positive=False, nonnegative=False):
    """A finite real number, by name (:func:`kwant_noneq.checks.real_number`)."""
    return checks.real_number(name, value, unit=unit, positive=positive,
                              nonnegative=nonnegative)

def _check_interaction(interaction):
    """Contact V0 [eV nm^2] or a callable V(|q|) that is finite."""
    if callable(interaction):
        probe = np.array([[0.0, 0.5], [1.0, 5.0]])
        try:
            v = np.asarray(interaction(probe), dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError("interaction V(q) must map an array of |q| [1/nm] "
                            f"to a real array [eV nm^2]: {exc}") from None
        if v.shape != probe.shape or not np.all(np.isfinite(v)):
            raise ValueError("interaction V(q) must return a finite array of "
                             "the shape of q [eV nm^2]; at q = "
                             f"{probe.ravel().tolist()} 1/nm it gave {v!r}")
        return interaction
    return _real(interaction, "interaction", "eV nm^2")


#: Half-width (in kT) of the energy window of the thermal sums
#: (kintegrate.thermal_average_pair and fermi_window_rule defaults).
THERMAL_SPAN = 24.0


def _check_window(flavours, mu, kT):
    """Every Fermi surface the response will evaluate lies in its
    integrator's k-domain: at mu (T = 0) or at both ends of the thermal
    window mu +- THERMAL_SPAN kT (Fermi surfaces grow monotonically with
    |E| in the bands here; a Fermi-surface radius that is not monotonic
    is still caught at each energy by the integrator itself)."""
    energies = [mu] if kT == 0 else [mu - THERMAL_SPAN * kT, mu,
                                     mu + THERMAL_SPAN * kT]
    for i, fl in enumerate(flavours):
        for e in energies:
            try:
                fl.integrator.check_domain(fl.hamiltonian, e)
            except ValueError as exc:
                where = ("" if kT == 0 else
                         f" (an end of the thermal window mu +- "
                         f"{THERMAL_SPAN:g} kT = [{energies[0]:g}, "
                         f"{energies[-1]:g}] eV)")
                raise ValueError(f"flavours[{i}]: {exc}{where}") from None


def _temperature(temperature):
    """``(T [K], k_B T [eV])`` of a checked ``temperature``."""
    kT = thermal_energy(temperature)
    return float(temperature), kT


def _check_thermal(temperature, thermal_step, thermal_nodes):
    """``(T [K], k_B T [eV])``, and the thermal options checked."""
    temperature, kT = _temperature(temperature)
    _real(thermal_step, "thermal_step", "units of kT", positive=True)
    if isinstance(thermal_nodes, bool) or not isinstance(
            thermal_nodes, (int, np.integer)):
        raise TypeError(f"thermal_nodes must be an integer >= 1, got "
                        f"{thermal_nodes!r}")
    if thermal_nodes < 1:
        raise ValueError(f"thermal_nodes must be >= 1, got {thermal_nodes}")
    return temperature, kT


def _converged(compute, mu, temperature, response, thermal_step=1.0):
    """``compute(mu, refine)`` with an error estimate.

    T = 0: the quadrature and its refinement (``refine=2``), the refined
    value is returned.  T > 0: the thermal average with ``thermal_step`` and
    ``thermal_step/2`` (nested nodes) at the base resolution, plus the
    k-quadrature change at mu; the finer thermal value is returned.
    """
    if temperature <= 0:
        coarse, fine = compute(mu, 1), compute(mu, 2)
    else:
        coarse, fine = thermal_average_pair(lambda m: compute(m, 1), mu,
                                            temperature=temperature,
                                            step=thermal_step)
    scale = np.abs(fine).max()
    conv = float(np.abs(fine - coarse).max() / scale) if scale > 0 else 0.0
    if temperature > 0:
        k0, k1 = compute(mu, 1), compute(mu, 2)
        s0 = np.abs(k1).max()
        conv = max(conv, float(np.abs(k1 - k0).max() / s0) if s0 > 0 else 0.0)
    return NonlinearHallResult(fine, conv, mu, temperature, response)


# --------------------------------------------------------------------------
# Non-interacting responses

@checks.renamed_keywords(kT=TEMPERATURE_KEYWORD)
def bcd_conductivity(flavours, mu, tau, *, temperature=0.0):
    """Berry-curvature-dipole nonlinear Hall conductivity [A nm / V^2].

    ``sigma^{cab} = (e^3 tau/hbar^2) eps^{ca} sum_nk Omega_n d_b f_n``
    (Sodemann & Fu, PRL 115, 216806; the paper's sigma_BCD, with the sign
    fixed by the paper's j_H so that it can be compared with Eq. (10)).

    Parameters
    ----------
    flavours : Flavour or list of Flavour
    mu : float
        Chemical potential [eV].
    tau : float
        Relaxation time [ps], ``> 0``.
    temperature : float
        [K], ``>= 0`` (keyword only).

    Returns
    -------
    NonlinearHallResult

    Raises
    ------
    TypeError, ValueError
        For a non-numeric or non-finite mu, tau or temperature, a negative
        temperature, a non-finite Hamiltonian, or a Fermi surface that
        leaves the integrator's k-domain (the message names the k_max
        needed); ``TypeError`` for the old keyword ``kT=`` [eV].
    """
    flavours = _as_list(flavours)
    mu = _real(mu, "mu", "eV")
    tau = _real(tau, "tau", "ps", positive=True)
    temperature, kT = _temperature(temperature)
    _check_window(flavours, mu, kT)

    def compute(m, refine):
        dip = np.zeros(2)
        for fl in flavours:
            q, g = _surface(fl, m, refine)
            dip += np.einsum("mb,m->b", _df(q, g), g["curvature"][:, 0, 1])
        return E2_OVER_HBAR * (tau / HBAR) * np.einsum("ca,b->cab", EPS2D, dip)

    return _converged(compute, mu, temperature, "BCD")


@checks.renamed_keywords(kT=TEMPERATURE_KEYWORD)
def inh_conductivity(flavours, mu, *, temperature=0.0):
    """Intrinsic (BCP) nonlinear Hall conductivity [A nm / V^2].

    ``sigma^{cab} = (e^3/hbar) sum_nk [G^{ba}_n d_c f_n - G^{bc}_n d_a f_n]``
    (Gao, Yang, Niu PRL 112, 166601; as written in the paper).
    Parameters and errors as :func:`bcd_conductivity` (without tau).
    """
    flavours = _as_list(flavours)
    mu = _real(mu, "mu", "eV")
    temperature, kT = _temperature(temperature)
    _check_window(flavours, mu, kT)

    def compute(m, refine):
        out = np.zeros((2, 2, 2))
        for fl in flavours:
            q, g = _surface(fl, m, refine)
            t = np.einsum("mc,mba->cab", _df(q, g), g["bcp"])
            out += t - np.swapaxes(t, 0, 1)
        return E2_OVER_HBAR * out

    return _converged(compute, mu, temperature, "INH")


# --------------------------------------------------------------------------
# Exchange responses

def _check_valley_exchange(valley_exchange):
    if valley_exchange not in ("intra", "inter"):
        raise ValueError("valley_exchange must be 'intra' or 'inter', got "
                         f"{valley_exchange!r}")


def _flavour_pairs(n, valley_exchange):
    _check_valley_exchange(valley_exchange)
    if valley_exchange == "intra":
        return [(i, i) for i in range(n)]
    return [(i, j) for i in range(n) for j in range(n)]


def _contract(A, ka, V, B, kb, max_pairs=2_000_000):
    """``sum_ij A_i^{c a eta} V(|ka_i - kb_j|) B_j^{eta b}`` for a callable V.

    Rows are processed in blocks of ``max_pairs`` node pairs, so memory
    stays bounded for large Fermi seas; ``V`` is evaluated once per pair
    and applied to all (eta, b) columns by one matrix product.
    """
    out = np.zeros((2, 2, 2))
    if not len(A) or not len(B):
        return out
    nspin = B.shape[1]
    Bf = B.reshape(len(B), -1)
    rows = max(1, int(max_pairs // len(B)))
    for s in range(0, len(A), rows):
        blk = slice(s, s + rows)
        q = cdist(ka[blk], kb)          # 8x faster than broadcast hypot
        phi = (np.asarray(V(q)) @ Bf).reshape(-1, nspin, 2)
        out += np.einsum("mcae,meb->cab", A[blk], phi)
    return out


def _pair_sum(a_list, c_list, V, k_a, k_c, valley_exchange):
    """sum_eta sum_{flavours} a^{c a eta}_i V_ij c^{eta b}_j."""
    out = np.zeros((2, 2, 2))
    for i, j in _flavour_pairs(len(a_list), valley_exchange):
        if callable(V):
            out += _contract(a_list[i], k_a[i], V, c_list[j], k_c[j])
        else:
            out += float(V) * np.einsum("cae,eb->cab", a_list[i].sum(0),
                                        c_list[j].sum(0))
    return out


@checks.renamed_keywords(kT=TEMPERATURE_KEYWORD)
def enh_t_conductivity(flavours, mu, tau, interaction, valley_exchange="intra",
                       *, temperature=0.0, thermal_step=1.0, thermal_nodes=4):
    """T-even exchange nonlinear Hall conductivity, Eq. (10) [A nm / V^2].

    ``sigma^{cab} = (e^3 tau/hbar^2) sum [d_c f_n S^{eta a}_n - (c<->a)](k)
    V_{k'-k} s^eta_{n'n'}(k') d_b f_{n'}(k')``: a Fermi-surface x
    Fermi-surface double sum (derivation in the module docstring).

    Parameters
    ----------
    flavours : Flavour or list of Flavour
    mu : float
        Chemical potential [eV].
    tau : float
        Relaxation time [ps], ``> 0``.
    interaction : float or callable
        Contact V0 [eV nm^2] or ``V(|q|)`` [eV nm^2], ``q`` [1/nm].
    valley_exchange : {"intra", "inter"}
    temperature : float
        [K], ``>= 0`` (keyword only, as the options after it).
    thermal_step : float
        Contact interaction at T > 0: trapezoid step (in units of kT) of
        the thermal average (halved for the convergence estimate).
    thermal_nodes : int
        Callable interaction at T > 0: Gauss-Legendre nodes per panel of
        :func:`kwant_noneq.kintegrate.fermi_window_rule` (doubled for the
        convergence estimate, so the estimate is the error of 4 nodes,
        ~1e-5 for smooth integrands, and the returned 8-node value is
        better; 40 + 80 surfaces per flavour).

    Notes
    -----
    At T > 0 with a callable V(q) both Fermi-surface factors are weighted
    by -f': sigma(T) = int dE1 dE2 (-f'(E1)) (-f'(E2)) Sigma_0(E1, E2), with
    Sigma_0 the T = 0 pair sum between the surfaces at E1 and E2, coupled by
    ``V(|k - k'|)`` (it no longer factorises).
    Bad inputs raise as in :func:`bcd_conductivity`.
    """
    flavours = _as_list(flavours)
    _check_valley_exchange(valley_exchange)
    mu = _real(mu, "mu", "eV")
    tau = _real(tau, "tau", "ps", positive=True)
    interaction = _check_interaction(interaction)
    temperature, kT = _check_thermal(temperature, thermal_step, thermal_nodes)
    _check_window(flavours, mu, kT)

    def compute(m, refine):
        a_list, c_list, ks = [], [], []
        for fl in flavours:
            q, g = _surface(fl, m, refine)
            a_list.append(_sbp_curl_factor(q, g))
            c_list.append(np.einsum("me,mb->meb", g["spin"], _df(q, g)))
            ks.append(q.k)
        return (E2_OVER_HBAR * (tau / HBAR)
                * _pair_sum(a_list, c_list, interaction, ks, ks, valley_exchange))

    if kT > 0 and callable(interaction):
        return _thermal_screened(flavours, mu, temperature, "ENH_T", tau,
                                 interaction, valley_exchange, thermal_nodes,
                                 compute)
    if kT > 0:
        return _thermal_factorised(flavours, mu, temperature, "ENH_T", tau,
                                   interaction, valley_exchange, thermal_step)
    return _converged(compute, mu, temperature, "ENH_T")


@checks.renamed_keywords(kT=TEMPERATURE_KEYWORD)
def enh_pt_conductivity(flavours, mu, interaction, valley_exchange="intra",
                        *, temperature=0.0, thermal_step=1.0, thermal_nodes=4):
    """PT-even exchange nonlinear Hall conductivity, Eq. (9) [A nm / V^2].

    ``sigma^{cab} = (e^3/hbar) sum [d_c f_n S^{eta a}_n - (c<->a)](k)
    V_{k'-k} S^{eta b}_{n'}(k') f_{n'}(k')``: Fermi surface x Fermi sea
    (all occupied bands; symmetric cut-off in the continuum).

    Parameters as :func:`enh_t_conductivity` (without tau).  At T > 0 the
    Fermi-sea factor carries Fermi occupations f(E): with a callable V(q)
    it is the T = 0 sea at mu plus a thermal shell ``int dE (f(E) -
    theta(mu - E)) FS_E`` (:func:`_thermal_screened`), coupled pair by pair
    to the -f' weighted Fermi surfaces.
    """
    flavours = _as_list(flavours)
    _check_valley_exchange(valley_exchange)
    mu = _real(mu, "mu", "eV")
    interaction = _check_interaction(interaction)
    temperature, kT = _check_thermal(temperature, thermal_step, thermal_nodes)
    _check_window(flavours, mu, kT)

    def compute(m, refine):
        a_list, b_list, ka, kb = [], [], [], []
        for fl in flavours:
            q, g = _surface(fl, m, refine)
            a_list.append(_sbp_curl_factor(q, g))
            ka.append(q.k)
            s, gs = _sea(fl, m, refine)
            b_list.append(s.weight[:, None, None] * gs["sbp"])
            kb.append(s.k)
        return E2_OVER_HBAR * _pair_sum(a_list, b_list, interaction, ka, kb,
                                        valley_exchange)

    if kT > 0 and callable(interaction):
        return _thermal_screened(flavours, mu, temperature, "ENH_PT", None,
                                 interaction, valley_exchange, thermal_nodes,
                                 compute)
    if kT > 0:
        return _thermal_factorised(flavours, mu, temperature, "ENH_PT", None,
                                   interaction, valley_exchange, thermal_step)
    return _converged(compute, mu, temperature, "ENH_PT")


def exchange_factors(flavours, m, refine, response):
    """The two factors of the contact-interaction exchange response at T = 0.

    With a contact interaction ``V0`` the double sums of Eqs. (9)-(10)
    factorise: ``sigma^{cab} ~ V0 sum_eta a^{ca, eta} c^{eta b}``.

    Parameters
    ----------
    flavours : sequence of Flavour
        The flavours (valleys) of the model.
    m : float
        Chemical potential [eV].
    refine : int
        Quadrature refinement (1: default nodes, 2: doubled).
    response : {"ENH_T", "ENH_PT"}
        Which response: ``c`` is the Fermi-surface spin factor
        ``sum s^eta d_b f`` (ENH_T) or the Fermi-sea SBP ``sum S^{eta b} f``
        (ENH_PT).

    Returns
    -------
    ndarray, shape (n_flavours, 6 nspin)
        Per flavour the Fermi-surface factor ``a^{ca, eta}`` (2 x 2 x nspin,
        nm/eV) followed by ``c^{eta b}`` (nspin x 2), raveled.
    """
    out = []
    for fl in flavours:
        q, g = _surface(fl, m, refine)
        a = _sbp_curl_factor(q, g).sum(0)
        if response == "ENH_T":
            c = np.einsum("me,mb->eb", g["spin"], _df(q, g))
        else:
            s, gs = _sea(fl, m, refine)
            c = np.einsum("m,meb->eb", s.weight, gs["sbp"])
        out.append(np.concatenate([a.ravel(), c.ravel()]))
    return np.array(out)


def _thermal_factorised(flavours, mu, temperature, response, tau, V0,
                        valley_exchange, step=1.0):
    """Contact interaction at T > 0: both factors are linear in f, so each
    is thermally averaged on its own before the product is taken."""
    def product(fac):
        nspin = fac.shape[1] // 6          # 4 nspin entries of a, 2 nspin of c
        a = fac[:, :4 * nspin].reshape(-1, 2, 2, nspin)
        c = fac[:, 4 * nspin:].reshape(-1, nspin, 2)
        if valley_exchange == "intra":
            s = np.einsum("fcae,feb->cab", a, c)
        elif valley_exchange == "inter":
            s = np.einsum("cae,eb->cab", a.sum(0), c.sum(0))
        else:
            raise ValueError(f"valley_exchange {valley_exchange!r}")
        pref = E2_OVER_HBAR * (tau / HBAR if response == "ENH_T" else 1.0)
        return pref * float(V0) * s

    coarse, fine = thermal_average_pair(
        lambda m: exchange_factors(flavours, m, 1, response), mu,
        temperature=temperature, step=step)
    coarse, fine = product(coarse), product(fine)
    scale = np.abs(fine).max()
    conv = float(np.abs(fine - coarse).max() / scale) if scale > 0 else 0.0
    k0 = product(exchange_factors(flavours, mu, 1, response))
    k1 = product(exchange_factors(flavours, mu, 2, response))
    s0 = np.abs(k1).max()
    conv = max(conv, float(np.abs(k1 - k0).max() / s0) if s0 > 0 else 0.0)
    return NonlinearHallResult(fine, conv, mu, temperature, response)


def _thermal_screened(flavours, mu, temperature, response, tau, V,
                      valley_exchange, nodes_per_panel, compute):
    """ENH at T > 0 for a callable V(q): double energy average, pair by pair.

    Exact rewriting of the thermal sums in terms of T = 0 rules (x = (E -
    mu)/kT, rule of :func:`kwant_noneq.kintegrate.fermi_window_rule`):

    * Fermi-surface factor: ``sum_k (-f') a(k) = int dE (-f'(E)) FS_E(a)``
      -> surfaces at mu + kT x_i with weights ``derivative_weight_i``;
    * ENH_T: the second factor is another -f' weighted surface (same nodes);
      ENH_PT: ``sum_k f S = Sea_mu(S) + int dE (f - theta(mu - E)) FS_E(S)``
      -> the T = 0 sea at mu plus the same surfaces with weights
      ``kT occupation_weight_i``.

    All weighted nodes of all energies are stacked and contracted with
    V(|k - k'|) at once (:func:`_contract`), so sigma(T) couples every pair
    of energies (E1, E2).  Convergence: the rule with ``nodes_per_panel``
    and ``2 nodes_per_panel`` (the finer value is returned), and the
    k-quadrature and its refinement at T = 0 (``compute(mu, refine)``).
    """
    kT = thermal_energy(temperature)
    def stacked(rule):
        a_list, ka, b_list, kb = [], [], [], []
        for fl in flavours:
            A, KA, B, KB = [], [], [], []
            for x, dw, ow in zip(rule.x, rule.derivative_weight,
                                 rule.occupation_weight):
                q, g = _surface(fl, mu + kT * x, 1)
                if not len(q):
                    continue
                A.append(dw * _sbp_curl_factor(q, g))
                KA.append(q.k)
                if response == "ENH_T":
                    B.append(dw * np.einsum("me,mb->meb", g["spin"], _df(q, g)))
                else:
                    B.append(kT * ow * q.weight[:, None, None] * g["sbp"])
                KB.append(q.k)
            if response == "ENH_PT":
                s, gs = _sea(fl, mu, 1)
                B.append(s.weight[:, None, None] * gs["sbp"])
                KB.append(s.k)
            nspin = fl.spin.shape[0]
            cat = lambda xs, shape: (np.concatenate(xs) if xs
                                     else np.zeros((0,) + shape))
            a_list.append(cat(A, (2, 2, nspin)))
            ka.append(cat(KA, (2,)))
            b_list.append(cat(B, (nspin, 2)))
            kb.append(cat(KB, (2,)))
        pref = E2_OVER_HBAR * (tau / HBAR if response == "ENH_T" else 1.0)
        return pref * _pair_sum(a_list, b_list, V, ka, kb, valley_exchange)

    coarse = stacked(fermi_window_rule(nodes_per_panel))
    fine = stacked(fermi_window_rule(2 * nodes_per_panel))
    scale = np.abs(fine).max()
    conv = float(np.abs(fine - coarse).max() / scale) if scale > 0 else 0.0
    k0, k1 = compute(mu, 1), compute(mu, 2)
    s0 = np.abs(k1).max()
    conv = max(conv, float(np.abs(k1 - k0).max() / s0) if s0 > 0 else 0.0)
    return NonlinearHallResult(fine, conv, mu, temperature, response)


def _sources(flavours, flavour_index, valley_exchange):
    """The flavours whose electrons source the exchange field felt by
    ``flavours[flavour_index]``: itself ("intra") or all ("inter")."""
    return ([flavours[flavour_index]] if valley_exchange == "intra"
            else list(flavours))


def exchange_field(flavours, mu, tau, interaction, k=None, flavour_index=0,
                   valley_exchange="intra"):
    """Nonequilibrium exchange field ``U_k^eta(E)`` of Eq. (3) at T = 0.

    ``U^eta_k = e E^b sum_k'n V_{k'-k} [(tau/hbar) s^eta_nn d_b f_n +
    f_n S^{eta b}_n](k')`` (Eq. 3 with Eq. 2 inserted, module docstring).

    Parameters
    ----------
    k : (M, 2) array, optional
        Where to evaluate [1/nm]; default: the (refined) Fermi-surface
        nodes of ``flavours[flavour_index]``.
    flavour_index : int
        The flavour whose electrons feel U (relevant for "intra").

    Returns
    -------
    ExchangeField
        ``U^eta = sum_b (tau_part + intrinsic_part)[..., eta, b] E^b`` [eV]
        for E [V/nm].
    """
    flavours = _as_list(flavours)
    _check_valley_exchange(valley_exchange)
    mu = _real(mu, "mu", "eV")
    tau = _real(tau, "tau", "ps", positive=True)
    interaction = _check_interaction(interaction)
    if (isinstance(flavour_index, bool)
            or not isinstance(flavour_index, (int, np.integer))
            or not 0 <= flavour_index < len(flavours)):
        raise ValueError(f"flavour_index must be an integer in [0, "
                         f"{len(flavours)}), got {flavour_index!r}")
    if k is not None:
        try:
            k = np.atleast_2d(np.asarray(k, dtype=float))
        except (TypeError, ValueError):
            raise TypeError(f"k must be an array of points (M, 2) [1/nm], got "
                            f"{k!r}") from None
        if k.ndim != 2 or k.shape[1] != 2 or not np.all(np.isfinite(k)):
            raise ValueError("k must be finite points of shape (M, 2) [1/nm], "
                             f"got shape {k.shape}")
    _check_window(_sources(flavours, flavour_index, valley_exchange), mu, 0.0)
    if k is None:
        k = flavours[flavour_index].integrator_at(2).fermi_surface(
            flavours[flavour_index].hamiltonian, mu).k
    k = np.atleast_2d(np.asarray(k, dtype=float))
    sources = _sources(flavours, flavour_index, valley_exchange)

    def compute(refine):
        tau_part = np.zeros((len(k), flavours[0].spin.shape[0], 2))
        intr = np.zeros_like(tau_part)
        for fl in sources:
            q, g = _surface(fl, mu, refine)
            c = np.einsum("me,mb->meb", g["spin"], _df(q, g)) * (tau / HBAR)
            s, gs = _sea(fl, mu, refine)
            b = s.weight[:, None, None] * gs["sbp"]
            if callable(interaction):
                for part, nodes, w in ((tau_part, q.k, c), (intr, s.k, b)):
                    if len(nodes):
                        part += np.einsum("mn,neb->meb",
                                          interaction(cdist(k, nodes)), w)
            else:
                tau_part += interaction * c.sum(0)
                intr += interaction * b.sum(0)
        return tau_part, intr

    (t1, i1), (t2, i2) = compute(1), compute(2)
    scale = max(np.abs(t2).max(), np.abs(i2).max())
    conv = (float(max(np.abs(t2 - t1).max(), np.abs(i2 - i1).max()) / scale)
            if scale > 0 else 0.0)
    return ExchangeField(k, t2, i2, conv)


# --------------------------------------------------------------------------
# Linear intrinsic anomalous Hall: the Fermi-surface (Haldane) part

@dataclasses.dataclass(frozen=True)
class AnomalousHallResult:
    """Change of the intrinsic anomalous Hall conductivity between two
    chemical potentials (:func:`fermi_surface_anomalous_hall`).

    Attributes
    ----------
    sigma_xy : float
        ``sigma_xy(mu) - sigma_xy(mu_reference)`` [e^2/h], with
        ``j_x = sigma_xy E_y`` and ``sigma_yx = -sigma_xy``.
    berry_flux : float
        ``sum_n int d^2k/(2 pi)^2 [f_n(mu) - f_n(mu_reference)] Omega_n``
        (dimensionless; ``sigma_xy = -2 pi berry_flux`` in e^2/h).
    convergence : float
        ``|sigma(N) - sigma(2N)|`` [e^2/h] between the quadrature and its
        2x refinement (absolute: the result may vanish).
    mu, mu_reference : float
        The two chemical potentials [eV].
    """

    sigma_xy: float
    berry_flux: float
    convergence: float
    mu: float
    mu_reference: float

    @property
    def sigma_xy_si(self):
        """``sigma_xy`` in A/V (siemens): times e^2/h = 3.87e-5 A/V."""
        return self.sigma_xy * E2_OVER_HBAR / (2 * np.pi)


#: Radial samples (geometric, k_max to 2 k_max) on which the shell between
#: mu_reference and mu must be empty: it has to be a pocket inside the disc.
_RIM_SAMPLES = 17


def fermi_surface_anomalous_hall(hamiltonian, mu, mu_reference, integrator,
                                 degeneracy_tol=1e-9):
    r"""Fermi-surface part of the intrinsic anomalous Hall conductivity.

    ``sigma_xy(mu) - sigma_xy(mu_reference) = -(e^2/hbar) sum_n int
    d^2k/(2pi)^2 [f_n(mu) - f_n(mu_reference)] Omega_n(k)`` at T = 0 [e^2/h],
    the Berry curvature ``Omega_n = Omega^xy_n`` of
    :func:`kwant_noneq.geometry.band_geometry` and the anomalous current
    ``j_H = -(e^2/hbar) sum (E x Omega) f`` of this module (e > 0), so that
    ``j_x = sigma_xy E_y``.  With ``mu_reference`` in a gap and ``mu`` in the
    band above it, only the occupied part of that band (a pocket around the
    band minimum) enters: this is the part of the anomalous Hall effect that
    a model defines without reference to its filled bands (Haldane, PRL 93,
    206602 (2004): a Fermi-surface Berry phase), well defined also for a
    surface model whose lower band is not a clean Dirac sea.  For a massive
    Dirac cone ``d = (-v q_y, v q_x, m)`` with ``mu > |m|`` it is
    ``(1/2)(sgn m - m/mu)`` e^2/h (docs/ti_surface_monopole.md).

    Parameters
    ----------
    hamiltonian : kwant_noneq.bloch.BlochHamiltonian
        2D Bloch Hamiltonian (k [1/nm], energies [eV]).
    mu, mu_reference : float
        Chemical potentials [eV]; ``mu_reference`` is typically in the gap.
    integrator : kwant_noneq.kintegrate.ContinuumPolar
        Polar quadrature centred on the band minimum (the Dirac point),
        whose disc ``|k - center| < k_max`` holds every state between the
        two chemical potentials.  The Berry curvature of a massive Dirac
        cone has the width ``|m|/v`` around the centre: choose ``n_graded``
        so that ``k_max / 2^n_graded`` is below it.
    degeneracy_tol : float
        Energies closer than this [eV] form one degenerate subspace
        (:func:`kwant_noneq.geometry.band_geometry`), whose curvature is
        averaged: it must be below the gap ``2|m|`` (a current-induced mass
        can be 1e-12 eV; 0 for a two-band model that is gapped everywhere).

    Returns
    -------
    AnomalousHallResult
        The refined value, with the change under a 2x refinement.

    Raises
    ------
    TypeError, ValueError
        For a non-numeric or non-finite mu or mu_reference [eV] or a
        negative degeneracy_tol [eV], a
        Hamiltonian that is not a finite 2D BlochHamiltonian, an integrator
        that is not a ContinuumPolar, or states between the two chemical
        potentials on the rim ``k_max <= |k - center| <= 2 k_max`` (the
        message names k_max): all before any quadrature is built.
    """
    mu = _real(mu, "mu", "eV")
    mu_reference = _real(mu_reference, "mu_reference", "eV")
    degeneracy_tol = _real(degeneracy_tol, "degeneracy_tol", "eV",
                           nonnegative=True)
    if not isinstance(integrator, ContinuumPolar):
        raise TypeError("integrator must be a kwant_noneq.kintegrate."
                        "ContinuumPolar centred on the band minimum, got "
                        f"{type(integrator).__name__}")
    size = getattr(hamiltonian, "size", None)
    if getattr(hamiltonian, "dim", None) != 2 or size is None:
        raise TypeError("hamiltonian must be a 2D BlochHamiltonian "
                        "(kwant_noneq.bloch), got "
                        f"{type(hamiltonian).__name__}")
    probe = integrator.center + np.array([[0.0, 0.0], [0.3, -0.2]])
    if not np.all(np.isfinite(hamiltonian(probe))):
        raise ValueError(f"hamiltonian is not finite at k = {probe.tolist()} "
                         "1/nm: a model parameter is NaN or infinite")
    no_spin = np.zeros((0, size, size))
    lo, hi = sorted((mu, mu_reference))
    sign = 1.0 if mu >= mu_reference else -1.0

    # The shell lo < e < hi must be a pocket inside the disc: no state of it
    # on the rim (otherwise the disc would cut it, silently).
    angles = 2 * np.pi * (np.arange(integrator.n_angles) + 0.5) / integrator.n_angles
    r = integrator.k_max * 2.0 ** np.linspace(0.0, 1.0, _RIM_SAMPLES)
    dirs = np.stack([np.cos(angles), np.sin(angles)], -1)
    rim = integrator.center + r[None, :, None] * dirs[:, None, :]
    e = np.linalg.eigvalsh(hamiltonian(rim))
    inside = (e > lo) & (e < hi)
    if np.any(inside):
        where = rim[np.nonzero(inside)[:2]][0]
        raise ValueError(
            f"states between mu_reference = {mu_reference:g} eV and mu = "
            f"{mu:g} eV reach k = {where.tolist()} 1/nm, on the rim of the "
            f"integrator's disc (k_max = {integrator.k_max:g} 1/nm around "
            f"{integrator.center.tolist()}): centre the disc on the pocket "
            "and enlarge k_max")

    def flux(integ, energy):
        q = integ.fermi_sea(hamiltonian, energy, tail=False)
        if not len(q):
            return 0.0
        g = _node_geometry(Flavour(hamiltonian, no_spin, integ,
                                   degeneracy_tol), q.k, q.band)
        return float(np.dot(q.weight, g["curvature"][:, 0, 1]))

    def compute(integ):
        return sign * (flux(integ, hi) - flux(integ, lo))

    coarse = compute(integrator)
    fine_flux = compute(integrator.refined(2))
    to_sigma = -2 * np.pi
    return AnomalousHallResult(
        sigma_xy=to_sigma * fine_flux, berry_flux=fine_flux,
        convergence=abs(to_sigma * (fine_flux - coarse)), mu=mu,
        mu_reference=mu_reference)
