"""Homogeneous current-carrying 3D-TI surface (section of the ti_surface case):
the lattice surface model in k space (kwant_noneq.driven) against the closed
forms of kwant_noneq.analytic_surface (Balram et al., PRL 123, 246803
(2019), Eq. (10)-(11) and the paragraph after them).

Lattice: the top surface of the slab of :mod:`kwant_noneq.systems.ti_slab`
with ``D1 = D2 = 0`` (then exactly ``C + d(k).sigma``,
``ti_slab.surface_hamiltonian``, equal to the N = 20 slab's surface bands to
1e-10, tests/test_driven.py), ``v = A2 = 0.41 eV nm``, ``lambda = R = 0.128
eV nm^3``, ``a = 0.5 nm``, ``mu = 0.05 eV`` above the Dirac point
(``k_F = 0.122 /nm``), contact interaction ``g = 1 eV nm^2``
(``g k_F / v = 0.30``).  The current runs along x (the Kwant x axis), at
``theta`` from the crystal axis.

Expansion parameters behind the tolerances (each tolerance is twice the
sum of the estimates that apply, as in the helical_gap case; the quadrature
itself is exact to ~1e-11 relative, tests/test_driven.py):

* ``p = lambda k_F^2 / v = 4.6e-3``: the closed forms are first order in
  lambda; the next term is relative ``C p^2``.  Ballistic window: the
  contour shrinks, ``k = k0 (1 - p^2 c^2 / 2)`` (``c = cos 3phi_c``), the
  Jacobian is ``1 / (1 + 3 p^2 c^2)`` and the texture's normalisation
  ``1 - p^2 c^2 / 2``: ``C = 7/2`` for the in-plane spin (its end-point
  value vanishes), ``9/2`` for ``s_z`` plus as much again for the ``O(p^2)``
  shift of the arc end points (``v`` no longer radial): ``C = 9``.
  Boltzmann: the ``k^8`` terms of the next order carry a third-order RTA
  weight (``d_z^3`` of ``z^(11/2) zbar^(5/2)``, integrated) ``(11 9 7 /
  5 3 1) / 7 = 6.6`` times that of the leading ``k^2 cos 3phi``: ``C =
  6.6`` (the in-plane first order: ``p^2 / 4``, analytic_surface);
* ``(k_F a)^2 = 3.7e-3``: the square lattice.  Derived here for the first
  order Boltzmann in-plane spin, ``(k_F a)^2 / 8`` (on the contour
  ``sin^2 kx a + sin^2 ky a = (k_F a)^2`` the spin is exactly the contour's
  angle, and ``dk_y = k_F cos(alpha) dalpha / sqrt(1 - (k_F a)^2 sin^2
  alpha)``), for the ballistic one ``(k_F a)^2 / 2`` (the Jacobian
  ``1 / sqrt((1 - sin^2 kx a)(1 - sin^2 ky a))``), and for the first order
  ``s_z`` the C4 artefact ``s_z^(1) / (p |s_inplane|) = -(k_F a)^2 cos(3
  theta) / 16`` (``ti_slab.c4_first_order_sz``);
* ``dmu / mu``: the window integral of ``E^3 dE`` (``s_z``) has relative
  ``(dmu / mu)^2 / 4``;
* self-consistency: the Dirac point moves to ``k* = (g / v) s x z`` while
  the warping stays at k = 0, which adds ``(3 / 20 pi) g k_F / v`` to the
  RTA's ``s_z^(3)`` (``Re (p + k*)^3`` cross term picked by ``f_2``); in the
  ballistic window the mass ``h_z`` feeds back as ``s_z -> s_z (1 - g dmu /
  (8 pi v^2))``.  (The equilibrium sea's response to the field, a Stoner
  factor ``-g k_F / (4 pi v)``, is not part of the current-induced spin of
  kwant_noneq.driven, as in the real-space engine's bias-window density;
  docs/ti_surface.md counts it for the upper band, whence its ``-(1/10 pi)
  g k_F / v`` for the RTA where this engine has ``+(3/20 pi) g k_F / v``:
  the same order, a different convention.)
"""
import math
import warnings

import numpy as np

from kwant_noneq import analytic_surface as an
from kwant_noneq import driven
from kwant_noneq.pauli import PAULI
from kwant_noneq.systems import ti_slab
from validation.plotting import axis_label, plain_log_ticks, save, scaled_ticks
from validation.records import compare

CASE = "ti_surface"
SIGMA = PAULI[1:]
A = 0.5                      # lattice constant [nm]
V, LAM = 0.41, 0.128         # A2 [eV nm], R [eV nm^3]
MU = 0.05                    # above the Dirac point (C = 0) [eV]
G = 1.0                      # contact interaction [eV nm^2]
THETA = 0.1                  # current from the crystal x axis [rad]
DK = (0.01, 0.02)            # Boltzmann drifts [1/nm]
DMU = (1e-3, 2e-3)           # ballistic biases [eV]
K_F = MU / V
P = LAM * K_F ** 2 / V       # lambda k_F^2 / v
C_RTA3, C_WINDOW_Z, C_WINDOW_PERP = 6.6, 9.0, 3.5   # coefficients of p^2 (above)


def _surface_params(theta, lam):
    return ti_slab.default_params(D1=0.0, D2=0.0, C=0.0, A2=V, R=lam, theta=theta)


def _surface_H(theta=THETA, lam=LAM, a=A):
    p = _surface_params(theta, lam)
    return lambda kx, ky: ti_slab.surface_hamiltonian(p, kx, ky, a)


def surface(theta=THETA, lam=LAM, a=A):
    """The slab's top surface (D1 = D2 = 0) as a DrivenBand."""
    p = _surface_params(theta, lam)

    def dH(kx, ky):
        return ti_slab.surface_hamiltonian_derivative(p, kx, ky, a)

    return driven.DrivenBand(_surface_H(theta, lam, a), 1, (0.0, 0.0), k_max=0.5,
                             derivative=dH)


def boltzmann(dk):
    return driven.Boltzmann(MU, (dk, 0.0), order=3)


def ballistic(dmu):
    return driven.Ballistic(MU - dmu / 2, MU + dmu / 2, 0.0)


def seed_boltzmann(g, dk):
    """The moved Dirac point (g / v) s x z of the Edelstein spin."""
    return an.dirac_point_shift(g, [0.0, an.edelstein_spin_boltzmann(MU, V, dk)], V)


def seed_ballistic(g, dmu):
    return an.dirac_point_shift(g, [0.0, an.edelstein_spin_ballistic(MU, V, dmu)], V)


def solve(dist, g=G, theta=THETA, lam=LAM, **kw):
    seed = (seed_boltzmann(g, dist.drift[0]) if isinstance(dist, driven.Boltzmann)
            else seed_ballistic(g, dist.mu_left - dist.mu_right))
    return driven.solve_driven_exchange(surface(theta, lam), SIGMA, dist, g,
                                        gap_seed=seed, **kw)


def exponent(x, y):
    return math.log(y[1] / y[0]) / math.log(x[1] / x[0])


def _params(**kw):
    base = dict(a_nm=A, v_eV_nm=V, lam_eV_nm3=LAM, mu_eV=MU, g_eV_nm2=G,
                theta_rad=THETA)
    base.update(kw)
    return base


# --- spins --------------------------------------------------------------------

def _spin_records(out):
    b = surface()
    dk, dmu = DK[0], DMU[0]
    s1 = b.boltzmann_orders(SIGMA / 2, MU, (dk, 0.0), 3)
    ref = an.edelstein_spin_boltzmann(MU, V, dk)
    est = (K_F * A) ** 2 / 8 + P ** 2 / 4
    out.append(compare(
        CASE, "s_inplane", s1[0, 1], ref, 2 * est,
        _params(distribution="boltzmann_rta_order1", drift_per_nm=dk),
        f"first-order RTA spin along z x dk vs (k_F/8pi) dk; lattice correction "
        f"derived (k_F a)^2/8 = {(K_F * A) ** 2 / 8:.3e} (measured "
        f"{s1[0, 1] / ref - 1:.3e}), warping p^2/4; tol = 2 x their sum. "
        f"Component along the current: {s1[0, 0]:.1e} (zero by the mirror)"))
    sb = b.spin(SIGMA, ballistic(dmu))
    ref_b = an.edelstein_spin_ballistic(MU, V, dmu)
    est_b = (K_F * A) ** 2 / 2 + C_WINDOW_PERP * P ** 2
    out.append(compare(
        CASE, "s_inplane", sb[1], ref_b, 2 * est_b,
        _params(distribution="ballistic", dmu_eV=dmu),
        f"ballistic window spin along z x e vs k_F dmu/(4 pi^2 v); lattice "
        f"correction derived (k_F a)^2/2 = {(K_F * A) ** 2 / 2:.3e} (measured "
        f"{sb[1] / ref_b - 1:.3e}), warping (7/2) p^2; tol = 2 x their sum"))

    # First-order s_z: the square lattice's C4 artefact, O((k_F a)^2).
    ratio = {}
    for a in (A, A / 2):
        o = surface(a=a).boltzmann_orders(SIGMA / 2, MU, (dk, 0.0), 3)
        ratio[a] = o[0, 2] / (P * abs(o[0, 1]))
        if a == A:
            orders = o
    derived = ti_slab.c4_first_order_sz(K_F, A, THETA)
    out.append(compare(
        CASE, "sz_boltzmann_first_order", abs(ratio[A]), (K_F * A) ** 2, 0.0,
        _params(distribution="boltzmann_rta_order1", drift_per_nm=dk,
                check="size"),
        f"s_z^(1) / (p |s_inplane|) = {ratio[A]:.4e} must be O((k_F a)^2) = "
        f"{(K_F * A) ** 2:.3e} (zero in the continuum by C3); derived "
        f"-(k_F a)^2 cos3theta/16 = {derived:.4e}", relation="<="))
    out.append(compare(
        CASE, "sz_boltzmann_first_order", ratio[A], derived,
        2 * ((K_F * A) ** 2 + C_RTA3 * P ** 2),
        _params(distribution="boltzmann_rta_order1", drift_per_nm=dk,
                check="c4_coefficient"),
        "s_z^(1) / (p |s_inplane|) vs the lattice's C4 artefact derived in "
        "ti_slab.c4_first_order_sz, -(k_F a)^2 cos3theta / 16; next order "
        "relative (k_F a)^2 and 6.6 p^2, tol = 2 x their sum"))
    out.append(compare(
        CASE, "sz_boltzmann_first_order", ratio[A] / ratio[A / 2], 4.0,
        2 * ((K_F * A) ** 2 + P ** 2),
        _params(distribution="boltzmann_rta_order1", drift_per_nm=dk,
                check="a_halved", a_halved_nm=A / 2),
        f"the artefact quarters when a halves: {ratio[A]:.4e} -> "
        f"{ratio[A / 2]:.4e}; next order relative (k_F a)^2, warping p^2; "
        "tol = 2 x their sum"))
    ref3 = an.sz_boltzmann_third_order(MU, V, LAM, dk, THETA, "rta")
    out.append(compare(
        CASE, "sz_boltzmann_third_order", orders[2, 2], ref3,
        2 * ((K_F * A) ** 2 + C_RTA3 * P ** 2),
        _params(distribution="boltzmann_rta_order3", drift_per_nm=dk),
        f"third RTA order of s_z vs (15/32 pi)(lam/v) k_F dk^3 cos3theta (not "
        f"zero: the leading Boltzmann s_z in the continuum); lattice (k_F a)^2, "
        f"warping 6.6 p^2, tol = 2 x their sum; drifted sea / RTA = 1/3! by "
        "construction (tests check both against their own closed forms)"))

    # Ballistic s_z at first order: Richardson in a removes (k_F a)^2.
    sz = {a: surface(a=a).spin(SIGMA, ballistic(dmu))[2] for a in (A, A / 2)}
    extrap = (4 * sz[A / 2] - sz[A]) / 3
    ref_z = an.sz_ballistic(MU, V, LAM, dmu, THETA)
    est_z = (K_F * A) ** 4 + C_WINDOW_Z * P ** 2 + (dmu / MU) ** 2 / 4
    out.append(compare(
        CASE, "sz_ballistic_first_order", extrap, ref_z, 2 * est_z,
        _params(distribution="ballistic", dmu_eV=dmu, a_halved_nm=A / 2),
        f"window s_z, Richardson-extrapolated from a = {A} and {A / 2} nm "
        f"(ratios to the closed form {sz[A] / ref_z:.6f}, {sz[A / 2] / ref_z:.6f}); "
        f"left: (k_F a)^4, 9 p^2, (dmu/mu)^2/4; tol = 2 x their sum"))
    return ratio[A]


# --- gaps ---------------------------------------------------------------------

def _gap_records(out, artefact, fig):
    # Boltzmann: exponent in the drift (3), with the C4 artefact's share.
    st_b = [solve(boltzmann(dk)) for dk in DK]
    gaps = [s.gap for s in st_b]
    exp_b = exponent(DK, gaps)
    # relative size of the first-order artefact against s_z^(3), per drift
    rho = [artefact * P * an.edelstein_spin_boltzmann(MU, V, dk)
           / an.sz_boltzmann_third_order(MU, V, LAM, dk, THETA) for dk in DK]
    shift = (math.log1p(rho[1]) - math.log1p(rho[0])) / math.log(2)
    mass_fb = G * DK[1] ** 2 / (4 * math.pi * V * K_F) / math.log(2)
    out.append(compare(
        CASE, "gap_boltzmann_exponent", exp_b, 3.0,
        2 * (abs(shift) + mass_fb),
        _params(distribution="boltzmann_rta_order3", drifts_per_nm=list(DK),
                gaps_eV=gaps),
        f"self-consistent gap ~ dk^3 (consistent third-order RTA); the "
        f"lattice's first-order s_z (relative {rho[0]:+.2e}, {rho[1]:+.2e} of "
        f"s_z^(3)) shifts the exponent by {shift:+.2e}; the mass feedback "
        f"through f_2, g dk^2/(4 pi v k_F), by < {mass_fb:.1e}; tol = 2 x "
        f"their sum. Gap / closed form: "
        f"{gaps[0] / an.gap_boltzmann(MU, V, LAM, G, DK[0], THETA):.5f}, "
        f"{gaps[1] / an.gap_boltzmann(MU, V, LAM, G, DK[1], THETA):.5f} "
        f"(SCF +(3/20pi) g k_F/v = {3 / (20 * math.pi) * G * K_F / V:.4f})"))

    st_l = [solve(ballistic(d)) for d in DMU]
    gaps_l = [s.gap for s in st_l]
    exp_l = exponent(DMU, gaps_l)
    est = ((DMU[1] ** 2 - DMU[0] ** 2) / (4 * MU ** 2)
           + G * (DMU[1] - DMU[0]) / (8 * math.pi * V ** 2)) / math.log(2)
    out.append(compare(
        CASE, "gap_ballistic_exponent_dmu", exp_l, 1.0, 2 * est,
        _params(distribution="ballistic", dmus_eV=list(DMU), gaps_eV=gaps_l),
        f"self-consistent gap ~ dmu; window (dmu/mu)^2/4 and mass feedback g "
        f"dmu/(8 pi v^2) change it by {est:.2e} in the exponent; tol = 2 x. "
        f"Gap / closed form: "
        f"{gaps_l[0] / an.gap_ballistic(MU, V, LAM, G, DMU[0], THETA):.5f}, "
        f"{gaps_l[1] / an.gap_ballistic(MU, V, LAM, G, DMU[1], THETA):.5f}"))

    # Exponent in the interaction.
    gs = (0.5, 1.0)
    gb = [st_b[0].gap if g == G else solve(boltzmann(DK[0]), g=g).gap for g in gs]
    exp_u = exponent(gs, gb)
    est_u = (3 / (20 * math.pi) * K_F / V * (gs[1] - gs[0])
             + (K_F / V) ** 2 * (gs[1] ** 2 - gs[0] ** 2) / (240 * math.pi ** 2)
             ) / math.log(gs[1] / gs[0])
    params_u = _params(distribution="boltzmann_rta_order3", drift_per_nm=DK[0],
                       g_values_eV_nm2=list(gs), gaps_eV=gb)
    out.append(compare(
        CASE, "gap_exponent_U", exp_u, 1.0, 2 * est_u, params_u,
        f"Boltzmann (consistent third-order RTA): the gap is FIRST order in g "
        f"(-g s_z^(3)); SCF cross term (3/20pi) g k_F/v and the paper's "
        f"lam|k*|^3 ~ g^3 term ((g k_F/v)^2/240 pi^2) shift the exponent by "
        f"<= {est_u:.2e}; tol = 2 x"))
    out.append(compare(
        CASE, "gap_exponent_U", exp_u, 3.0, 2 * est_u, params_u,
        "the paper's 'third order in the interaction': expected to FAIL. It "
        "holds only for the linearised f_1 (s_z = 0 by C3); the consistent "
        "third-order RTA has s_z^(3) != 0 (sz_boltzmann_third_order), whose "
        "exchange -g s_z^(3) dominates lam|k*|^3 up to g k_F/v = pi sqrt(240) "
        "= 48.7", expected_failure=True))
    gl = [st_l[0].gap if g == G else solve(ballistic(DMU[0]), g=g).gap for g in gs]
    exp_ul = exponent(gs, gl)
    est_ul = DMU[0] * (gs[1] - gs[0]) / (8 * math.pi * V ** 2) / math.log(2)
    out.append(compare(
        CASE, "gap_exponent_U", exp_ul, 1.0, 2 * est_ul,
        _params(distribution="ballistic", dmu_eV=DMU[0], g_values_eV_nm2=list(gs),
                gaps_eV=gl),
        f"ballistic gap ~ g; mass feedback g dmu/(8 pi v^2) shifts the "
        f"exponent by {est_ul:.2e}; tol = 2 x"))

    # Exponent in lambda.
    lams = (LAM / 2, LAM)
    for name, dist, st0, C in (
            ("boltzmann_rta_order3", boltzmann(DK[0]), st_b[0], C_RTA3),
            ("ballistic", ballistic(DMU[0]), st_l[0], C_WINDOW_Z)):
        gl_ = [solve(dist, lam=lams[0]).gap, st0.gap]
        exp_lam = exponent(lams, gl_)
        est_lam = C * P ** 2 * (1 - 0.25) / math.log(2)
        out.append(compare(
            CASE, "gap_exponent_lambda", exp_lam, 1.0, 2 * est_lam,
            _params(distribution=name, lam_values=list(lams), gaps_eV=gl_),
            f"gap ~ lambda (both the exchange and the warping term, and the "
            f"lattice artefact, are linear in lambda); next order {C} p^2 "
            f"shifts the exponent by <= {est_lam:.1e}; tol = 2 x"))

    # lambda = 0: the Dirac point only moves.
    for name, dist, ref_state in (("boltzmann_rta_order3", boltzmann(DK[1]), st_b[1]),
                                  ("ballistic", ballistic(DMU[1]), st_l[1])):
        st0 = solve(dist, lam=0.0)
        k_star = an.dirac_point_shift(G, st0.spin[:2], V)
        floor = 1e-6 * ref_state.gap
        out.append(compare(
            CASE, "gap_lambda0", st0.gap, 0.0, floor,
            _params(distribution=name, lam_eV_nm3=0.0, s_z=st0.spin[2],
                    dirac_point=list(st0.dirac_point), k_star=list(k_star)),
            f"lambda = 0: s_z = {st0.spin[2]:.1e}, the Dirac point moves to "
            f"{st0.dirac_point[0]:.4e} /nm (k* = (g/v) s x z = {k_star[0]:.4e}) "
            f"and no gap opens; bound: 1e-6 of the gap with lambda at the same "
            f"drive ({ref_state.gap:.3e} eV)", relation="<="))

    # Only the in-plane field: the warping mass at the moved Dirac point.
    st = st_b[1]
    h = np.array([st.field[0], st.field[1], 0.0])
    mf = driven.DrivenBand(driven.mean_field_hamiltonian(_surface_H(), h, SIGMA), 1,
                           (0.0, 0.0), k_max=0.5)
    k_star = an.dirac_point_shift(G, st.spin[:2], V)
    gap_ip = driven.dirac_gap(mf, k_star).gap
    ref_ip = 2 * LAM * np.linalg.norm(k_star) ** 3 * abs(math.cos(3 * THETA))
    ks_a = float(np.linalg.norm(k_star)) * A
    out.append(compare(
        CASE, "gap_inplane_only", gap_ip, ref_ip,
        2 * (ks_a ** 2 / 4 + (LAM * np.linalg.norm(k_star) ** 2 / V) ** 2),
        _params(distribution="boltzmann_rta_order3", drift_per_nm=DK[1],
                field_inplane_eV=list(h[:2]), k_star=list(k_star)),
        f"in-plane field alone (h_z dropped): the cone moves to k* and the "
        f"gap is the warping there, 2 lam |k*|^3 |cos 3theta|, third order "
        f"(here {gap_ip / st.gap:.1e} of the full gap); with lambda = 0 it "
        f"never gaps (gap_lambda0), an out-of-plane h_z always does; lattice "
        f"(k* a)^2/4 derived (sin, 1 - cos of w at k*), tol = 2 x"))
    fig.update(st_b=st_b, st_l=st_l)


def _direction_records(out, fig):
    thetas = np.array([0.0, 1, 2, 3, 4, 5]) * np.pi / 18      # 0 .. 50 degrees
    curves = {}
    for name, dist, C in (("boltzmann_rta_order3", boltzmann(DK[1]), C_RTA3),
                          ("ballistic", ballistic(DMU[1]), C_WINDOW_Z)):
        gaps = np.array([solve(dist, theta=t, estimate_error=False).gap
                         for t in thetas])
        dev = np.abs(gaps / gaps[0] - np.abs(np.cos(3 * thetas))).max()
        curves[name] = gaps
        out.append(compare(
            CASE, "gap_direction", dev, 0.0, 2 * C * P ** 2,
            _params(distribution=name, theta_values=list(thetas),
                    gaps_eV=list(gaps)),
            "max over theta of |gap(theta)/gap(0) - |cos 3theta||: on the "
            "lattice too, s_z and the warping at k* are cos 3theta x (a "
            "theta-independent number) at first order in lambda (the mirror "
            "y -> -y maps theta to pi/3 - theta and s_z to -s_z, so no sin "
            f"3theta); the next order is {C} p^2; tol = 2 x", absolute=True))
    fig["direction"] = (thetas, curves)


# --- figures ------------------------------------------------------------------

def _figures(figdir, fig):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Bands with and without the current (Boltzmann, the larger drift).
    st = fig["st_b"][1]
    H0 = _surface_H()
    H1 = driven.mean_field_hamiltonian(H0, st.field, SIGMA)
    k = np.linspace(-0.2, 0.2, 801)
    e0 = np.linalg.eigvalsh(H0(k, 0 * k))
    e1 = np.linalg.eigvalsh(H1(k, 0 * k))
    ks = st.dirac_point[0]
    kz = np.sort(np.concatenate([np.linspace(-0.6 * ks, 1.6 * ks, 2201), [0.0, ks]]))
    g0 = np.diff(np.linalg.eigvalsh(H0(kz, 0 * kz)), axis=-1)[:, 0]
    g1 = np.diff(np.linalg.eigvalsh(H1(kz, st.dirac_point[1] + 0 * kz)), axis=-1)[:, 0]
    f, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].plot(k, e0, "k-", lw=1, label="no current")
    ax[0].plot(k, e1, "r--", lw=1, label="with current (mean field)")
    ax[0].axhline(MU, color="grey", lw=0.5)
    ax[0].set(xlabel=axis_label("$k_x$ (along the current)", "1/nm"),
              ylabel=axis_label("$E$", "eV"),
              title="surface bands (slab top, $D_1 = D_2 = 0$)")
    handles, labels = ax[0].get_legend_handles_labels()
    ax[0].legend(handles[::2], labels[::2])
    g0 = np.maximum(g0, 1e-3 * st.gap)       # the bare cone closes at k = 0
    ax[1].semilogy(kz, g0, "k-", label="no current")
    ax[1].semilogy(kz, g1, "r-", label="with current")
    ax[1].axvline(st.dirac_point[0], color="r", lw=0.5, ls=":")
    ax[1].axhline(st.gap, color="r", lw=0.5, ls=":")
    power = int(np.floor(np.log10(np.abs(kz).max())))
    scaled_ticks(ax[1].xaxis, 10.0 ** power)
    ax[1].set(xlabel=axis_label("$k_x$", f"$10^{{{power}}}$/nm"),
              ylabel=axis_label("$E_+ - E_-$", "eV"),
              title=f"near the Dirac point: moved by $k^*$, gap {st.gap * 1e6:.3g} µeV")
    ax[1].legend()
    save(f, figdir / "ti_surface_bands.png")

    # Gap vs current angle.
    thetas, curves = fig["direction"]
    tt = np.linspace(0, np.pi / 3, 200)
    f, ax = plt.subplots(figsize=(5, 4))
    ax.plot(tt, np.abs(np.cos(3 * tt)), "k-", lw=1, label=r"$|\cos 3\theta|$")
    for (name, gaps), m in zip(curves.items(), ("o", "s")):
        ax.plot(thetas, gaps / gaps[0], m, mfc="none", label=name)
    ax.set(xlabel=axis_label(r"$\theta$ (current from crystal $x$)", "rad"),
           ylabel=r"gap / gap($\theta = 0$)",
           title="current-induced gap against the current's direction")
    ax.legend()
    save(f, figdir / "ti_surface_gap_angle.png")

    # Gap vs bias, log axes.
    dks = np.array([0.0025, 0.005, 0.01, 0.02])
    dmus = np.array([2.5e-4, 5e-4, 1e-3, 2e-3, 4e-3])
    gb = [solve(boltzmann(d), estimate_error=False).gap for d in dks]
    gl = [solve(ballistic(d), estimate_error=False).gap for d in dmus]
    f, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].loglog(dks, gb, "o", label="lattice, self-consistent (RTA to 3rd order)")
    ax[0].loglog(dks, an.gap_boltzmann(MU, V, LAM, G, dks, THETA), "k-",
                 label=r"$2|g s_z^{(3)} - \lambda k^{*3} \cos 3\theta| \propto \delta k^3$")
    ax[0].set(xlabel=axis_label(r"drift $\delta k$", "1/nm"), ylabel=axis_label("gap", "eV"),
              title=r"Boltzmann (below $\delta k \approx$ 0.005: lattice C4 artefact $\propto \delta k$)")
    ax[1].loglog(dmus, gl, "s", label="lattice, self-consistent")
    ax[1].loglog(dmus, an.gap_ballistic(MU, V, LAM, G, dmus, THETA), "k-",
                 label=r"$g \lambda \mu^3 \delta\mu |\cos 3\theta| / (6\pi^2 v^5)$")
    ax[1].set(xlabel=axis_label(r"bias $\delta\mu$", "eV"), ylabel=axis_label("gap", "eV"),
              title="ballistic")
    for axis in ax:
        plain_log_ticks(axis.xaxis)
        axis.legend()
    save(f, figdir / "ti_surface_gap_bias.png")


def records(figdir):
    """Records s_inplane, sz_boltzmann_first_order, sz_boltzmann_third_order,
    sz_ballistic_first_order, gap_boltzmann_exponent,
    gap_ballistic_exponent_dmu, gap_exponent_U, gap_exponent_lambda,
    gap_lambda0, gap_inplane_only, gap_direction; figures under ``figdir``."""
    import pathlib
    figdir = pathlib.Path(figdir)
    figdir.mkdir(parents=True, exist_ok=True)
    out, fig = [], {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no closed form outside its regime
        artefact = _spin_records(out)
        _gap_records(out, artefact, fig)
        _direction_records(out, fig)
    _figures(figdir, fig)
    return out
