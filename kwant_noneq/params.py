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

__all__ = ["ParameterDict", "allow_extra_params", "system_parameters",
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
