#!/usr/bin/env bash
# Idempotent set-up: MUMPS (Debian), a virtual environment in .venv, Kwant built
# against MUMPS, and this package in editable mode.  Safe to run again: each step
# is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv

warn() { printf '\n\033[1;31m*** %s ***\033[0m\n\n' "$*" >&2; }

# Debian packages: sequential MUMPS; OpenBLAS, which takes over Debian's
# libblas.so.3 alternative so that MUMPS (linked against the generic BLAS) runs
# on it instead of the reference BLAS (factorisations 1.7-2.7x faster); the
# serial build, because ensembles run one worker per core and a threaded BLAS
# would oversubscribe them.  Open MPI for the `mpi` extra (mpi4py).
APT_PACKAGES="libmumps-seq-dev libopenblas0-serial libopenmpi-dev openmpi-bin"
missing=""
for pkg in $APT_PACKAGES; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "installing Debian packages:$missing"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    else
        warn "Debian packages missing:$missing, and apt-get is not usable here. Without libmumps-seq-dev Kwant uses SciPy's SuperLU (several times slower); without libopenblas0-serial MUMPS runs on the reference BLAS; without Open MPI the mpi extra is not installed. Install them as root (apt-get install$missing) or use conda-forge kwant."
    fi
fi

if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
PIP="$VENV/bin/pip --disable-pip-version-check -q"

if ! "$VENV/bin/python" -c "import kwant" >/dev/null 2>&1; then
    $PIP install "numpy<2" scipy tinyarray setuptools wheel
    echo "building kwant 1.5.0 (about a minute)"
    $PIP install --no-build-isolation "kwant==1.5.0"
fi
EXTRAS="test,plot,distributed,ensemble,analysis,docs"
if command -v mpicc >/dev/null 2>&1; then
    EXTRAS="$EXTRAS,mpi"
fi
# Checked from outside the repository: the installed package must provide
# kwant_noneq.systems, and an older install that put top-level `systems` and
# `validation` packages into site-packages is replaced.
REPO=$(pwd)
installed() {
    (cd / && "$REPO/$VENV/bin/python" -c "
import importlib.util as u, sys
import kwant_noneq.systems, pytest, matplotlib, dask.distributed, tqdm, hypothesis, xarray, pandas
import sphinx, numpydoc, myst_parser
sys.exit(u.find_spec('systems') is not None or u.find_spec('validation') is not None)") >/dev/null 2>&1
}
if ! installed \
   || { [[ $EXTRAS == *mpi* ]] && ! "$VENV/bin/python" -c "import mpi4py" >/dev/null 2>&1; }; then
    $PIP install --no-build-isolation -e ".[$EXTRAS]"
fi

"$VENV/bin/python" - <<'PYEOF'
import kwant.solvers.default as d
if not d.smodule.__name__.endswith("mumps"):
    print("\n\033[1;31m*** Kwant runs WITHOUT MUMPS (SciPy SuperLU fallback): "
          "results are correct but several times slower ***\033[0m\n")
from kwant_noneq.blas import blas_report
print(blas_report())
PYEOF
