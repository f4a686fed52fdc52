"""``--fetch-media``: download the remote images of a corpus, opt-in, politely, resumably.

Never runs unless asked: without it a remote image stays a URL that no detector reads (the
report counts it as "not analysed (remote)"). With it, every distinct ``http(s)`` media URI of
the items is fetched once into a content-addressed cache folder
(``<cache>/<sha256[:2]>/<sha256>.<ext>``) and the items' ``media_uri`` points at the cached
file, so the image detectors analyse it like a local one.

Politeness and consent, as img2dataset does it and a little more:

- ``robots.txt`` of each host is read first (RFC 9309: 4xx = no rules, 5xx or unreachable =
  everything disallowed) and a URL our user agent may not fetch is not fetched;
- a response with ``X-Robots-Tag: noai`` or ``noimageai`` (also ``<agent>: noai``) is
  discarded, never stored;
- a robots.txt that disallows the URL to AI-training crawlers (CCBot, GPTBot,
  Google-Extended, ...) is a reservation too.

Each refusal is a consent signal recorded on the item: ``noai`` becomes true and an
``errors`` note ``note_media_refused`` says why. Limits: a concurrency cap, a per-request
timeout, a size cap (Content-Length and the bytes actually read), retries with backoff on
connection errors, 429 and 5xx. Resume: the outcome of every URL is kept in the audit
database (``media_fetch``); a second run fetches only what is not settled (or whose cached
file is gone).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

from audit.item_rows import writable_items
from audit.media import cache_bytes
from audit.store import fill, query

_SQL = "ingest.sql"
USER_AGENT = "corpus-audit"
#: Crawlers of AI-training data sets; a robots.txt rule against them is a TDM reservation.
AI_AGENTS = ("CCBot", "GPTBot", "Google-Extended", "anthropic-ai", "ClaudeBot", "img2dataset")
_NOAI = re.compile(r"(?:^|[\s,:])(noai|noimageai)(?:$|[\s,])", re.IGNORECASE)
_EXT = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}
#: Outcomes that are final: a re-run does not ask again.
SETTLED = ("ok", "refused_robots", "refused_noai", "too_large", "not_image", "http_error")


@dataclass
class FetchOptions:
    """Limits of one ``--fetch-media`` run."""

    concurrency: int = 8
    timeout: float = 10.0  # seconds per request (connect, read)
    max_bytes: int = 20 << 20
    retries: int = 2
    user_agent: str = f"{USER_AGENT}/0.1 (privacy audit; honours robots.txt, X-Robots-Tag noai)"


@dataclass
class FetchSummary:
    """What a fetch run did, by outcome (``resumed``: settled by an earlier run)."""

    urls: int = 0
    resumed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class _Outcome:
    url: str
    status: str
    http_status: int | None = None
    sha256: str | None = None
    path: str | None = None
    reason: str | None = None


class _Robots:
    """robots.txt per host (fetched once, thread-safe)."""

    def __init__(self, client: object, options: FetchOptions) -> None:
        self.client = client
        self.options = options
        self.lock = threading.Lock()
        self.cache: dict[str, object | str | None] = {}

    def rules(self, url: str) -> object | str | None:
        """protego rules, None (no robots.txt: everything allowed) or "disallow-all"."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self.lock:
            if origin not in self.cache:
                self.cache[origin] = self._load(origin)
            return self.cache[origin]

    def _load(self, origin: str) -> object | str | None:
        from protego import Protego

        try:
            response = _get(self.client, f"{origin}/robots.txt", self.options)
        except Exception:  # noqa: BLE001 - unreachable: RFC 9309 says assume disallow
            return "disallow-all"
        if response.status_code >= 500:
            return "disallow-all"
        if response.status_code >= 400:
            return None
        return Protego.parse(response.text)

    def refusal(self, url: str, agent: str) -> tuple[str | None, bool]:
        """(why our agent may not fetch, whether AI-training crawlers are disallowed)."""
        rules = self.rules(url)
        if rules is None:
            return None, False
        if rules == "disallow-all":
            return "robots.txt could not be read (RFC 9309: assume disallowed)", True
        if not rules.can_fetch(url, agent):  # type: ignore[attr-defined]
            return "robots.txt disallows this URL", True
        ai = [a for a in AI_AGENTS if not rules.can_fetch(url, a)]  # type: ignore[attr-defined]
        return None, bool(ai)


def _get(client: object, url: str, options: FetchOptions) -> object:
    return client.get(url, headers={"User-Agent": options.user_agent})  # type: ignore[attr-defined]


def noai_header(values: list[str]) -> str | None:
    """The X-Robots-Tag directive that reserves the content from AI use, if any."""
    for value in values:
        m = _NOAI.search(value)
        if m:
            return f"X-Robots-Tag: {value.strip()}"
    return None


def _store(cache: Path, data: bytes, content_type: str) -> tuple[str, str]:
    ext = _EXT.get(content_type.split(";")[0].strip().lower(), ".img")
    sha, target = cache_bytes(cache, data, ext)
    return sha, str(target)


def _fetch_one(client: object, robots: _Robots, url: str, cache: Path, o: FetchOptions) -> _Outcome:
    import httpx

    why, _ = robots.refusal(url, USER_AGENT)
    if why:
        return _Outcome(url, "refused_robots", reason=why)
    attempt = 0
    while True:
        try:
            with client.stream("GET", url, headers={"User-Agent": o.user_agent}) as r:  # type: ignore[attr-defined]
                if r.status_code == 429 or r.status_code >= 500:
                    raise _Retry(f"HTTP {r.status_code}", r.status_code)
                if r.status_code >= 400:
                    return _Outcome(
                        url, "http_error", r.status_code, reason=f"HTTP {r.status_code}"
                    )
                refused = noai_header(r.headers.get_list("x-robots-tag"))
                if refused:
                    return _Outcome(url, "refused_noai", r.status_code, reason=refused)
                ctype = r.headers.get("content-type", "")
                if ctype and not ctype.lower().startswith("image/"):
                    return _Outcome(url, "not_image", r.status_code, reason=f"content-type {ctype}")
                length = int(r.headers.get("content-length") or 0)
                if length > o.max_bytes:
                    return _Outcome(url, "too_large", r.status_code,
                                    reason=f"{length:,} bytes > {o.max_bytes:,}")  # fmt: skip
                chunks, size = [], 0
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    if size > o.max_bytes:
                        return _Outcome(url, "too_large", r.status_code,
                                        reason=f"more than {o.max_bytes:,} bytes")  # fmt: skip
                    chunks.append(chunk)
                sha, path = _store(cache, b"".join(chunks), ctype)
                return _Outcome(url, "ok", r.status_code, sha, path)
        except (_Retry, httpx.TransportError) as exc:
            attempt += 1
            if attempt > o.retries:
                status = exc.status if isinstance(exc, _Retry) else None
                kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "failed"
                return _Outcome(url, kind, status, reason=f"{type(exc).__name__}: {exc}"[:200])
            time.sleep(min(0.25 * 2**attempt, 4.0))


class _Retry(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def fetch_media(
    con: duckdb.DuckDBPyConnection,
    cache: Path,
    options: FetchOptions | None = None,
    *,
    run_id: str | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> FetchSummary:
    """Fetch the remote media of the current items into ``cache`` (see module docstring)."""
    import httpx

    o = options or FetchOptions()
    started = time.perf_counter()
    cache.mkdir(parents=True, exist_ok=True)
    con.execute(query(_SQL, "fetch_table"))
    rows = con.execute(query(_SQL, "fetch_pending"), [list(SETTLED)]).fetchall()
    summary = FetchSummary(urls=len(rows))
    todo = [url for url, status, path in rows if not (status in SETTLED and _cached(status, path))]
    summary.resumed = len(rows) - len(todo)
    limits = httpx.Limits(max_connections=o.concurrency, max_keepalive_connections=o.concurrency)
    timeout = httpx.Timeout(o.timeout)
    done = 0
    with (
        httpx.Client(timeout=timeout, limits=limits, follow_redirects=True) as client,
        ThreadPoolExecutor(o.concurrency) as pool,
    ):
        robots = _Robots(client, o)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        for outcome in pool.map(lambda u: _fetch_one(client, robots, u, cache, o), todo):
            _, ai_reserved = robots.refusal(outcome.url, USER_AGENT)
            if outcome.status == "ok" and ai_reserved:
                outcome.reason = "robots.txt disallows AI-training crawlers for this URL"
            con.execute(
                query(_SQL, "fetch_record"),
                [outcome.url, outcome.status, outcome.http_status, outcome.sha256, outcome.path,
                 outcome.reason, now],
            )  # fmt: skip
            done += 1
            if progress:
                progress("fetch media", done, len(todo))
    con.execute(fill(query(_SQL, "fetch_apply_noai"), ITEMS=writable_items(con)))
    con.execute(query(_SQL, "fetch_apply_notes"), [run_id])
    if con.execute(query(_SQL, "fetch_any_path")).fetchone()[0]:
        # A fetched image's cached file replaces its URL: media_uri becomes a stored column.
        items = writable_items(con, ["media_uri"])
        con.execute(fill(query(_SQL, "fetch_apply_paths"), ITEMS=items))
    for status, n in con.execute(query(_SQL, "fetch_outcomes")).fetchall():
        summary.outcomes[status] = n
    summary.seconds = time.perf_counter() - started
    return summary


def _cached(status: str, path: str | None) -> bool:
    return status != "ok" or (path is not None and Path(path).exists())
