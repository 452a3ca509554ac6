"""Dephased transport by segment chaining: the kinetic equation of
Balram et al., PRL 123, 246803 (2019), Eq. (6)-(8), with any backscattering
rate.

A phase-coherent disordered edge localises: its typical transmission decays
like ``exp(-L p)`` (``p`` the backscattering probability per unit length),
never like the Ohmic ``1 / (1 + L p)`` the paper's resistive regime assumes
(docs/architecture.md, section 6.3).  The paper assumes instead that forward scattering
equilibrates each branch locally, so that right and left movers have local
chemical potentials ``mu_r(x)``, ``mu_l(x)``.  That is a chain of
phase-coherent segments, each short enough to backscatter with probability
``p(mu_bar(x), dmu) dx << 1``, composed classically (probabilities, not
amplitudes, add between segments; the limit of Buttiker dephasing probes
spaced by the segment length).  With current conservation ``dmu =
mu_l - mu_r`` is constant and

    d mu_bar / dx = dmu * p(mu_bar, dmu),                          Eq. (6)

    mu_bar(0) = mu0 - (eV - dmu)/2,   mu_bar(L) = mu0 + (eV - dmu)/2,

which fixes ``dmu`` and the current ``I = (e/h) dmu``.  For
``p = C mu_bar^2 dmu^2`` (Eq. 5) this is exactly Eq. (8); here ``p`` may
come from the lattice (e.g. :func:`~kwant_noneq.transport.born_backscattering`
with the local self-consistent field at each ``mu_bar``).

Units: energies [eV], lengths [nm], ``p`` [1/nm]; currents as ``I h / e``
[eV] (``= dmu``).
"""
import dataclasses

import numpy as np
import scipy.integrate
import scipy.optimize

__all__ = ["ChainedIV", "solve_chained", "chained_iv", "series_transmission"]


def series_transmission(transmissions):
    """Classical (incoherent) series composition of single-channel
    scatterers: ``1/T - 1 = sum_j (1/T_j - 1)`` (resistances ``R/T`` add)."""
    T = np.asarray(transmissions, float)
    if np.any((T <= 0) | (T > 1)):
        raise ValueError("transmissions must lie in (0, 1]")
    return 1.0 / (1.0 + np.sum(1.0 / T - 1.0))


@dataclasses.dataclass
class ChainedIV:
    """Solution of the chained (locally equilibrated) edge at one bias.

    Attributes
    ----------
    bias : float
        ``eV`` [eV].
    dmu : float
        ``mu_l - mu_r`` [eV]; the current is ``I h / e = dmu``.
    x, mu_bar : ndarray
        Profile ``mu_bar(x)`` [nm, eV].
    """

    bias: float
    dmu: float
    x: np.ndarray
    mu_bar: np.ndarray


def _integrate(rate, mu_start, dmu, length, rtol, ceiling=None):
    """Integrate Eq. (6) from x = 0 towards L, stopping early where mu_bar
    exceeds ``ceiling`` (mu_bar ~ 1/(x_c - x) can blow up at finite x for
    too large a dmu: stop before the solver crawls into the singularity)."""
    def rhs(x, y):
        return [dmu * rate(y[0], dmu)]

    events = None
    if ceiling is not None:
        def above(x, y):
            return y[0] - ceiling
        above.terminal = True
        above.direction = 1
        events = [above]
    return scipy.integrate.solve_ivp(rhs, (0.0, length), [mu_start], rtol=rtol,
                                     atol=1e-16, dense_output=True,
                                     method="LSODA", events=events)


def solve_chained(eV, mu0, length, rate, rtol=1e-10):
    """``dmu`` of the chained edge at bias ``eV``.

    Parameters
    ----------
    eV : float
        Bias [eV], ``>= 0``.
    mu0 : float
        Equilibrium chemical potential [eV].
    length : float
        Edge length [nm].
    rate : callable
        ``rate(mu_bar, dmu) -> p`` [1/nm], backscattering probability per unit
        length, ``>= 0`` and increasing in ``dmu`` (as Eq. 5's ``dmu^2``).
    rtol : float
        Relative tolerance of the ODE integration and of the root in ``dmu``.

    Returns
    -------
    ChainedIV
    """
    if not (np.isfinite(eV) and eV >= 0):
        raise ValueError(f"eV must be >= 0 and finite, got {eV}")
    if not (np.isfinite(length) and length > 0):
        raise ValueError(f"length must be > 0, got {length}")
    if eV == 0:
        return ChainedIV(0.0, 0.0, np.array([0.0, length]), np.full(2, mu0))

    def mismatch(dmu):
        start = mu0 - (eV - dmu) / 2
        target = mu0 + (eV - dmu) / 2
        sol = _integrate(rate, start, dmu, length, rtol, ceiling=target + eV)
        if sol.status == 1:
            # passed target + eV before x = L: dmu far too large.  Positive,
            # and continuous with the value eV reached as x_stop -> L.
            return eV * (1 + (length - sol.t[-1]) / length)
        # > 0 when backscattering over-raises mu_bar: dmu too large.
        return sol.y[0, -1] - target

    # mismatch(0) = -(eV) < 0, mismatch(eV) = int dmu p >= 0.
    hi = eV
    if mismatch(hi) <= 0:
        dmu = eV     # no backscattering at all
    else:
        dmu = scipy.optimize.brentq(mismatch, 0.0, hi, xtol=1e-15 * eV,
                                    rtol=max(rtol, 4e-16))
    sol = _integrate(rate, mu0 - (eV - dmu) / 2, dmu, length, rtol)
    x = np.linspace(0.0, length, 101)
    return ChainedIV(float(eV), float(dmu), x, sol.sol(x)[0])


def chained_iv(biases, mu0, length, rate, rtol=1e-10):
    """``dmu`` (= ``I h / e`` [eV]) at each bias; see :func:`solve_chained`."""
    return np.array([solve_chained(float(e), mu0, length, rate, rtol).dmu
                     for e in np.atleast_1d(biases)])
