"""Nonlinear Hall: BCD, INH and exchange nonlinear Hall (seed paper 001).

Numerics (kwant_noneq.nonlinear_hall on the continuum models and on the
Kwant lattice builders of kwant_noneq.systems.dirac2d) against the closed forms at first
order in the tilt (kwant_noneq.analytic_nonlinear_hall), symmetry zeros,
large-mu exponents, lattice vs continuum, and the figures of Fig. 2 and
Fig. 3.  Conductivities in A nm / V^2 (multiply by 1e-9 for A m / V^2).
"""
import numpy as np

from kwant_noneq import analytic_nonlinear_hall as an
from kwant_noneq.constants import E2_OVER_HBAR, HBAR, KB
from kwant_noneq.geometry import band_geometry
from kwant_noneq.nonlinear_hall import (bcd_conductivity, enh_pt_conductivity,
                                        enh_t_conductivity, exchange_field,
                                        inh_conductivity, screened_interaction)
from kwant_noneq.systems.dirac2d import (h_pt_continuum, h_pt_flavour, h_t_flavours,
                             paper_parameters, spin_operators_pt)
from validation.plotting import axis_label, save, scaled_ticks
from validation.records import compare

CASE = "nonlinear_hall"
PAPER = paper_parameters()
HV, DELTA, TAU, V0 = PAPER["hbar_vx"], PAPER["delta"], PAPER["tau"], PAPER["V0"]
QUAD = dict(n_angles=32, n_radial=12)


def _params(w):
    return dict(PAPER, alpha=w * HV)


def _first_order_tol(w, mu):
    """sigma is odd in alpha: first-order error ~ (alpha k_F/(mu - e_edge))^2
    <~ (w mu / P_F)^2; factor 10 for the O(1) coefficient; + quadrature."""
    return 10 * (w * mu) ** 2 / (mu ** 2 - DELTA ** 2) + 1e-7


def _responses(w, mu, lattice=False):
    p = _params(w)
    tv = h_t_flavours(p, lattice=lattice, **QUAD)
    pt = h_pt_flavour(p, lattice=lattice, **QUAD)
    return dict(BCD=bcd_conductivity(tv, mu, TAU),
                ENH_T=enh_t_conductivity(tv, mu, TAU, V0),
                INH=inh_conductivity(pt, mu),
                ENH_PT=enh_pt_conductivity(pt, mu, V0))


def _closed(name, w, mu):
    a = w * HV
    return dict(BCD=lambda: an.bcd_t(mu, DELTA, HV, a, TAU),
                ENH_T=lambda: an.enh_t(mu, DELTA, HV, a, TAU, V0),
                INH=lambda: an.inh_pt(mu, DELTA, HV, a),
                ENH_PT=lambda: an.enh_pt(mu, DELTA, HV, a, V0))[name]()


COMPONENT = dict(BCD=(0, 1, 1), ENH_T=(0, 1, 1), INH=(0, 1, 0), ENH_PT=(0, 1, 0))


def closed_form_records():
    recs = []
    w = 1e-3
    for mu in (0.08, 0.15, 0.25):
        res = _responses(w, mu)
        for name, r in res.items():
            c = COMPONENT[name]
            ref = _closed(name, w, mu)[c]
            recs.append(compare(
                CASE, f"{name}_closed_form_mu={mu * 1e3:.0f}meV", r.sigma[c], ref,
                _first_order_tol(w, mu) + 10 * r.convergence,
                dict(mu=mu, alpha_over_hv=w, component="".join("xy"[i] for i in c),
                     units="A nm/V^2", convergence=r.convergence),
                "first order in tilt at alpha = 1e-3 hbar v; tol 10 (w mu/P_F)^2"))
            # Antisymmetry in (c, a) and the full tensor.
            anti = np.abs(r.sigma + np.swapaxes(r.sigma, 0, 1)).max()
            recs.append(compare(
                CASE, f"{name}_antisymmetry_mu={mu * 1e3:.0f}meV",
                anti / np.abs(r.sigma).max(), 0.0, 1e-12, dict(mu=mu),
                "max|sigma^{cab} + sigma^{acb}| / max|sigma|", absolute=True))
            full = _closed(name, w, mu)
            recs.append(compare(
                CASE, f"{name}_full_tensor_mu={mu * 1e3:.0f}meV",
                np.abs(r.sigma - full).max() / np.abs(full).max(), 0.0,
                _first_order_tol(w, mu) + 10 * r.convergence, dict(mu=mu),
                "all 8 components vs closed form (forbidden ones are 0)",
                absolute=True))
    return recs


def tilt_order_records():
    """At the paper's tilt (w = alpha/hbar v = 0.1) the first-order forms are
    off by O(w^2) (sigma is odd in w).  Check the size, and for BCD, ENH_T and
    INH that the deviation shrinks by 4 when w halves.  For ENH_PT at 150 meV
    the w^2 coefficient nearly cancels (deviation 5e-5 at w = 0.1), so w^4
    competes and the ratio is not a clean test: it is not recorded."""
    recs = []
    mu = 0.15
    for name in ("BCD", "ENH_T", "INH", "ENH_PT"):
        c = COMPONENT[name]
        dev = []
        for w in (0.1, 0.05):
            r = _responses(w, mu)[name]
            ref = _closed(name, w, mu)[c]
            dev.append(r.sigma[c] / ref - 1)
            if w == 0.1:
                recs.append(compare(
                    CASE, f"{name}_paper_tilt_vs_first_order_mu=150meV",
                    r.sigma[c], ref, _first_order_tol(w, mu), dict(mu=mu, w=w),
                    "alpha = 0.1 hbar v; tol 10 (w mu/P_F)^2"))
        if name != "ENH_PT":
            recs.append(compare(
                CASE, f"{name}_tilt_expansion_ratio_mu=150meV", dev[0] / dev[1],
                4.0, 0.1, dict(mu=mu, deviation_at_paper_tilt=dev[0]),
                "dev(w=0.1)/dev(w=0.05) = 4 (odd in w); w^4 terms < 10 %"))
    return recs


def symmetry_records():
    recs = []
    mu, w = 0.12, 0.1
    p = _params(w)
    tv, pt = h_t_flavours(p, **QUAD), h_pt_flavour(p, **QUAD)
    bcd = bcd_conductivity(tv, mu, TAU)
    inh = inh_conductivity(pt, mu)
    scale_t, scale_pt = np.abs(bcd.sigma).max(), np.abs(inh.sigma).max()
    checks = [
        ("BCD_PT_model_zero", bcd_conductivity(pt, mu, TAU).sigma, scale_t,
         "PT: Kramers pairs carry no net Berry curvature"),
        ("ENH_T_PT_model_zero", enh_t_conductivity(pt, mu, TAU, V0).sigma,
         scale_t, "PT: no spin at any k, Eq. (10) vanishes"),
        ("INH_T_model_zero", inh_conductivity(tv, mu).sigma, scale_pt,
         "T: valleys cancel the BCP response"),
        ("ENH_PT_T_model_zero", enh_pt_conductivity(
            tv, mu, V0, valley_exchange="inter").sigma, scale_pt,
         "T: Eq. (9) is T-odd (valleys coupled)"),
        ("ENH_T_intervalley_zero", enh_t_conductivity(
            tv, mu, TAU, V0, valley_exchange="inter").sigma, scale_t,
         "contact exchange coupling both valleys: factors odd in xi"),
        ("BCD_forbidden_sigma_cax", bcd.sigma[..., 0], scale_t,
         "tilt along y: only sigma^{c a y}"),
        ("ENH_T_forbidden_sigma_cax",
         enh_t_conductivity(tv, mu, TAU, V0).sigma[..., 0], scale_t,
         "tilt along y: only sigma^{c a y}"),
        ("INH_forbidden_sigma_cay", inh.sigma[..., 1], scale_pt,
         "only sigma^{c a x} at first order (and exactly, by mirror x)"),
        ("ENH_PT_forbidden_sigma_cay",
         enh_pt_conductivity(pt, mu, V0).sigma[..., 1], scale_pt,
         "only sigma^{c a x}"),
    ]
    for name, val, scale, note in checks:
        recs.append(compare(CASE, name, np.abs(val).max() / scale, 0.0, 1e-10,
                            dict(mu=mu, alpha_over_hv=w),
                            note + " (relative to the allowed response)",
                            absolute=True))
    return recs


def exponent_records():
    """d ln sigma / d ln mu at mu = 3 eV (k_F ~ 11/nm): ENH_PT ~ 1/mu,
    INH ~ 1/mu^2 (the paper's claim), ENH_T ~ 1/mu, BCD ~ 1/mu^2.
    Finite-mu corrections ~ Delta^2/mu^2 ~ 3e-4."""
    recs = []
    w = 0.1
    p = _params(w)
    for name, expo in (("ENH_PT", -1), ("INH", -2), ("ENH_T", -1), ("BCD", -2)):
        vals = []
        mus = (2.5, 3.5)
        for mu in mus:
            kmax = 1.5 * mu / HV
            tv = h_t_flavours(p, k_max=kmax, **QUAD)
            pt = h_pt_flavour(p, k_max=kmax, **QUAD)
            r = dict(BCD=lambda: bcd_conductivity(tv, mu, TAU),
                     ENH_T=lambda: enh_t_conductivity(tv, mu, TAU, V0),
                     INH=lambda: inh_conductivity(pt, mu),
                     ENH_PT=lambda: enh_pt_conductivity(pt, mu, V0))[name]()
            vals.append(r.sigma[COMPONENT[name]])
        slope = np.log(vals[1] / vals[0]) / np.log(mus[1] / mus[0])
        recs.append(compare(CASE, f"{name}_large_mu_exponent", slope, expo,
                            0.01, dict(mu_range_eV=mus),
                            "log-slope between 2.5 and 3.5 eV; Delta^2/mu^2 "
                            "and tilt corrections < 1e-3", absolute=True))
    return recs


def lattice_records():
    """Kwant lattice builders (a = 0.1 nm, squared Wilson mass 0.2 eV) vs
    the continuum.  Fermi-surface responses agree up to (k_F a)^2 lattice
    corrections.  ENH_PT also needs the Fermi-sea SBP sum B = sum f S of the
    filled bands, which depends on the whole band (its monopolar part is
    -Delta/(2 pi hv mu) in the continuum with a symmetric cut-off, i.e. it
    contains a full Dirac sea -1/(2 pi hv); on a lattice the doublers change
    that constant).  The lattice-continuum difference of B must therefore be
    a mu-independent constant, and with it the lattice ENH_PT is recovered."""
    recs = []
    w = 0.1
    p = _params(w)
    for mu in (0.1, 0.15):
        kf = np.sqrt(mu ** 2 - DELTA ** 2) / HV
        tol = 3 * (kf * 0.1) ** 2
        lat = _responses(w, mu, lattice=True)
        con = _responses(w, mu, lattice=False)
        for name in ("BCD", "ENH_T", "INH"):
            c = COMPONENT[name]
            recs.append(compare(
                CASE, f"{name}_lattice_vs_continuum_mu={mu * 1e3:.0f}meV",
                lat[name].sigma[c], con[name].sigma[c],
                tol + 10 * lat[name].convergence,
                dict(mu=mu, a_nm=0.1, convergence=lat[name].convergence),
                "tol 3 (k_F a)^2: sin(ka)/a and velocity corrections"))
    # Sea offset: B_lattice - B_continuum at mu in the gap and at 150 meV.
    ptl = h_pt_flavour(p, lattice=True, **QUAD)
    ptc = h_pt_flavour(p, lattice=False, **QUAD)
    offs = []
    for mu in (0.0, 0.15):
        ul = exchange_field(ptl, mu, TAU, 1.0, k=np.zeros((1, 2))).intrinsic_part[0]
        uc = exchange_field(ptc, mu, TAU, 1.0, k=np.zeros((1, 2))).intrinsic_part[0]
        offs.append(ul - uc)
    kf = np.sqrt(0.15 ** 2 - DELTA ** 2) / HV
    recs.append(compare(
        CASE, "ENH_PT_lattice_sea_offset_mu_independent", offs[1][1, 0],
        offs[0][1, 0], 3 * (kf * 0.1) ** 2,
        dict(offset_gap_per_eVnm=offs[0][1, 0],
             dirac_sea_1_over_2pi_hv=1 / (2 * np.pi * HV)),
        "B^{2x}_lattice - B^{2x}_continuum at mu = 150 meV vs in the gap"))
    # Lattice ENH_PT = continuum + (e^3/hbar) V0 A^{xy,eta} dB^{eta x}.
    mu = 0.15
    from kwant_noneq.nonlinear_hall import exchange_factors
    fac = exchange_factors([ptl], mu, 2, "ENH_PT")[0]
    A = fac[:12].reshape(2, 2, 3)
    corr = E2_OVER_HBAR * V0 * np.einsum("cae,eb->cab", A, offs[0])
    lat = enh_pt_conductivity(ptl, mu, V0)
    con = enh_pt_conductivity(ptc, mu, V0)
    recs.append(compare(
        CASE, "ENH_PT_lattice_vs_continuum_plus_sea_offset_mu=150meV",
        lat.sigma[0, 1, 0], con.sigma[0, 1, 0] + corr[0, 1, 0],
        3 * (kf * 0.1) ** 2 + 10 * lat.convergence,
        dict(mu=mu, lattice=lat.sigma[0, 1, 0], continuum=con.sigma[0, 1, 0]),
        "Fermi-surface factor A from the lattice, sea offset from the gap"))
    return recs


def misc_records():
    recs = []
    mu, w = 0.12, 1e-3
    p = _params(w)
    tv = h_t_flavours(p, **QUAD)
    pt = h_pt_flavour(p, **QUAD)
    # Screened V(q) with q_s >> k_F reproduces the contact result.
    big = 1e4
    r = enh_t_conductivity(tv, mu, TAU, screened_interaction(V0, big)).sigma[0, 1, 1]
    c = enh_t_conductivity(tv, mu, TAU, V0).sigma[0, 1, 1]
    kf = np.sqrt(mu ** 2 - DELTA ** 2) / HV
    recs.append(compare(CASE, "ENH_T_screened_contact_limit", r, c, 4 * kf / big,
                        dict(q_s=big), "V0 q_s/(q + q_s) -> V0: error <~ 2 k_F/q_s"))
    # Finite temperature vs thermally averaged closed-form factors.
    from kwant_noneq.kintegrate import thermal_average
    kT = 3e-3                     # eV: the records are named by k_B T
    T = kT / KB                   # K (34.8 K), as the API takes it
    a = w * HV
    AT = [thermal_average(lambda m: np.concatenate(
        an.exchange_factors_t(m, DELTA, HV, a, xi)), mu, temperature=T, step=0.5)
        for xi in (1, -1)]
    ref = sum(x[:3] @ x[3:] for x in AT) * V0 * E2_OVER_HBAR * TAU / HBAR
    num = enh_t_conductivity(tv, mu, TAU, V0, temperature=T)
    recs.append(compare(CASE, "ENH_T_finite_T_kT=3meV_mu=120meV",
                        num.sigma[0, 1, 1], ref, 1e-4 + num.convergence,
                        dict(kT=kT, convergence=num.convergence),
                        "product of thermally averaged factors (first order in tilt)"))
    APT = thermal_average(lambda m: np.concatenate(
        an.exchange_factors_pt(m, DELTA, HV, a)), mu, temperature=T, step=0.5)
    num = enh_pt_conductivity(pt, mu, V0, temperature=T)
    recs.append(compare(CASE, "ENH_PT_finite_T_kT=3meV_mu=120meV",
                        num.sigma[0, 1, 0], APT[:3] @ APT[3:] * V0 * E2_OVER_HBAR,
                        1e-4 + num.convergence, dict(kT=kT),
                        "product of thermally averaged factors (first order in tilt)"))
    return recs


def screened_thermal_records():
    """Screened V(q) = V0 q_s/(q + q_s) at T > 0 (double energy average over
    pairs of T = 0 surfaces, Fermi occupations on the sea side).

    * A constant callable V(q) = V0 runs the pair machinery and must equal
      the factorised contact result (a different thermal rule, trapezoid):
      tolerance = the sum of the two convergence estimates.
    * kT -> 0: sigma(kT) - sigma(0) = c2 kT^2 (1 + O((pi kT/w)^2)), w the
      smallest energy scale of the T = 0 integrand, min(mu - Delta, hbar v
      q_s).  So d(2kT)/d(kT) = 4 (1 + 3 O((pi kT/w)^2)); tolerance
      3 (pi kT/w)^2 plus the k-quadrature noise 2 conv |sigma| / |d(kT)|
      (relative to 4).
      T = 0 reference at the same k resolution as the thermal surfaces.
    * H_T has no ENH^(PT) at any T for either valley coupling (T symmetry).
    """
    recs = []
    p = _params(0.1)
    quad0 = dict(n_angles=16, n_radial=6)     # refined (T = 0) == QUAD base
    tv, pt = h_t_flavours(p, **QUAD), h_pt_flavour(p, **QUAD)
    tv0, pt0 = h_t_flavours(p, **quad0), h_pt_flavour(p, **quad0)
    const = lambda q: V0 * np.ones_like(q)
    mu, kT = 0.12, 3e-3           # eV
    T = kT / KB                   # K
    intra = enh_t_conductivity(tv, mu, TAU, V0, temperature=T).sigma[0, 1, 1]
    for ve in ("intra", "inter"):
        a = enh_t_conductivity(tv, mu, TAU, const, ve, temperature=T)
        b = enh_t_conductivity(tv, mu, TAU, V0, ve, temperature=T)
        recs.append(compare(
            CASE, f"ENH_T_screened_const_V_vs_contact_finite_T_{ve}",
            (a.sigma[0, 1, 1] - b.sigma[0, 1, 1]) / abs(intra), 0.0,
            (a.convergence * np.abs(a.sigma).max()
             + b.convergence * np.abs(b.sigma).max()) / abs(intra) + 1e-12,
            dict(mu=mu, kT=kT, valley_exchange=ve, pairwise=a.sigma[0, 1, 1],
                 contact=b.sigma[0, 1, 1], units="A nm/V^2"),
            "V(q) = V0 as a callable (pairs) vs factorised contact; "
            "relative to the intravalley value", absolute=True))
    a = enh_pt_conductivity(pt, mu, const, temperature=T)
    b = enh_pt_conductivity(pt, mu, V0, temperature=T)
    recs.append(compare(
        CASE, "ENH_PT_screened_const_V_vs_contact_finite_T", a.sigma[0, 1, 0],
        b.sigma[0, 1, 0], a.convergence + b.convergence + 1e-12,
        dict(mu=mu, kT=kT, units="A nm/V^2"),
        "V(q) = V0 as a callable: T = 0 sea + thermal shell vs trapezoid "
        "average of T = 0 seas"))
    sv = screened_interaction(V0, p["q_s"])
    kts = (2e-3, 4e-3)            # k_B T [eV]; the API takes T [K]
    for name, mu, runs in (
            ("ENH_T_screened_intra", 0.12, lambda fl, m, t: enh_t_conductivity(
                fl, m, TAU, sv, "intra", temperature=t / KB)),
            ("ENH_T_screened_inter", 0.12, lambda fl, m, t: enh_t_conductivity(
                fl, m, TAU, sv, "inter", temperature=t / KB)),
            ("ENH_PT_screened", 0.10, lambda fl, m, t: enh_pt_conductivity(
                fl, m, sv, temperature=t / KB))):
        comp = COMPONENT[name.split("_screened")[0]]
        flav, flav0 = (tv, tv0) if name.startswith("ENH_T") else (pt, pt0)
        zero = runs(flav0, mu, 0.0)
        res = [runs(flav, mu, t) for t in kts]
        d = [r.sigma[comp] - zero.sigma[comp] for r in res]
        w = min(mu - DELTA, HV * p["q_s"])
        # k-quadrature error of the (32, 12) surfaces, estimated against
        # (64, 24) by the thermal results themselves.
        conv = max(r.convergence for r in res)
        noise = 2 * conv * abs(zero.sigma[comp]) / abs(d[0])
        recs.append(compare(
            CASE, f"{name}_kT_to_zero_ratio_mu={mu * 1e3:.0f}meV",
            d[1] / d[0], 4.0, 4 * (3 * (np.pi * kts[0] / w) ** 2 + noise),
            dict(mu=mu, kT_eV=kts, sigma_T0=zero.sigma[comp],
                 rel_change_at_kT=[x / zero.sigma[comp] for x in d],
                 convergence=conv, units="A nm/V^2"),
            "[sigma(4 meV) - sigma(0)] / [sigma(2 meV) - sigma(0)] = 4 "
            "(Sommerfeld, O(kT^2)); tol 3 (pi kT/w)^2 + k-noise", absolute=True))
    scale = abs(enh_pt_conductivity(pt, 0.12, sv).sigma[0, 1, 0])
    for ve in ("intra", "inter"):
        r = enh_pt_conductivity(tv, 0.12, sv, ve, temperature=T, thermal_nodes=4)
        recs.append(compare(
            CASE, f"ENH_PT_screened_finite_T_T_model_zero_{ve}",
            np.abs(r.sigma).max() / scale, 0.0, 1e-10,
            dict(kT=kT, valley_exchange=ve),
            "T symmetry maps valley (xi, k) to (-xi, -k) and V(|q|) is even",
            absolute=True))
    return recs


def sbp_records_and_figure(figdir):
    """Fig. 2: SBP maps of H_PT (conduction band)."""
    import matplotlib.pyplot as plt
    recs = []
    p = _params(0.1)
    H = h_pt_continuum(**{k: p[k] for k in ("delta", "hbar_vx", "hbar_vy", "alpha")})
    n = 121
    ks = np.linspace(-0.6, 0.6, n)
    k = np.stack(np.meshgrid(ks, ks, indexing="xy"), -1)
    g = band_geometry(H, k, spin_operators_pt())
    S = g.sbp[..., 2]                          # (n, n, eta, a), conduction band
    E = np.sqrt(HV ** 2 * (k ** 2).sum(-1) + DELTA ** 2)
    closed = {(1, 0): HV * DELTA / (2 * E ** 3), (0, 1): -HV * DELTA / (2 * E ** 3),
              (2, 0): -HV ** 2 * k[..., 1] / (2 * E ** 3),
              (2, 1): HV ** 2 * k[..., 0] / (2 * E ** 3)}
    names = {(1, 0): "S2x", (0, 1): "S1y", (2, 0): "S3x", (2, 1): "S3y"}
    scale = np.abs(S).max()
    for key, ref in closed.items():
        recs.append(compare(CASE, f"SBP_{names[key]}_closed_form",
                            np.abs(S[..., key[0], key[1]] - ref).max() / scale,
                            0.0, 1e-12, {}, "hv (0, D, -hv k_y)/(2E^3), "
                            "hv (-D, 0, hv k_x)/(2E^3) per band", absolute=True))
    flipped = S[::-1, ::-1]                    # k -> -k
    for key, parity, kind in (((1, 0), 1, "monopolar"), ((0, 1), 1, "monopolar"),
                              ((2, 0), -1, "dipolar"), ((2, 1), -1, "dipolar")):
        recs.append(compare(
            CASE, f"SBP_{names[key]}_{kind}",
            np.abs(S[..., key[0], key[1]] - parity * flipped[..., key[0], key[1]]).max()
            / scale, 0.0, 1e-12, {}, f"S(k) = {parity:+d} S(-k)", absolute=True))
    for key, nm in (((0, 0), "S1x"), ((1, 1), "S2y")):
        recs.append(compare(CASE, f"SBP_{nm}_zero", np.abs(S[..., key[0], key[1]]).max()
                            / scale, 0.0, 1e-12, {}, "vanishes for H_PT (Fig. 2)",
                            absolute=True))
    fig, axes = plt.subplots(2, 2, figsize=(8, 7))
    ext = [ks[0], ks[-1], ks[0], ks[-1]]
    for ax, key, lab in zip(axes.ravel(), [(1, 0), (2, 0), (0, 1), (2, 1)],
                            ["(a) $S^{2x}$", "(b) $S^{3x}$", "(c) $S^{1y}$",
                             "(d) $S^{3y}$"]):
        data = S[..., key[0], key[1]]
        vm = np.abs(data).max()
        im = ax.imshow(data, origin="lower", extent=ext, cmap="RdBu_r",
                       vmin=-vm, vmax=vm)
        ax.set_title(lab)
        ax.set_xlabel(axis_label("$k_x$", "1/nm"))
        ax.set_ylabel(axis_label("$k_y$", "1/nm"))
        fig.colorbar(im, ax=ax, label=axis_label(lab.split()[1], "nm/eV"))
    fig.suptitle("Fig. 2: SBP of $H_{PT}$, conduction band (Eq. 5)")
    save(fig, figdir / "nonlinear_hall_fig2_sbp.png")
    return recs


def figure3(figdir):
    """Fig. 3 (a-d) at the paper's parameters.  (a), (c): numerics (points,
    contact V0 and screened V_q) over the first-order closed forms (lines).
    (b), (d): |ENH/other| over (mu, V/V0) from the numerics at V0 (ENH is
    linear in V0 for the contact interaction), contour at 1."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm
    w = 0.1
    a = w * HV
    p = _params(w)
    tv, pt = h_t_flavours(p, **QUAD), h_pt_flavour(p, **QUAD)
    sv = screened_interaction(V0, p["q_s"])
    mus_line = np.linspace(0.0505, 0.3, 300)
    mus = np.linspace(0.055, 0.3, 18)
    num = {n: [] for n in ("BCD", "ENH_T", "INH", "ENH_PT", "ENH_T_q", "ENH_PT_q")}
    for mu in mus:
        num["BCD"].append(bcd_conductivity(tv, mu, TAU).sigma[0, 1, 1])
        num["ENH_T"].append(enh_t_conductivity(tv, mu, TAU, V0).sigma[0, 1, 1])
        num["ENH_T_q"].append(enh_t_conductivity(tv, mu, TAU, sv).sigma[0, 1, 1])
        num["INH"].append(inh_conductivity(pt, mu).sigma[0, 1, 0])
        num["ENH_PT"].append(enh_pt_conductivity(pt, mu, V0).sigma[0, 1, 0])
        num["ENH_PT_q"].append(enh_pt_conductivity(pt, mu, sv).sigma[0, 1, 0])
    num = {k: np.array(v) for k, v in num.items()}
    fig, ax = plt.subplots(2, 2, figsize=(11, 8.5))
    mev = 1e3
    ax[0, 0].plot(mus_line * mev, an.enh_t(mus_line, DELTA, HV, a, TAU, V0)[:, 0, 1, 1],
                  "r-", label=r"$\sigma_\mathrm{ENH}^{(T)}$ first order, $V_0$")
    ax[0, 0].plot(mus_line * mev, an.bcd_t(mus_line, DELTA, HV, a, TAU)[:, 0, 1, 1],
                  "b-", label=r"$\sigma_\mathrm{BCD}$ first order")
    ax[0, 0].plot(mus * mev, num["ENH_T"], "ro", ms=4, label="numerics, contact $V_0$")
    ax[0, 0].plot(mus * mev, num["ENH_T_q"], "gs", ms=4,
                  label=r"numerics, screened $V_q$, $q_s$ = 0.2/nm")
    ax[0, 0].plot(mus * mev, num["BCD"], "bo", ms=4)
    ax[0, 0].set_title(r"(a) $H_T$, $\tau$ = 0.5 ps")
    ax[0, 0].set_ylabel(axis_label(r"$\sigma^{xyy}$", "$10^{-3}$ A nm/V$^2$"))
    scaled_ticks(ax[0, 0].yaxis, 1e-3)
    ax[1, 0].plot(mus_line * mev, an.enh_pt(mus_line, DELTA, HV, a, V0)[:, 0, 1, 0],
                  "r-", label=r"$\sigma_\mathrm{ENH}^{(PT)}$ first order, $V_0$")
    ax[1, 0].plot(mus_line * mev, an.inh_pt(mus_line, DELTA, HV, a)[:, 0, 1, 0],
                  "b-", label=r"$\sigma_\mathrm{INH}$ first order")
    ax[1, 0].plot(mus * mev, num["ENH_PT"], "ro", ms=4, label="numerics, contact $V_0$")
    ax[1, 0].plot(mus * mev, num["ENH_PT_q"], "gs", ms=4,
                  label=r"numerics, screened $V_q$")
    ax[1, 0].plot(mus * mev, num["INH"], "bo", ms=4)
    ax[1, 0].set_title(r"(c) $H_{PT}$")
    ax[1, 0].set_ylabel(axis_label(r"$\sigma^{xyx}$", "$10^{-5}$ A nm/V$^2$"))
    scaled_ticks(ax[1, 0].yaxis, 1e-5)
    scales = np.logspace(-1, 1, 41)
    for axx, ratio, lab, panel in (
            (ax[0, 1], num["ENH_T"] / num["BCD"],
             r"$|\sigma_\mathrm{ENH}^{(T)}/\sigma_\mathrm{BCD}|$", "(b)"),
            (ax[1, 1], num["ENH_PT"] / num["INH"],
             r"$|\sigma_\mathrm{ENH}^{(PT)}/\sigma_\mathrm{INH}|$", "(d)")):
        grid = np.abs(ratio)[None, :] * scales[:, None]
        im = axx.pcolormesh(mus * mev, scales, grid, shading="nearest",
                            norm=LogNorm(vmin=grid.min(), vmax=grid.max()),
                            cmap="viridis")
        axx.contour(mus * mev, scales, grid, levels=[1.0], colors="w")
        axx.set_yscale("log")
        axx.set_ylabel(axis_label("interaction $V/V_0$"))
        axx.set_title(f"{panel} {lab} (signs opposite); white: ratio 1")
        fig.colorbar(im, ax=axx, label=lab)
    for a_ in ax.ravel():
        a_.set_xlabel(axis_label(r"$\mu$", "meV"))
    for a_ in (ax[0, 0], ax[1, 0]):
        a_.legend()
    fig.suptitle(r"Fig. 3: $\Delta$ = 50 meV, $v$ = 4$\times 10^5$ m/s, $\alpha/\hbar v$ = 0.1, "
                 r"$V_0 = e^2/(4\pi\epsilon_0 q_s)$ = 7.2 eV nm$^2$, $q_s$ = 0.2/nm, $T$ = 0")
    save(fig, figdir / "nonlinear_hall_fig3.png")
    # Sign/ratio records of Fig. 3.
    # Sign/ratio claims as fractions of the curve on which they hold: a
    # number in [0, 1] in the lattice column, the paper's 1 ("everywhere")
    # in the analytic column.
    opposite_t = np.sign(num["ENH_T"]) == -np.sign(num["BCD"])
    opposite_pt = np.sign(num["ENH_PT"]) == -np.sign(num["INH"])
    recs = [compare(CASE, "ENH_T_opposite_sign_to_BCD", opposite_t.mean(),
                    1.0, 0, dict(n_mu=len(mus)),
                    "Fig. 3a: fraction of the mu points with sign(ENH_T) = "
                    "-sign(BCD)", absolute=True),
            compare(CASE, "ENH_PT_opposite_sign_to_INH", opposite_pt.mean(),
                    1.0, 0, dict(n_mu=len(mus)),
                    "Fig. 3c: fraction of the mu points with sign(ENH_PT) = "
                    "-sign(INH)", absolute=True)]
    ratio_t = np.abs(num["ENH_T"] / num["BCD"])
    recs.append(compare(CASE, "ENH_T_ratio_grows_with_mu",
                        float(np.mean(np.diff(ratio_t) > 0)), 1.0, 0,
                        dict(n_intervals=len(mus) - 1),
                        "Fig. 3b: fraction of consecutive mu intervals on which "
                        "|ENH/BCD| increases", absolute=True))
    # Fig. 3c,d: ENH^(PT) dominates INH at the paper's parameters; numeric
    # ratio vs the first-order ratio -V0 (mu^2 + 2 Delta^2)/(2 pi hv^2 mu)
    # (off by O(w^2) at w = 0.1, as the responses themselves).
    mu = mus[np.argmin(np.abs(mus - 0.15))]
    i = int(np.argmin(np.abs(mus - 0.15)))
    ref = -V0 * (mu ** 2 + 2 * DELTA ** 2) / (2 * np.pi * HV ** 2 * mu)
    recs.append(compare(
        CASE, f"ENH_PT_over_INH_ratio_mu={mu * 1e3:.0f}meV",
        num["ENH_PT"][i] / num["INH"][i], ref, 2 * _first_order_tol(w, mu),
        dict(mu=mu, min_abs_ratio_on_curve=float(np.abs(num["ENH_PT"] / num["INH"]).min())),
        "Fig. 3c,d: |ratio| > 1, ENH dominates; tol 2 x first-order (two responses)"))
    # Screened V_q reduces ENH (V_q <= V0) without changing its sign.
    for name, comp in (("ENH_T", "ENH_T_q"), ("ENH_PT", "ENH_PT_q")):
        r = num[comp] / num[name]
        recs.append(compare(
            CASE, f"{name}_screened_same_sign_and_smaller",
            float(np.mean((r > 0) & (r < 1))), 1.0, 0,
            dict(ratio_range=[float(r.min()), float(r.max())]),
            "fraction of the Fig. 3 mu points with 0 < sigma(V_q)/sigma(V0) "
            "< 1 (V_q <= V0 and both factors keep their sign)", absolute=True))
    return recs


def run(figdir):
    import pathlib
    figdir = pathlib.Path(figdir)
    recs = []
    recs += closed_form_records()
    recs += tilt_order_records()
    recs += symmetry_records()
    recs += exponent_records()
    recs += misc_records()
    recs += screened_thermal_records()
    recs += lattice_records()
    recs += sbp_records_and_figure(figdir)
    recs += figure3(figdir)
    return recs
