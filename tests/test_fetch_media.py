"""--fetch-media against a local HTTP server on 127.0.0.1: images, errors, slow responses,
X-Robots-Tag noai, robots.txt, retries, the size cap and resume. Nothing leaves loopback."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from PIL import Image

from audit.ingest import ingest_corpus
from audit.ingest.fetch import FetchOptions, fetch_media, noai_header
from audit.store import open_memory


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 10, 10)).save(buf, "JPEG")
    return buf.getvalue()


JPEG = _jpeg()
ROBOTS = "User-agent: *\nDisallow: /private/\n\nUser-agent: GPTBot\nDisallow: /nogpt/\n"


class Handler(BaseHTTPRequestHandler):
    """Serves the cases; every request is logged in ``server.log``."""

    def log_message(self, *args: object) -> None:  # quiet
        return

    def _send(self, code: int, body: bytes, ctype: str = "image/jpeg", **headers: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", headers.pop("length", str(len(body))))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        # the client may give up (size cap, timeout): expected
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        server = self.server
        host = self.headers.get("Host", "")
        server.log[(host, self.path)] += 1  # type: ignore[attr-defined]
        path = self.path
        if path == "/robots.txt":
            if host.startswith("localhost"):
                return self._send(503, b"", "text/plain")  # RFC 9309: assume disallowed
            return self._send(200, ROBOTS.encode(), "text/plain")
        if path in ("/img/ok.jpg", "/img/ok2.jpg", "/private/x.jpg", "/nogpt/x.jpg"):
            return self._send(200, JPEG)
        if path == "/img/noai.jpg":
            return self._send(200, JPEG, X_Robots_Tag="noai")
        if path == "/img/noimageai.jpg":
            return self._send(200, JPEG, X_Robots_Tag="otherbot: noimageai, nofollow")
        if path == "/img/slow.jpg":
            time.sleep(2)
            return self._send(200, JPEG)
        if path == "/img/big.jpg":
            return self._send(200, b"x" * 1000, length=str(50 << 20))
        if path == "/img/flaky.jpg":
            if server.log[(host, path)] == 1:  # type: ignore[attr-defined]
                return self._send(503, b"busy", "text/plain")
            return self._send(200, JPEG)
        if path == "/page.html":
            return self._send(200, b"<html></html>", "text/html")
        return self._send(404, b"not found", "text/plain")


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.log = Counter()  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


CASES = ["img/ok.jpg", "img/ok2.jpg", "img/noai.jpg", "img/noimageai.jpg", "private/x.jpg",
         "nogpt/x.jpg", "img/missing.jpg", "img/slow.jpg", "img/big.jpg", "img/flaky.jpg",
         "page.html"]  # fmt: skip


def corpus(folder: Path, port: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        {"item_id": c, "text": "t", "media_path": f"http://127.0.0.1:{port}/{c}"} for c in CASES
    ]
    rows.append({"item_id": "other-host", "media_path": f"http://localhost:{port}/img/ok.jpg"})
    rows.append({"item_id": "same-url", "media_path": f"http://127.0.0.1:{port}/img/ok.jpg"})
    f = folder / "items.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return f


OPTIONS = FetchOptions(concurrency=4, timeout=0.5, max_bytes=1 << 20, retries=1)


def test_fetch_outcomes_consent_and_resume(server, tmp_path):
    port = server.server_address[1]
    con = open_memory()
    ingest_corpus(con, corpus(tmp_path / "c", port))
    cache = tmp_path / "cache"
    summary = fetch_media(con, cache, OPTIONS)
    rows = con.execute("SELECT item_id, media_uri, noai FROM items ORDER BY item_id").fetchall()
    got = {r[0]: r[1:] for r in rows}
    status = dict(con.execute("SELECT url, status FROM media_fetch").fetchall())
    url = f"http://127.0.0.1:{port}/".__add__
    assert status[url("img/ok.jpg")] == "ok" and status[url("img/flaky.jpg")] == "ok"  # retried
    assert status[url("img/noai.jpg")] == "refused_noai"
    assert status[url("img/noimageai.jpg")] == "refused_noai"
    assert status[url("private/x.jpg")] == "refused_robots"
    assert status[url("img/missing.jpg")] == "http_error"
    assert status[url("img/slow.jpg")] == "timeout"
    assert status[url("img/big.jpg")] == "too_large"
    assert status[url("page.html")] == "not_image"
    assert status[f"http://localhost:{port}/img/ok.jpg"] == "refused_robots"  # robots.txt 503
    # fetched: media_uri is the content-addressed cached file (one file for identical bytes)
    for item in ("img/ok.jpg", "img/ok2.jpg", "same-url", "img/flaky.jpg", "nogpt/x.jpg"):
        assert Path(got[item][0]).is_file() and cache in Path(got[item][0]).parents
    assert len({got[i][0] for i in ("img/ok.jpg", "img/ok2.jpg", "img/flaky.jpg")}) == 1
    # refusals are consent signals on the item; AI-crawler rules in robots.txt too
    assert {i for i, v in got.items() if v[1]} == {
        "img/noai.jpg", "img/noimageai.jpg", "private/x.jpg", "other-host", "nogpt/x.jpg"}  # fmt: skip
    assert got["img/noai.jpg"][0].startswith("http://")  # never stored
    notes = dict(con.execute(
        "SELECT item_id, message FROM errors WHERE code = 'note_media_refused'").fetchall())  # fmt: skip
    assert "X-Robots-Tag: noai" in notes["img/noai.jpg"]
    assert "robots.txt disallows" in notes["private/x.jpg"]
    assert "AI-training crawlers" in notes["nogpt/x.jpg"]
    failed = {r[0] for r in con.execute(
        "SELECT item_id FROM errors WHERE code = 'media_fetch_failed'").fetchall()}  # fmt: skip
    assert failed == {"img/missing.jpg", "img/slow.jpg", "img/big.jpg", "page.html"}
    assert server.log[(f"127.0.0.1:{port}", "/private/x.jpg")] == 0  # robots: never asked
    assert summary.outcomes["ok"] == 4 and summary.resumed == 0  # 5 items, 4 distinct URLs
    # resume: a second run asks again only what is not settled — a timeout, and the URLs
    # whose cached file disappeared (the 4 fetched URLs share one file: identical bytes)
    before = Counter(server.log)
    ingest_corpus(con, tmp_path / "c" / "items.jsonl")
    Path(got["nogpt/x.jpg"][0]).unlink()
    again = fetch_media(con, cache, OPTIONS)
    asked = {p for (_, p), n in (Counter(server.log) - before).items() if n}
    assert asked == {"/robots.txt", "/img/ok.jpg", "/img/ok2.jpg", "/img/flaky.jpg",
                     "/nogpt/x.jpg", "/img/slow.jpg"}  # fmt: skip
    assert again.resumed == again.urls - 5
    assert Path(got["nogpt/x.jpg"][0]).is_file()


def test_never_fetched_without_the_flag(server, tmp_path):
    port = server.server_address[1]
    f = corpus(tmp_path / "c", port)
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", "from audit.cli import run; run()", "scan", str(f),
           "--out", str(out), "--detectors", "media_meta", "-q", "--json"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert sum(server.log.values()) == 0
    con = duckdb.connect(str(out / "audit.duckdb"), read_only=True)
    assert con.execute("SELECT DISTINCT status FROM media_files").fetchall() == [("not_local",)]
    con.close()
    proc = subprocess.run([*cmd, "--fetch-media", "--fetch-timeout", "0.5"],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(out / "audit.duckdb"), read_only=True)
    analysed = con.execute(
        "SELECT count(*) FROM media_files WHERE status = 'ok' AND media_uri LIKE ?",
        [str(out / "media-cache") + "%"],
    ).fetchone()[0]
    assert analysed == 1  # the identical fetched images are one content, analysed once
    assert (
        con.execute("SELECT count(*) FROM analysed WHERE detector = 'media_meta'").fetchone()[0]
        >= 1
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["ingest"]["fetch_media"]["ok"] == 4


@pytest.mark.parametrize(
    ("values", "refused"),
    [(["noai"], True), (["noindex, noimageai"], True), (["googlebot: noai"], True),
     (["noindex"], False), (["nofollow, noarchive"], False), ([], False)],
)  # fmt: skip
def test_x_robots_tag_values(values, refused):
    assert (noai_header(values) is not None) == refused
