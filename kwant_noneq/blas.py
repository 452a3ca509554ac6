"""Which BLAS the numerical libraries run on.

Kwant's MUMPS (Debian's ``libmumps-seq``) links the generic ``libblas.so.3``,
which resolves to the reference (netlib) BLAS unless an optimised BLAS has
taken over the alternative; NumPy and SciPy wheels carry their own OpenBLAS.
Sparse factorisations are 1.7-2.7x faster on OpenBLAS (ribbons of width
30-40 sites), so the set-up installs it and this module reports it.
"""

import os
import re
import subprocess

__all__ = ["mumps_blas", "numpy_blas", "blas_report"]


def _linked_library(shared_object, pattern):
    """Path that ``shared_object``'s dependency matching ``pattern`` resolves to."""
    try:
        out = subprocess.run(["ldd", shared_object], capture_output=True,
                             text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        if re.search(pattern, line) and "=>" in line:
            path = line.split("=>")[1].split("(")[0].strip()
            return os.path.realpath(path) if path else None
    return None


def _blas_name(path):
    if path is None:
        return "unknown"
    low = path.lower()
    for name in ("openblas", "mkl", "blis", "atlas"):
        if name in low:
            return name
    return "reference (netlib)" if "blas" in low else "unknown"


def mumps_blas():
    """The BLAS under Kwant's MUMPS, as ``(name, path)``.

    ``name`` is ``'openblas'``, ``'reference (netlib)'``, ... or ``'none'``
    where Kwant was built without MUMPS.
    """
    try:
        from kwant.linalg import _mumps
    except ImportError:
        return "none", None
    mumps_lib = _linked_library(_mumps.__file__, r"mumps")
    path = _linked_library(mumps_lib or _mumps.__file__, r"libblas|openblas|mkl")
    return _blas_name(path), path


def numpy_blas():
    """The BLAS under NumPy, as ``(name, version)`` (via threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown", None
    import numpy  # noqa: F401  (loads its BLAS so that threadpoolctl sees it)
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            return info.get("internal_api", "unknown"), info.get("version")
    return "unknown", None


def blas_report():
    """One line saying which BLAS MUMPS and NumPy run on."""
    m_name, m_path = mumps_blas()
    n_name, n_version = numpy_blas()
    return (f"BLAS: MUMPS on {m_name} ({m_path}); "
            f"NumPy on {n_name} {n_version or ''}").rstrip()
