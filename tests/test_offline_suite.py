"""A whole scan never tries the network: every Python process of it refuses non-loopback sockets.

A ``sitecustomize`` on PYTHONPATH is loaded by the scan and by every worker it starts
(forkserver / spawn children, model libraries), patches socket connect / sendto / DNS so
that anything but loopback raises, and appends each attempt to a log file. The scan must
complete and the log stay empty. (scripts/test.sh additionally runs the whole suite in a
network namespace with only loopback, which also covers native code.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_CORPUS, skip_unless_pipeline

GUARD = r'''
"""Test guard: refuse and record every non-loopback network attempt of this process."""
import ipaddress
import os
import socket

_LOG = os.environ["AUDIT_NET_LOG"]


def _loopback(host):
    if not isinstance(host, str):
        return False
    if host in ("localhost", "localhost.localdomain", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(what):
    with open(_LOG, "a") as fh:
        fh.write(f"{os.getpid()} {what}\n")
    raise OSError(f"network blocked by test: {what}")


def _guard(name):
    original = getattr(socket.socket, name)

    def guarded(self, *args):
        address = args[-1]
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            _refuse(f"{name} {address!r}")
        return original(self, *args)

    setattr(socket.socket, name, guarded)


for _name in ("connect", "connect_ex", "sendto"):
    _guard(_name)
_getaddrinfo = socket.getaddrinfo


def getaddrinfo(host, *args, **kwargs):
    if host is not None and not _loopback(host.decode() if isinstance(host, bytes) else host):
        _refuse(f"getaddrinfo {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


def gethostbyname(host):
    if not _loopback(host):
        _refuse(f"gethostbyname {host!r}")
    return "127.0.0.1"


socket.getaddrinfo = getaddrinfo
socket.gethostbyname = gethostbyname
with open(os.environ["AUDIT_NET_LOADED"], "a") as fh:
    fh.write(f"{os.getpid()}\n")
'''

PROBE = """
import socket, urllib.request
for call in (lambda: urllib.request.urlopen("https://pypi.org", timeout=2),
             lambda: socket.create_connection(("93.184.216.34", 80), timeout=2)):
    try:
        call()
    except OSError:
        pass
socket.socket().close()
"""


def _guarded_env(tmp: Path) -> tuple[dict[str, str], Path, Path]:
    guard_dir = tmp / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD)
    log, loaded = tmp / "attempts.log", tmp / "loaded.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(guard_dir), os.environ.get("PYTHONPATH")])),
        "AUDIT_NET_LOG": str(log),
        "AUDIT_NET_LOADED": str(loaded),
        "HOME": str(tmp),  # no per-user caches (tldextract, hub) to fall back on
    }
    return env, log, loaded


def test_guard_records_attempts(tmp_path: Path) -> None:
    # The guard itself must work, or an empty log proves nothing.
    env, log, _ = _guarded_env(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    attempts = log.read_text().splitlines()
    assert any("getaddrinfo 'pypi.org'" in a for a in attempts), attempts
    assert any("93.184.216.34" in a for a in attempts), attempts


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sample_scan_makes_no_network_attempt(tmp_path: Path) -> None:
    skip_unless_pipeline()
    env, log, loaded = _guarded_env(tmp_path)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", "from audit.cli import run; run()", "scan", str(SAMPLE_CORPUS),
         "--out", str(out), "--json", "--quiet", "--workers", "2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=840,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["headline"]["items"] > 0
    manifest = json.loads((out / "manifest.json").read_text())
    # every default detector ran (so each one's model loading was exercised)
    assert all(d["analysed"] > 0 for d in manifest["detectors"].values()), manifest["detectors"]
    # the guard was active in the scan and in its worker processes
    assert len(set(loaded.read_text().split())) >= 2
    assert not log.exists() or log.read_text() == "", log.read_text()
