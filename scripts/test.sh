#!/usr/bin/env bash
# Run the full test suite on a fresh machine. Everything that needs the network happens first:
# uv (pip), the locked environment with every extra (ray, ocr), and - as root with apt -
# Debian's headless Chromium and Tesseract for the browser and OCR tests. Then the tests run
# with the network unavailable: inside a network namespace that has only loopback (the
# dashboard and browser tests use 127.0.0.1), so any attempt to reach the internet fails.
# Without root/unshare the tests run normally and a note says so.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install -q uv

APT_PACKAGES="chromium chromium-driver tesseract-ocr fonts-dejavu-core"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=$(for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  if [ -n "$missing" ]; then
    # shellcheck disable=SC2086  # word splitting of the package list is intended
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null) \
      || echo "note: could not install $missing; the tests needing them will be skipped" >&2
  fi
fi

# --all-extras: a plain sync would remove the ray and ocr extras their tests need.
python3 -m uv sync --locked --all-extras --quiet
python3 -m uv run --locked --all-extras ruff check .

# From here on nothing may be downloaded: uv works from its cache and the synced venv.
# One pytest-xdist worker per logical CPU (at most 4; "logical": a VM's 2 vCPUs can count as
# one physical core), a test file's tests on one worker (its module fixtures built once):
# many tests wait on subprocesses, Ray or a browser, so two workers on two cores take ~8.5 min
# where one took ~14. `-n 0` among the arguments runs them serially.
PYTEST=(python3 -m uv run --offline --locked --all-extras pytest -q
        -n logical --maxprocesses=4 --dist loadfile)
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 \
   && unshare --net true 2>/dev/null; then
  echo "running the tests offline: network namespace with loopback only" >&2
  # "$@" after the script name: the pytest arguments, passed through unchanged.
  exec unshare --net sh -c 'ip link set lo up && exec "$@"' sh "${PYTEST[@]}" "$@"
fi
echo "note: cannot create a network namespace (needs root + unshare + ip); running the tests" \
  "with the network available" >&2
exec "${PYTEST[@]}" "$@"
