#!/usr/bin/env bash
# Soak run (not part of CI): `Benchmarks/soak/run.sh [soak.py options]`, from the project root.
# Makes a Python venv under $BENCH_WORK (default .bench) on first use, then runs soak.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${BENCH_WORK:-.bench}"
venv="$work/soak-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r "$here/requirements.txt"
fi
exec "$venv/bin/python" "$here/soak.py" "$@"
