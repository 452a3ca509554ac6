"""Checking Kwant parameter dictionaries against the system they are for.

Kwant evaluates each value function with the parameters it names and ignores
every other key of ``params``: a typo (``L_3`` for ``L3``) leaves the real
parameter at whatever the dict or a default says, and the calculation runs
with silently wrong physics.  :func:`check_params` compares the keys with the
parameters the finalized system and its leads declare (Kwant's
``.parameters``) and refuses unknown ones, with the closest known name.

Deliberate extras (one dict shared by a finite system and a clean lead, keys
used by the caller's own bookkeeping) are allowed by name: every entry point
of :mod:`kwant_noneq` that takes ``params`` with a system also takes
``allow_extra_params=("name", ...)`` (or ``True`` for any key).  Internally
the permission travels with the dict (:func:`allow_extra_params`), so layers
that pass ``params`` on do not need to know about it.
"""
import collections.abc
import difflib

__all__ = ["ParameterDict", "allow_extra_params", "model_params", "system_parameters",
           "check_params"]


class ParameterDict(dict):
    """A ``dict`` of Kwant parameters that also names the keys allowed to be
    unknown to the system (``allowed_extra``: a frozenset of names, or
    ``True`` for any key).

    Kwant sees an ordinary dict.  Copies made with ``dict(...)`` or
    ``{**params}`` are plain dicts again and are checked strictly.
    """

    allowed_extra = frozenset()


def allow_extra_params(params, names=True):
    """``params`` as a :class:`ParameterDict` whose ``names`` may be unknown
    to the system it is used with.

    Parameters
    ----------
    params : mapping or None
    names : iterable of str, or True
        Keys allowed to be extra (added to those ``params`` already allows);
        ``True`` allows any key.
    """
    base = dict(params or {})
    previous = getattr(params, "allowed_extra", frozenset())
    out = ParameterDict(base)
    if names is True or previous is True:
        out.allowed_extra = True
    else:
        if isinstance(names, str):
            names = (names,)
        out.allowed_extra = frozenset(previous) | frozenset(names)
    return out


def system_parameters(syst):
    """Names of the parameters of ``syst`` and of all its leads.

    Returns ``None`` when Kwant does not say (a system not made by
    :class:`kwant.Builder`, which has no ``.parameters``): then no check is
    possible.
    """
    names = getattr(syst, "parameters", None)
    if names is None:
        return None
    names = set(names)
    for lead in getattr(syst, "leads", ()):
        lead_names = getattr(lead, "parameters", None)
        if lead_names is not None:
            names |= set(lead_names)
    return frozenset(names)


def check_params(syst, params, allow_extra=()):
    """``params`` after checking its keys against the parameters of ``syst``.

    Parameters
    ----------
    syst : kwant.system.FiniteSystem or kwant.system.InfiniteSystem
        Finalized system (its leads' parameters count as its own).
    params : mapping or None
        Kwant parameters.
    allow_extra : iterable of str, or True
        Keys allowed although no value function of ``syst`` uses them
        (``True``: any key).  A :class:`ParameterDict` adds its own
        ``allowed_extra``.

    Returns
    -------
    params, unchanged (``None`` stays ``None``).

    Raises
    ------
    TypeError
        ``params`` is not a mapping, or a key is not a string.
    ValueError
        A key is not a parameter of the system or its leads; the message
        names the closest parameter and the opt-out.
    """
    if params is None:
        return None
    if not isinstance(params, collections.abc.Mapping):
        raise TypeError(f"params must be a dict of Kwant parameters "
                        f"(name -> value), got {type(params).__name__}")
    bad = [k for k in params if not isinstance(k, str)]
    if bad:
        raise TypeError(f"params keys must be parameter names (str), got "
                        f"{bad!r}")
    known = system_parameters(syst)
    own = getattr(params, "allowed_extra", frozenset())
    if known is None or allow_extra is True or own is True:
        return params
    if isinstance(allow_extra, str):
        allow_extra = (allow_extra,)
    allowed = known | frozenset(allow_extra) | frozenset(own)
    unknown = sorted(set(params) - allowed)
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.5)
            hints.append(f"{name!r} (did you mean {close[0]!r}?)" if close
                         else repr(name))
        raise ValueError(
            f"params has key(s) {', '.join(hints)} that no value function of "
            f"the system or its leads takes, so Kwant would ignore them; the "
            f"system's parameters are {sorted(known)}.  Fix the name, or pass "
            f"allow_extra_params={tuple(unknown)!r} if the key is deliberate")
    return params


def model_params(model, defaults, overrides, units, region_only=()):
    """A model's parameter dict: ``defaults`` updated with ``overrides``,
    every override checked before any system is built.

    Parameters
    ----------
    model : str
        The model's name, for the messages (e.g. "BHZ").
    defaults : dict
        Every parameter the model takes, with its default.
    overrides : dict
        The caller's values.  Unknown names are refused with a
        did-you-mean; the names in ``units`` must be real, finite numbers;
        ``disorder`` (if given) must be >= 0, ``disorder_seed`` an int or a
        str (it salts ``kwant.digest``), ``exchange`` None or a callable.
    units : dict
        Unit of each numeric parameter, for the messages (e.g. "eV nm").
    region_only : iterable of str
        Parameters that only the scattering region takes (disorder,
        exchange): the clean leads may ignore them, so that one dict serves
        the system and its leads (:func:`allow_extra_params`).

    Returns
    -------
    ParameterDict
    """
    params = dict(defaults)
    unknown = set(overrides) - set(params)
    if unknown:
        hints = [f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
                 for name in sorted(unknown)
                 for close in [difflib.get_close_matches(name, list(params), 1, 0.5)]]
        raise TypeError(f"unknown {model} parameter(s) {', '.join(hints)}; "
                        f"known: {sorted(params)}")
    import numpy as np
    for name in units:
        if name in overrides:
            value = overrides[name]
            if (isinstance(value, (bool, np.bool_))
                    or not isinstance(value, (int, float, np.integer, np.floating))):
                raise TypeError(f"{model} parameter {name} must be a real "
                                f"number [{units[name]}], got {value!r}")
            if not np.isfinite(value):
                raise ValueError(f"{model} parameter {name} must be finite "
                                 f"[{units[name]}], got {value}")
    if "disorder" in overrides and overrides["disorder"] < 0:
        raise ValueError(f"disorder is a width (uniform) or a standard "
                         f"deviation (Gaussian) [eV] and must be >= 0, got "
                         f"{overrides['disorder']}")
    seed = overrides.get("disorder_seed", 0)
    if not isinstance(seed, (int, str, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"disorder_seed must be an int or a str (it salts "
                        f"kwant.digest), got {seed!r}")
    exchange = overrides.get("exchange")
    if exchange is not None and not callable(exchange):
        raise TypeError(f"exchange must be None or a function site -> (hx, hy, "
                        f"hz) [eV], got {exchange!r}")
    params.update(overrides)
    return allow_extra_params(params, tuple(region_only))
