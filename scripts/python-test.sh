#!/usr/bin/env bash
# The Python package's tests (docs/python.md): build and install ./python into a fresh
# virtual environment, as a user would, then run pytest on it. Debian's python3 (not any
# other on PATH): the packages install-deps.sh brings (pybind11, NumPy, pytest,
# scikit-build-core) live in its site-packages. pytest's exit 5 ("no tests ran") fails too.
set -euo pipefail
cd "$(dirname "$0")/.."
python=/usr/bin/python3
venv=build/python-venv
rm -rf "$venv"
"$python" -m venv --system-site-packages "$venv"
"$venv/bin/pip" install --quiet --no-build-isolation --no-index ./python
cd python
"../$venv/bin/python" -m pytest -q -rs
