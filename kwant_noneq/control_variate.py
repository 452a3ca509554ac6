"""Control variates for disorder ensembles of a reflection: the dressed Born
surrogate.

A single disorder realisation's reflection ``R`` at one energy of a nearly
ballistic (e.g. helical) channel is about exponentially distributed (relative
spread 1), and a bias window holds only ``eV L / (pi hbar v) ~ 1``
independent energies, so a plain ensemble average needs hundreds of
realisations for a few per cent.  Each realisation can also evaluate a
surrogate ``Y`` of its own reflection whose exact disorder average ``<Y>`` is
known; then ``R - (Y - <Y>)`` has the mean of ``R`` and, when ``Y`` follows
``R`` closely, much less variance (control variates).

The surrogate here is the first Born amplitude of the realisation's disorder
about a clean reference system (the S-matrix expansion
:meth:`~kwant_noneq.scattering.ScatteringStates.smatrix_expansion`), each
term dressed with the forward-scattering phase that the incoming and the
outgoing state pick up from the disorder they cross before the scattering
site.  Forward scattering only multiplies a helical state by a phase, and
that phase is what makes single realisations differ from the bare Born
amplitude; because it involves only the disorder strictly upstream of the
site, it drops out of the disorder average for independent zero-mean onsite
disorder, and ``<Y>`` is the bare Born value (:func:`surrogate_mean`).  For
the disorder-induced backscattering of Balram et al., PRL 123, 246803
(2019), Eq. (5), this removes about 12/13 of the variance (correlation
0.93-0.97 between ``R`` and ``Y``; docs/helical_iv.md).

Model-agnostic: any finalized Kwant system with leads, onsite scalar disorder
(the same on every orbital of a site), and a column index per site that
orders the sites along the transport direction from the lead whose
reflection is averaged.  Energies in eV; the phases are dimensionless.
"""
import dataclasses

import numpy as np

from . import checks

__all__ = ["BornSurrogate", "born_surrogate", "dressed_born_reflection",
           "surrogate_mean"]


@dataclasses.dataclass(frozen=True, eq=False)  # arrays: no single truth value
class BornSurrogate:
    """What :func:`dressed_born_reflection` needs of the clean reference
    system (with its potential) at one energy.

    Attributes
    ----------
    r0 : ndarray, shape (nout, nin)
        Reflection amplitudes of the reference system into the lead.
    m : ndarray, shape (nout, nin, nsites)
        ``m_mn(s) = sum_o y_m(s, o) psi_n(s, o)``: products of the outgoing
        ``y_m`` and incoming ``psi_n`` unit-current states of the lead on
        each site ``s``, so that onsite scalar disorder ``u_s`` [eV] changes
        the reflection by ``dr_mn = -sum_s u_s m_mn(s)`` at first order
        [1/eV per site].
    w_out, w_in : ndarray, shape (nout, nsites), (nin, nsites)
        Weights ``|y_m(s)|^2``, ``|psi_n(s)|^2`` [1/eV per site] (for a
        unit-current state ``~ 1 / (hbar v)`` per column).
    columns : ndarray of int, shape (nsites,)
        Column of each site along the transport direction, counted from 0
        at the lead's side.
    """

    r0: np.ndarray
    m: np.ndarray
    w_out: np.ndarray
    w_in: np.ndarray
    columns: np.ndarray


def born_surrogate(states, node, potential, columns, lead=0):
    """The clean reference system's part of the surrogate, at one energy.

    Parameters
    ----------
    states : ScatteringStates
        Of the clean reference system (no disorder).
    node : int
        The energy node of ``states``.
    potential : sparse matrix or None
        Potential added to the scattering region in the reference system
        (e.g. an exchange field) [eV].
    columns : array of int, shape (nsites,)
        Column of each site of ``states.syst`` along the transport direction,
        increasing away from ``lead`` (e.g. ``x - x.min()`` for lead 0 on the
        left).
    lead : int
        The lead whose reflection is averaged.

    Returns
    -------
    BornSurrogate
    """
    columns = np.asarray(columns)
    if columns.dtype.kind not in "iu":
        raise TypeError(f"columns must be integers (one column index per "
                        f"site), got dtype {columns.dtype}")
    nsites = len(states.syst.sites)
    if columns.shape != (nsites,):
        raise ValueError(f"columns must have one entry per site ({nsites}), "
                         f"got shape {columns.shape}")
    lead = checks.integer("lead", lead, minimum=0)
    ex = states.smatrix_expansion(node, potential)
    S = ex.smatrix
    norbs = states.norbs
    out = ex.outgoing[S.out_block_coords(lead)].reshape(-1, len(columns), norbs)
    inc = ex.incoming[S.in_block_coords(lead)].reshape(-1, len(columns), norbs)
    return BornSurrogate(r0=S.submatrix(lead, lead),
                         m=np.einsum("aso,bso->abs", out, inc),
                         w_out=np.sum(np.abs(out) ** 2, -1),
                         w_in=np.sum(np.abs(inc) ** 2, -1), columns=columns)


def dressed_born_reflection(surrogate, u):
    """Control variate of one realisation's reflection: the first Born
    amplitude dressed with the forward-scattering phase of each mode,

        ``A_mn = -sum_s u_s m_mn(s) exp(-i [Phi_m + Phi_n](x_s))``,
        ``Phi_n(x) = sum_{s': x_s' < x} u_s' |psi_n(s')|^2``.

    ``Phi`` is ``int U_1D dx / hbar v``, the phase a helical state picks up
    from the disorder it has crossed, which the bare Born amplitude misses.
    Because ``Phi`` at ``x_s`` involves only columns strictly upstream of
    ``x_s``, every cross term of the mean vanishes for independent zero-mean
    ``u_s``: the exact disorder average is the bare Born value
    :func:`surrogate_mean`, whatever the phases, and ``R - (Y - <Y>)`` is an
    unbiased estimator of ``<R>``.

    Parameters
    ----------
    surrogate : BornSurrogate
    u : array of float, shape (nsites,)
        The realisation's onsite scalar disorder [eV].

    Returns
    -------
    float
        ``Y = sum |r0 + A|^2 - sum |r0|^2``, the disorder-induced change of
        the total reflection probability (dimensionless).
    """
    cols = surrogate.columns
    u = np.asarray(u, float)
    if u.shape != cols.shape:
        raise ValueError(f"u must be the onsite disorder of every site, shape "
                         f"{cols.shape}, got {u.shape} [eV]")
    ncol = cols.max() + 1

    def phase(w):
        per_col = np.zeros((w.shape[0], ncol))
        for a in range(w.shape[0]):
            per_col[a] = np.bincount(cols, u * w[a], ncol)
        before = np.cumsum(per_col, 1) - per_col          # columns < x only
        return before[:, cols]

    p_out, p_in = phase(surrogate.w_out), phase(surrogate.w_in)
    A = -np.einsum("abs,s,abs->ab", surrogate.m, u,
                   np.exp(-1j * (p_out[:, None, :] + p_in[None, :, :])))
    r0 = surrogate.r0
    return float(np.sum(np.abs(r0 + A) ** 2) - np.sum(np.abs(r0) ** 2))


def surrogate_mean(surrogate, variance):
    """Exact disorder average of :func:`dressed_born_reflection` for
    independent zero-mean onsite disorder: ``sum_s variance_s sum_mn
    |m_mn(s)|^2`` (dimensionless).

    Parameters
    ----------
    surrogate : BornSurrogate
    variance : float or array of float, shape (nsites,)
        Variance of the onsite disorder [eV^2], one number or one per site
        (zero where the system is clean); ``W^2 / 12`` for uniform disorder
        of full width ``W``.
    """
    variance = np.asarray(variance, float)
    if np.any(variance < 0) or not np.all(np.isfinite(variance)):
        raise ValueError("variance must be finite and >= 0 [eV^2]")
    return float(np.sum(variance * np.sum(np.abs(surrogate.m) ** 2, (0, 1))))
