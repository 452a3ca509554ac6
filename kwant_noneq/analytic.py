"""Analytic continuum results of Balram, Flensberg, Paaske, Rudner,
"Current-induced gap opening in interacting topological insulator surfaces",
PRL 123, 246803 (2019), for the helical edge ``H = v k s_z + lambda k^3 s_x``
(Eq. 1).

Units: ``hbar = 1``, so ``v`` is ``hbar v`` [eV nm], ``lambda`` [eV nm^3],
``g`` [eV nm], chemical potentials [eV], lengths [nm]; spin densities are
``<sigma>/2`` per nm.  All results are to first order in ``lambda mu^2 / v^3``
and ``dmu / mu`` (the paper's regime).

Regime: :func:`expansion_parameters` returns the small parameters of a
formula's arguments together with the relative size of the first neglected
correction each implies.  Every formula warns with :class:`RegimeWarning`
when one of those corrections exceeds :data:`REGIME_TOLERANCE` (5 %); the
returned values are unchanged.
"""
import warnings

import numpy as np
import scipy.optimize

from .checks import RegimeWarning

__all__ = ["spin_density_eq2", "gap_eq4", "dirac_shift",
           "selfconsistent_gap_correction", "backscattering_rate_eq5",
           "backscattering_rate_eq5_shifted",
           "drag_constant_C", "solve_eq8", "current_eq9_ballistic",
           "current_eq9_resistive", "RegimeWarning", "ExpansionParameter",
           "expansion_parameters", "REGIME_TOLERANCE"]

#: Relative size of the first neglected correction above which a formula
#: warns (:class:`RegimeWarning`).
REGIME_TOLERANCE = 0.05


def _finite(**kw):
    for name, value in kw.items():
        try:
            ok = np.all(np.isfinite(value))
        except TypeError:
            raise TypeError(f"{name} must be a real number or an array of "
                            f"them, got {value!r}") from None
        if not ok:
            raise ValueError(f"{name} must be finite, got {value}")


class ExpansionParameter(float):
    """A small parameter of the analytic formulas (a float).

    Attributes
    ----------
    name : str
        What it is, e.g. ``"lambda mu^2/v^3"``.
    correction : float
        Relative size of the first correction the formula neglects because
        of it (e.g. ``(lambda mu^2 / v^3)^2``).
    remedy : str
        How to get back into the regime.
    """

    def __new__(cls, value, name, correction, remedy):
        obj = super().__new__(cls, value)
        obj.name, obj.correction, obj.remedy = name, float(correction), remedy
        return obj

    def __repr__(self):
        return (f"ExpansionParameter({self.name} = {float(self):.3g}, "
                f"correction ~ {self.correction:.2g})")


def _largest(x):
    return float(np.max(np.abs(np.asarray(x, float)), initial=0.0))


def expansion_parameters(*, v=None, lam=None, mu=None, dmu=None, g=None,
                         eV=None, mu0=None, L=None, C=None, limit=None):
    """The expansion parameters of the analytic formulas for these arguments.

    Each is computed only when its arguments are given (arrays: the largest
    magnitude).  Units as in the formulas (``hbar = 1``).

    * ``"lambda mu^2/v^3"`` (v, lam, mu): the spin rotation at the Fermi
      energy; corrections of relative size ``(lambda mu^2 / v^3)^2``
      (spin texture beyond first order, cubic dispersion).
    * ``"dmu/mu"`` (mu, dmu): the window relative to its distance from the
      Dirac point; ``<s_x>`` integrates ``E^2`` over the window, so the
      correction is ``(dmu / mu)^2 / 12``.
    * ``"g dmu/(2 pi v mu)"`` (g, v, mu, dmu): self-consistency; the
      first-order gap misses this relative correction
      (:func:`selfconsistent_gap_correction`).
    * ``"eV/(2 mu0)"`` (eV, mu0): the half window relative to the distance
      of the Dirac point; the energy dependence of ``1/tau`` behind ``C`` is
      leading order in it, so the correction is ``(eV / (2 mu0))^2``.
    * ``"kappa"`` (eV, mu0, L, C; ``limit='ballistic'``): ``L C mu0^2
      eV^2``; the ballistic limit of Eq. (9) neglects ``3 kappa``.
    * ``"kappa^(-1/3)"`` (same, ``limit='resistive'``): ``x = dmu / eV``;
      the resistive limit neglects ``2 x / 9``.

    Returns
    -------
    dict name -> :class:`ExpansionParameter`

    Examples
    --------
    >>> p = expansion_parameters(v=1.5, lam=0.5, mu=0.1, dmu=0.01)
    >>> float(p["lambda mu^2/v^3"]), p["dmu/mu"].correction
    """
    out = {}

    def add(value, name, correction, remedy):
        out[name] = ExpansionParameter(value, name, correction, remedy)

    if v is not None and lam is not None and mu is not None:
        p = _largest(np.asarray(lam) * np.asarray(mu) ** 2 / np.asarray(v) ** 3)
        add(p, "lambda mu^2/v^3", p**2,
            "bring mu closer to the Dirac point (or lambda down)")
    if mu is not None and dmu is not None:
        p = _largest(np.asarray(dmu) / np.asarray(mu))
        add(p, "dmu/mu", p**2 / 12, "use a smaller bias dmu << mu")
    if g is not None and v is not None and mu is not None and dmu is not None:
        p = _largest(np.asarray(g) * np.asarray(dmu)
                     / (2 * np.pi * np.asarray(v) * np.asarray(mu)))
        add(p, "g dmu/(2 pi v mu)", p,
            "use the self-consistent solution, or a weaker g or smaller dmu")
    if eV is not None and mu0 is not None:
        p = _largest(np.asarray(eV) / (2 * np.asarray(mu0)))
        add(p, "eV/(2 mu0)", p**2, "use a bias eV << mu0")
    if eV is not None and mu0 is not None and L is not None and C is not None:
        kappa = np.abs(np.asarray(L) * np.asarray(C) * np.asarray(mu0) ** 2
                       * np.asarray(eV, float) ** 2)
        if limit == "ballistic":
            p = _largest(kappa)
            add(p, "kappa", 3 * p, "use solve_eq8 (kappa = L C mu0^2 eV^2 "
                "is not << 1)")
        elif limit == "resistive":
            p = float(np.max(np.where(kappa > 0, kappa, np.inf) ** (-1 / 3),
                             initial=0.0))
            add(p, "kappa^(-1/3)", 2 * p / 9, "use solve_eq8 (kappa = L C "
                "mu0^2 eV^2 is not >> 1)")
    return out


def _warn_regime(formula, parameters):
    """Warn (at the formula's caller) for each parameter whose neglected
    correction exceeds :data:`REGIME_TOLERANCE`."""
    for p in parameters.values():
        if p.correction > REGIME_TOLERANCE:
            warnings.warn(
                f"{formula}: {p.name} = {float(p):.3g} is not small (neglected "
                f"relative correction ~ {p.correction:.2g} > "
                f"{REGIME_TOLERANCE}); {p.remedy}.  See "
                f"analytic.expansion_parameters.", RegimeWarning, stacklevel=3)


def spin_density_eq2(v, lam, mu, dmu):
    """Current-induced spin density per unit length, Eq. (2).

    ``<s_x> = -lam mu^2 dmu / (4 pi v^4)``, ``<s_z> = -dmu / (4 pi v)``,
    ``<s_y> = 0`` with ``dmu = mu_l - mu_r``.

    Returns
    -------
    ndarray (3,) : (s_x, s_y, s_z) [1/nm].
    """
    _finite(v=v, lam=lam, mu=mu, dmu=dmu)
    _warn_regime("Eq. (2)", expansion_parameters(v=v, lam=lam, mu=mu, dmu=dmu))
    return np.array([-lam * mu**2 * dmu / (4 * np.pi * v**4), 0.0,
                     -dmu / (4 * np.pi * v)])


def gap_eq4(v, lam, mu, dmu, g):
    """Current-induced gap, Eq. (4): ``Delta = |g lam mu^2 dmu| / (2 pi v^4)``
    (``= 2 |g <s_x>|``) [eV]."""
    _finite(v=v, lam=lam, mu=mu, dmu=dmu, g=g)
    # First order by definition: the distance to the self-consistent gap is
    # selfconsistent_gap_correction's result (which warns on its own).
    _warn_regime("Eq. (4)", expansion_parameters(v=v, lam=lam, mu=mu, dmu=dmu))
    return abs(g * lam * mu**2 * dmu) / (2 * np.pi * v**4)


def selfconsistent_gap_correction(v, mu, dmu, g):
    """Relative change of the gap when the field is made self-consistent,
    to first order: ``Delta_SCF / Delta_Eq4 - 1 = g dmu / (2 pi v mu)``.

    Derivation (our result; the paper's footnote 38 only says it is small):
    the z-field ``b_z = -g <s_z> = g dmu / (4 pi v)`` shifts the Dirac point
    to ``k_* = b_z / v``, so the window states at ``q = k - k_*`` see
    ``lambda (q + k_*)^3 ~ lambda q^3 + 3 lambda q^2 k_*``: their
    ``<sigma_x>`` grows by ``3 b_z / mu`` relative.  The x-field
    ``b_x = -g <s_x>`` adds ``b_x / E`` to ``<sigma_x>``: relative
    ``-g dmu / (4 pi v mu)``.  Together ``2 g dmu / (4 pi v mu)``.
    Higher orders are of relative size ``(g dmu / (2 pi v mu))^2``.
    """
    _finite(v=v, mu=mu, dmu=dmu, g=g)
    first = expansion_parameters(v=v, mu=mu, dmu=dmu, g=g)["g dmu/(2 pi v mu)"]
    _warn_regime("selfconsistent_gap_correction", {"next order": ExpansionParameter(
        first, first.name, float(first) ** 2, first.remedy)})
    return g * dmu / (2 * np.pi * v * mu)


def dirac_shift(v, dmu, g):
    """Shift of the Dirac point, ``k_* = g <s_z> / v = -g dmu / (4 pi v^2)``
    [1/nm] (text below Eq. 3 and before Eq. 4)."""
    _finite(v=v, dmu=dmu, g=g)
    return -g * dmu / (4 * np.pi * v**2)


def backscattering_rate_eq5(v, lam, mu, dmu, g, mean_free_path):
    """Disorder-averaged backscattering rate, Eq. (5) [eV, i.e. hbar/tau]:
    ``1/tau = (v / l) (g lam mu dmu / (4 pi v^4))^2``."""
    _finite(v=v, lam=lam, mu=mu, dmu=dmu, g=g, l=mean_free_path)
    _warn_regime("Eq. (5)", expansion_parameters(v=v, lam=lam, mu=mu, dmu=dmu))
    return v / mean_free_path * (g * lam * mu * dmu / (4 * np.pi * v**4)) ** 2


def backscattering_rate_eq5_shifted(v, lam, mu, dmu, g, mean_free_path):
    """Eq. (5) with the current-induced Dirac-point shift kept [eV = hbar/tau].

    The printed Eq. (5) takes the R-L overlap at energy ``mu`` as
    ``g <s_x> / mu``.  The exchange field also has the component
    ``-g <s_z> sigma_z``, which shifts the Dirac point to ``k_*`` (text
    before Eq. 4).  Around ``k_*`` the cubic term reads
    ``lam (q + k_*)^3 = lam q^3 + 3 lam k_* q^2 + ...``; at the Fermi momenta
    ``q = +-mu/v`` the even part ``3 lam k_* mu^2 / v^2`` adds to the
    ``sigma_x`` field and, with Eq. (2), ``3 lam k_* mu^2 / v^2 = -3 g <s_x>``
    (``k_* = g <s_z> / v``, ``<s_x> / <s_z> = lam mu^2 / v^3``).  The
    effective backscattering field is ``-g<s_x> + 3 g<s_x> = 2 g <s_x>`` in
    magnitude, same order in ``lam`` and ``dmu`` as the printed term, so

        1/tau = (v / l) (g lam mu dmu / (2 pi v^4))^2 = 4 x Eq. (5),

    and ``C`` of Eq. (6) becomes ``4 C``.  (The gap of Eq. 4 is unaffected:
    at ``q = 0`` the shift term vanishes.)  The lattice confirms the factor
    and its two parts: ``sigma_x`` field alone 1, ``sigma_z`` field alone
    ``3^2``, both ``(3 - 1)^2`` (validation case ``helical_iv``).
    """
    _finite(v=v, lam=lam, mu=mu, dmu=dmu, g=g, l=mean_free_path)
    _warn_regime("Eq. (5) shifted", expansion_parameters(v=v, lam=lam, mu=mu,
                                                         dmu=dmu))
    return v / mean_free_path * (g * lam * mu * dmu / (2 * np.pi * v**4)) ** 2


def drag_constant_C(v, lam, g, mean_free_path):
    """``C = g^2 lam^2 / (l (4 pi v^4)^2)`` of Eq. (6) [1/(eV^4 nm)]."""
    _finite(v=v, lam=lam, g=g, l=mean_free_path)
    return g**2 * lam**2 / (mean_free_path * (4 * np.pi * v**4) ** 2)


def solve_eq8(eV, mu0, L, C):
    """Solve Eq. (8) for ``dmu`` at bias ``eV`` [eV]:

    ``eV - dmu = L C mu0^2 dmu^3 [1 - ((eV - dmu)/(2 mu0))^2]``.

    The current is ``I = (e/h) dmu``.  The root in ``[0, eV]`` is unique for
    ``eV << mu0`` (the left side falls, the right side rises in ``dmu``).
    """
    _finite(eV=eV, mu0=mu0, L=L, C=C)
    _warn_regime("Eq. (8)", expansion_parameters(eV=eV, mu0=mu0))
    eV = np.asarray(eV, float)
    out = np.empty_like(eV)
    for i, e in np.ndenumerate(eV):
        if e == 0:
            out[i] = 0.0
            continue
        f = lambda d: e - d - L * C * mu0**2 * d**3 * (1 - ((e - d) / (2 * mu0)) ** 2)
        out[i] = scipy.optimize.brentq(f, 0.0, e, xtol=1e-15 * abs(e), rtol=1e-14)
    return out if out.ndim else float(out)


def current_eq9_ballistic(eV, mu0, L, C):
    """Nearly ballistic limit of Eq. (9), ``dmu = eV - L C mu0^2 eV^3``
    (``I = (e/h) dmu``), valid for ``kappa = L C mu0^2 eV^2 << 1``."""
    _finite(eV=eV, mu0=mu0, L=L, C=C)
    _warn_regime("Eq. (9), ballistic", expansion_parameters(
        eV=eV, mu0=mu0, L=L, C=C, limit="ballistic"))
    return eV - L * C * mu0**2 * eV**3


def current_eq9_resistive(eV, mu0, L, C):
    """Resistive limit of Eq. (8), ``dmu = (L C mu0^2)^(-1/3) eV^(1/3)``,
    valid for ``kappa = L C mu0^2 eV^2 >> 1``.

    Derivation: with ``dmu = x eV``, ``x << 1``, Eq. (8) reads
    ``eV ~= L C mu0^2 x^3 eV^3``, so ``x = (L C mu0^2 eV^2)^(-1/3)`` and
    ``I = (e/h) dmu = (e^2/h) (e^2 L C mu0^2)^(-1/3) V^(1/3)``: ``I^3 ~ V``,
    as the paper's resistor-network argument below Eq. (9) says.  The
    exponent "4/3" in the PDF-converted text of Eq. (9) is a conversion
    error: ``(e^2 L C mu0^2)^(-1/3)`` has units of V^(2/3), so only
    ``V^(1/3)`` gives a current in units of (e^2/h) V.
    """
    _finite(eV=eV, mu0=mu0, L=L, C=C)
    _warn_regime("Eq. (9), resistive", expansion_parameters(
        eV=eV, mu0=mu0, L=L, C=C, limit="resistive"))
    return (L * C * mu0**2) ** (-1 / 3) * np.asarray(eV) ** (1 / 3)
