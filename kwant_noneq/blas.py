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

__all__ = ["mumps_blas", "numpy_blas", "scipy_blas", "blas_report"]


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


def _package_blas(package):
    """The BLAS that ``package`` (an imported module) loaded, as ``(name,
    version)``: the threadpoolctl entry whose library lies in the package's
    own folder or its wheel's ``.libs`` folder (NumPy and SciPy wheels each
    bundle their own OpenBLAS, so the first entry found is not NumPy's)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown", None
    import os
    root = os.path.dirname(package.__file__)
    folders = (root + os.sep, root + ".libs" + os.sep)
    for info in threadpool_info():
        if info.get("user_api") == "blas" and str(
                info.get("filepath", "")).startswith(folders):
            return info.get("internal_api", "unknown"), info.get("version")
    return "unknown", None


def numpy_blas():
    """The BLAS under NumPy, as ``(name, version)`` (via threadpoolctl)."""
    import numpy
    return _package_blas(numpy)


def scipy_blas():
    """The BLAS under SciPy's ``scipy.linalg``, as ``(name, version)``."""
    import scipy
    import scipy.linalg  # noqa: F401  (loads its BLAS)
    return _package_blas(scipy)


def blas_report():
    """One line saying which BLAS MUMPS, NumPy and SciPy run on."""
    m_name, m_path = mumps_blas()
    parts = [f"BLAS: MUMPS on {m_name} ({m_path})"]
    for label, (name, version) in [("NumPy", numpy_blas()), ("SciPy", scipy_blas())]:
        parts.append(f"{label} on {name} {version or ''}".rstrip())
    return "; ".join(parts)
