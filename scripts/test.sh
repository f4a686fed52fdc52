#!/usr/bin/env bash
# Run the full test suite on a fresh machine: installs uv, the locked environment and,
# where possible (root + apt), Debian's headless Chromium for the browser tests.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install -q uv
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
    || echo "note: could not install chromium; browser tests will be skipped" >&2
fi
python3 -m uv sync --locked --quiet
python3 -m uv run --locked ruff check .
exec python3 -m uv run --locked pytest -q "$@"
