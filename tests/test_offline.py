"""The pii detector works with the network blocked, and never tries it (tldextract)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import socket, sys
attempts = []

def refuse(what):
    def fail(*a, **k):
        attempts.append(what)
        raise OSError(f"network blocked by test: {what}")
    return fail

class Blocked(socket.socket):
    # Creating a socket is allowed (urllib3 probes IPv6 support with a local bind at
    # import); any connection, send or DNS lookup counts as a network attempt.
    connect = refuse("connect")
    connect_ex = refuse("connect_ex")
    sendto = refuse("sendto")

socket.socket = Blocked
socket.create_connection = refuse("create_connection")
socket.getaddrinfo = refuse("getaddrinfo")
socket.gethostbyname = refuse("gethostbyname")

from audit.detectors.base import Content
from audit.detectors.pii.detector import PiiDetector
d = PiiDetector()
d.setup()
texts = ["write to jane.doe@example.co.uk", "see https://www.example.org/a and bob@test.io"]
results = d.detect_batch([Content(str(i), text=t) for i, t in enumerate(texts)])
found = sorted({f.entity_type for r in results for f in r.findings})
print("FOUND", found, "ATTEMPTS", len(attempts))
"""


def test_pii_runs_with_sockets_blocked_and_never_connects(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),  # no tldextract disk cache: the snapshot must be used
        "TLDEXTRACT_CACHE": str(tmp_path / "tld"),
    }
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=240
    )
    assert proc.returncode == 0, proc.stderr
    assert "FOUND ['EMAIL_ADDRESS', 'URL'] ATTEMPTS 0" in proc.stdout
    assert "Traceback" not in proc.stderr and "blocked" not in proc.stderr


def test_ensure_offline_switches_a_live_extractor() -> None:
    import tldextract.tldextract as tld

    from audit.offline import ensure_offline

    ensure_offline()
    assert tld.TLD_EXTRACTOR.suffix_list_urls == ()
