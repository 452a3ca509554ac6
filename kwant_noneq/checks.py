"""Argument checks shared by the public entry points.

Each returns the value as a Python number or raises an error that names the
argument, what it must be and (where one exists) the remedy, before any
expensive work starts: ``TypeError`` for a value of the wrong kind (a string
where a number belongs), ``ValueError`` for a number outside its range.
"""
import functools
import numbers

import numpy as np

__all__ = ["real_number", "integer", "choice", "renamed_keywords",
           "RegimeWarning"]


class RegimeWarning(RuntimeWarning):
    """A result is computed outside the regime its formula or method
    assumes (an expansion parameter is not small, a window is not
    edge-only); the value is returned, but read it with care."""


def real_number(name, value, *, unit="", positive=False, nonnegative=False,
                allow_none=False):
    """``value`` as a finite ``float``.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    unit : str
        Its unit, for the message (e.g. ``"eV"``).
    positive, nonnegative : bool
        Require ``value > 0`` or ``value >= 0``.
    allow_none : bool
        Pass ``None`` through.
    """
    if value is None and allow_none:
        return None
    unit_text = f" [{unit}]" if unit else ""
    if (isinstance(value, (bool, np.bool_))
            or not isinstance(value, (numbers.Real, np.integer, np.floating))
            and not (isinstance(value, np.ndarray) and value.ndim == 0
                     and np.issubdtype(value.dtype, np.number)
                     and not np.iscomplexobj(value))):
        raise TypeError(f"{name} must be a real number{unit_text}, got "
                        f"{value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite{unit_text}, got {value}")
    if positive and not value > 0:
        raise ValueError(f"{name} must be > 0{unit_text}, got {value}")
    if nonnegative and not value >= 0:
        raise ValueError(f"{name} must be >= 0{unit_text}, got {value}")
    return value


def lattice_sites(name, length, a):
    """``length`` [nm] as a number of lattice sites: a positive integer
    multiple of the lattice constant ``a`` [nm] (to 1e-9 relative)."""
    length = real_number(name, length, unit="nm")
    n = length / a
    if not np.isfinite(n) or n < 1 or abs(n - round(n)) > 1e-9 * max(1, n):
        raise ValueError(f"{name} = {length} nm is not a positive multiple "
                         f"of the lattice constant a = {a} nm")
    return int(round(n))


def integer(name, value, *, minimum=None, remedy=""):
    """``value`` as an ``int`` (an integral float such as ``4.0`` is
    accepted, ``2.5`` or ``"4"`` is not), at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, (numbers.Integral, np.integer)):
        out = int(value)
    elif (isinstance(value, (numbers.Real, np.floating)) and np.isfinite(value)
          and float(value).is_integer()):
        out = int(value)
    else:
        raise TypeError(f"{name} must be an integer, got {value!r} "
                        f"({type(value).__name__})")
    if minimum is not None and out < minimum:
        hint = f": {remedy}" if remedy else ""
        raise ValueError(f"{name} must be >= {minimum}, got {out}{hint}")
    return out


def choice(name, value, options):
    """``value`` if it is one of ``options``, else ``ValueError``."""
    try:
        ok = value in options
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {list(options)!r}, got {value!r}")
    return value


def renamed_keywords(**replacements):
    """Decorator: a call that uses an old keyword raises ``TypeError``
    naming what replaced it, instead of Python's bare "unexpected keyword".

    ``replacements`` maps each old name to the replacement's description,
    e.g. ``kT="temperature [K] (temperature = kT / kwant_noneq.constants.KB)"``.
    """
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, new in replacements.items():
                if old in kwargs:
                    raise TypeError(f"{func.__name__}() takes no {old}= any more: "
                                    f"give {new}")
            return func(*args, **kwargs)
        return wrapper
    return decorate
