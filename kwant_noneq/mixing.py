"""Fixed-point iteration ``x = F(x)`` for self-consistent fields.

Methods: ``'linear'`` (simple mixing), ``'anderson'`` (Anderson/Pulay mixing
with a finite history), or the name of any ``scipy.optimize.root`` method
for large-scale problems (``'broyden1'``, ``'broyden2'``, ``'anderson'`` is
ours, use ``'scipy-anderson'`` for SciPy's, ``'krylov'``, ``'df-sane'`` ...).
Convergence is ``max |F(x) - x| <= tol`` in the units of ``x`` (energy for
an exchange field).
"""
import dataclasses
import sys
import time

import numpy as np
import scipy.optimize

from . import checks

__all__ = ["FixedPoint", "ConvergenceError", "solve_fixed_point",
           "report_nonconvergence",
           "check_fixed_point_options"]


class ConvergenceError(RuntimeError):
    """The self-consistent loop did not converge; ``.result`` holds the last
    iterate and the residual history."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


@dataclasses.dataclass
class FixedPoint:
    """Outcome of :func:`solve_fixed_point`.

    Attributes
    ----------
    x : ndarray
        Last iterate (the fixed point if ``converged``).
    converged : bool
    iterations : int
        Number of evaluations of ``F``.
    residuals : ndarray
        ``max |F(x_n) - x_n|`` for every evaluation, in order.
    method : str
    """

    x: np.ndarray
    converged: bool
    iterations: int
    residuals: np.ndarray
    method: str


_SCIPY_METHODS = ("hybr", "lm", "broyden1", "broyden2", "anderson",
                  "linearmixing", "diagbroyden", "excitingmixing", "krylov",
                  "df-sane")


class _EvaluationBudgetSpent(Exception):
    """Raised from inside SciPy's iteration once ``max_iter`` evaluations
    are done: SciPy's own ``maxiter`` counts its iterations, not ours, and
    df-sane or a line search may evaluate many times per iteration."""


def check_fixed_point_options(method="anderson", tol=1e-9, max_iter=100,
                              mixing=0.5, history=6, on_failure="raise"):
    """Validate the options of :func:`solve_fixed_point` (cheap; call it
    before building anything expensive).  Returns ``(tol, max_iter,
    mixing, history)`` as numbers."""
    if not isinstance(method, str):
        raise TypeError(f"method must be a string ('linear', 'anderson' or a "
                        f"scipy.optimize.root method), got {method!r}")
    name = method[len("scipy-"):] if method.startswith("scipy-") else method
    if method not in ("linear", "anderson") and name not in _SCIPY_METHODS:
        raise ValueError(f"method must be 'linear', 'anderson' or one of the "
                         f"scipy.optimize.root methods {list(_SCIPY_METHODS)} "
                         f"(prefix 'scipy-' for SciPy's anderson), got {method!r}")
    tol = checks.real_number("tol (the convergence tolerance)", tol, positive=True)
    max_iter = checks.integer("max_iter", max_iter, minimum=1,
                              remedy="it counts evaluations of the map")
    mixing = checks.real_number("mixing", mixing)
    if not (0 < mixing <= 1):
        raise ValueError(f"mixing parameter must be in (0, 1], got {mixing}")
    history = checks.integer("history", history, minimum=0)
    checks.choice("on_failure", on_failure, ("raise", "warn", "return"))
    return tol, max_iter, mixing, history


def solve_fixed_point(F, x0, *, method="anderson", tol=1e-9, max_iter=100,
                      mixing=0.5, history=6, on_failure="raise",
                      progress=False, callback=None):
    """Iterate ``x -> F(x)`` to its fixed point.

    Parameters
    ----------
    F : callable
        ``F(x) -> ndarray`` of the same shape (real).
    x0 : ndarray
        Starting point (warm start: pass an earlier solution).
    method : str
        ``'linear'``, ``'anderson'`` or a ``scipy.optimize.root`` method name
        (prefix ``'scipy-'`` to force SciPy's version of a name we also have).
    tol : float
        Convergence when ``max |F(x) - x| <= tol`` (units of ``x``).
    max_iter : int
        Maximum number of evaluations of ``F``, for every method (SciPy's
        methods are stopped after that many evaluations, whatever their
        own iteration count).
    mixing : float
        Step ``alpha`` in ``x <- x + alpha (F(x) - x)`` (linear and Anderson).
    history : int
        Anderson history length.
    on_failure : {'raise', 'warn', 'return'}
        What to do without convergence: raise :class:`ConvergenceError`
        (default), warn, or only set ``converged=False``.
    progress : bool
        Print one line per iteration to stderr.
    callback : callable, optional
        ``callback(iteration, x, residual)`` after every evaluation.
    """
    tol, max_iter, mixing, history = check_fixed_point_options(
        method, tol, max_iter, mixing, history, on_failure)
    try:
        x = np.array(x0, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"the initial field must be an array of real numbers, "
                        f"got {type(x0).__name__}") from err
    if not np.all(np.isfinite(x)):
        raise ValueError("the initial field contains NaN or infinite values")
    shape = x.shape
    residuals = []
    t0 = time.perf_counter()

    evaluated = {}
    stopped = ""

    def G(xflat, budget=False):
        """Residual F(x) - x, recorded.  With ``budget``, refuse to evaluate
        beyond ``max_iter`` evaluations (SciPy methods)."""
        if budget and len(residuals) >= max_iter:
            raise _EvaluationBudgetSpent
        xf = np.asarray(xflat, float).reshape(shape)
        evaluated["x"] = xf.copy()
        evaluated["in_F"] = True
        fx = np.asarray(F(xf), float)
        evaluated["in_F"] = False
        r = fx - xf
        res = float(np.max(np.abs(r), initial=0.0))
        residuals.append(res)
        if progress:
            print(f"  SCF iteration {len(residuals):3d}: max|F(x)-x| = {res:.3e} "
                  f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)
        if callback is not None:
            callback(len(residuals), xf, res)
        if not np.isfinite(res):
            raise FloatingPointError("the self-consistent map returned NaN/inf")
        return r

    if method in ("linear", "anderson"):
        xs, rs = [], []
        converged = False
        for _ in range(int(max_iter)):
            r = G(x)
            if residuals[-1] <= tol:
                converged = True
                break
            if method == "linear" or history < 1:
                x = x + mixing * r
                continue
            xs.append(x.ravel().copy())
            rs.append(r.ravel().copy())
            xs, rs = xs[-(history + 1):], rs[-(history + 1):]
            if len(xs) == 1:
                x = x + mixing * r
                continue
            dX = np.diff(np.array(xs), axis=0).T
            dR = np.diff(np.array(rs), axis=0).T
            gamma = np.linalg.lstsq(dR, rs[-1], rcond=1e-12)[0]
            x_new = xs[-1] + mixing * rs[-1] - (dX + mixing * dR) @ gamma
            x = x_new.reshape(shape)
        result = FixedPoint(x, converged, len(residuals), np.array(residuals), method)
    else:
        name = method[len("scipy-"):] if method.startswith("scipy-") else method
        options = {"hybr": dict(xtol=tol, maxfev=max_iter),
                   "lm": dict(xtol=tol, maxiter=max_iter),
                   "df-sane": dict(fatol=tol, maxfev=max_iter)
                   }.get(name, dict(fatol=tol, maxiter=max_iter))
        try:
            sol = scipy.optimize.root(lambda xf: G(xf, budget=True), x.ravel(),
                                      method=name, options=options)
            converged = bool(residuals and residuals[-1] <= tol)
            if not converged and len(residuals) < max_iter:
                # SciPy's last iterate may not be the last evaluation: check it.
                G(sol.x)
                converged = residuals[-1] <= tol
            # The last evaluated point, whose residual is residuals[-1].
            xs = evaluated["x"]
        except _EvaluationBudgetSpent:
            # The last evaluated point, whose residual is residuals[-1].
            xs = evaluated["x"]
            converged = False
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as err:
            if evaluated.get("in_F", True) or not residuals:
                raise                   # the map itself failed: not SciPy's
            # SciPy gave up (e.g. krylov: "Jacobian inversion yielded zero
            # vector" on a map without a fixed point): no convergence.
            xs, converged = evaluated["x"], False
            stopped = f"; SciPy's {name} stopped: {err}"
        result = FixedPoint(xs, bool(converged), len(residuals),
                            np.array(residuals), method)

    report_nonconvergence(result, tol, on_failure, stopped, stacklevel=2)
    return result


def report_nonconvergence(result, tol, on_failure, detail="", stacklevel=2):
    """Raise :class:`ConvergenceError`, warn, or do nothing (``on_failure``
    'raise', 'warn', 'return') when the :class:`FixedPoint` ``result`` did not
    converge; ``detail`` is appended to the message."""
    if result.converged:
        return
    msg = (f"self-consistent loop ({result.method}) did not converge in "
           f"{result.iterations} evaluations: residual "
           f"{result.residuals[-1]:.3e} > tol {tol:.3e}{detail}")
    if on_failure == "raise":
        raise ConvergenceError(msg, result)
    if on_failure == "warn":
        import warnings
        warnings.warn(msg, RuntimeWarning, stacklevel=stacklevel + 1)
