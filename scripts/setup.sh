#!/usr/bin/env bash
# Idempotent set-up: MUMPS (Debian), a virtual environment in .venv, Kwant built
# against MUMPS, and this package in editable mode.  Safe to run again: each step
# is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv

warn() { printf '\n\033[1;31m*** %s ***\033[0m\n\n' "$*" >&2; }

if ! dpkg -s libmumps-seq-dev >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "installing MUMPS (libmumps-seq-dev) with apt-get"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmumps-seq-dev >/dev/null
    else
        warn "libmumps-seq-dev is not installed and apt-get is not usable here: Kwant will use SciPy's SuperLU, several times slower. Install MUMPS (apt-get install libmumps-seq-dev as root, or use conda-forge kwant) for full speed."
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
if ! "$VENV/bin/python" -c "import kwant_noneq, pytest, matplotlib, dask.distributed, tqdm" >/dev/null 2>&1; then
    $PIP install --no-build-isolation -e ".[test,plot,distributed,ensemble]"
fi

"$VENV/bin/python" - <<'PYEOF'
import kwant.solvers.default as d
if not d.smodule.__name__.endswith("mumps"):
    print("\n\033[1;31m*** Kwant runs WITHOUT MUMPS (SciPy SuperLU fallback): "
          "results are correct but several times slower ***\033[0m\n")
PYEOF
