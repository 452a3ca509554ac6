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

__all__ = ["FixedPoint", "ConvergenceError", "solve_fixed_point"]


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


def _check(tol, max_iter, mixing):
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tolerance must be positive and finite, got {tol}")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    if not (0 < mixing <= 1):
        raise ValueError(f"mixing parameter must be in (0, 1], got {mixing}")


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
        Maximum number of evaluations of ``F``.
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
    _check(tol, max_iter, mixing)
    if on_failure not in ("raise", "warn", "return"):
        raise ValueError(f"on_failure must be 'raise', 'warn' or 'return', "
                         f"got {on_failure!r}")
    x = np.array(x0, dtype=float)
    if not np.all(np.isfinite(x)):
        raise ValueError("the initial field contains NaN or infinite values")
    shape = x.shape
    residuals = []
    t0 = time.perf_counter()

    def G(xflat):
        """Residual F(x) - x, recorded."""
        xf = np.asarray(xflat, float).reshape(shape)
        fx = np.asarray(F(xf), float)
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
        sol = scipy.optimize.root(G, x.ravel(), method=name,
                                  options=dict(fatol=tol, maxiter=int(max_iter))
                                  if name not in ("hybr", "lm") else dict(xtol=tol))
        xs = sol.x.reshape(shape)
        converged = bool(residuals and residuals[-1] <= tol)
        if not converged:
            # SciPy's last iterate may not be the last evaluation: check it.
            converged = bool(G(xs).size == 0 or residuals[-1] <= tol)
        result = FixedPoint(xs, converged, len(residuals), np.array(residuals), method)

    if not result.converged:
        msg = (f"self-consistent loop ({method}) did not converge in "
               f"{result.iterations} evaluations: residual "
               f"{result.residuals[-1]:.3e} > tol {tol:.3e}")
        if on_failure == "raise":
            raise ConvergenceError(msg, result)
        if on_failure == "warn":
            import warnings
            warnings.warn(msg, RuntimeWarning, stacklevel=2)
    return result
