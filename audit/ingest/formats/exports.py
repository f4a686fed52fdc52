"""Account exports recognised as a whole: which files of the folder hold items (and with
which preset), which hold the account's context, and which hold no items at all.

Each recogniser takes a folder and its files and returns an :class:`Export` or None:

- X/Twitter account archive (``data/tweets.js`` ...): :func:`twitter_archive`
- Mastodon account archive (``outbox.json`` + ``actor.json``): :func:`mastodon_archive`
- Instagram / Facebook "Download your information" JSON: :func:`meta_dyi`
- Reddit data-request CSVs (``statistics.csv``, ``comments.csv`` ...): :func:`reddit_export`

The context is a small JSON object the preset reads through ``@source.`` paths; it holds only
what the mapping needs (account id, handle, protected status, profile text), never the
account's e-mail, phone or IP addresses that the same files carry.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit.ingest.formats.jsondoc import json_start
from audit.ingest.records import decode_text, open_stream, read_head
from audit.ingest.source import SkippedFile


@dataclass
class Part:
    """One item file of an export."""

    path: Path
    reader: str
    preset: str
    context: dict[str, Any] = field(default_factory=dict)
    media_base: Path | None = None


@dataclass
class Export:
    """What a recogniser found in a folder."""

    kind: str
    parts: list[Part]
    skipped: list[SkippedFile]
    claimed: set[Path]  # every file of the folder the export accounts for


def _load_json(path: Path) -> Any:
    """A JSON (or ``window.X = ...`` JavaScript) file, or None when unreadable."""
    try:
        with open_stream(path) as fh:
            text = decode_text(fh.read())[0]
        return json.loads(text[json_start(text) :])
    except (OSError, ValueError):
        return None


def _first(data: Any, *keys: str) -> Any:
    """``data[0][k1][k2]...`` of an X archive ``[{"account": {...}}]`` list, else None."""
    value = data[0] if isinstance(data, list) and data else data
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


# ---------------------------------------------------------------- X / Twitter archive

_TWEETS = re.compile(r"^(tweets?|deleted-tweets?|note-tweet|community-tweet)(-part\d+)?\.js$")


def _x_protected(files: dict[str, Path]) -> tuple[str, str]:
    """(visibility of the account's tweets, the basis) from protected-history / manifest."""
    if "protected-history.js" in files:
        history = _load_json(files["protected-history.js"])
        events = [x.get("protectedHistory", {}) for x in history or [] if isinstance(x, dict)]
        if history is not None and not events:
            return "public", "account never protected (protected-history.js is empty)"
        if events:
            last = sorted(events, key=lambda e: str(e.get("protectedAt", "")))[-1]
            when = last.get("protectedAt", "?")
            if str(last.get("action", "")).lower() == "protect":
                return "followers", f"account protected since {when} (protected-history.js)"
            return "unknown", (
                f"account protected at times before {when} (protected-history.js); "
                "the audience of each tweet is not recorded"
            )
    manifest = _load_json(files["manifest.js"]) if "manifest.js" in files else None
    counts = [
        str(f.get("count"))
        for f in (((manifest or {}).get("dataTypes") or {}).get("protectedHistory") or {}).get(
            "files", []
        )
        if isinstance(f, dict)
    ]
    if counts and all(c == "0" for c in counts):
        return "public", "account never protected (manifest.js: protectedHistory count 0)"
    return "unknown", "the archive has no protected-history: protected status not known"


def twitter_archive(folder: Path, files: list[Path]) -> Export | None:
    """An X/Twitter account archive: its tweet files, with the account as context."""
    data = folder / "data" if (folder / "data").is_dir() else folder
    names = {p.name: p for p in files if p.parent == data}
    tweets = sorted(p for n, p in names.items() if _TWEETS.match(n))
    if not tweets or not any(_is_ytd(p) for p in tweets):
        return None
    account = _load_json(names["account.js"]) if "account.js" in names else None
    profile = _load_json(names["profile.js"]) if "profile.js" in names else None
    visibility, basis = _x_protected(names)
    # tweets_media/ (tweet_media/ in archives before 2020): <tweet id>-<file name>
    media_dir = next((d for d in (data / "tweets_media", data / "tweet_media") if d.is_dir()), None)
    base = {
        "account_id": _first(account, "account", "accountId"),
        "username": _first(account, "account", "username"),
        "profile_text": _first(profile, "profile", "description", "bio"),
        "visibility": visibility,
        "visibility_basis": basis,
        "tweets_media": str(media_dir) if media_dir else None,
    }
    parts = []
    for path in tweets:
        kind = _TWEETS.match(path.name).group(1)  # type: ignore[union-attr]
        preset = "twitter_archive_note" if kind == "note-tweet" else "twitter_archive"
        parts.append(
            Part(path, "json", preset, {**base, "deleted_file": kind.startswith("deleted")})
        )
    claimed = {p for p in files if data in p.parents or p.parent == folder}
    skipped = [
        SkippedFile(p, "X archive: account data, not posts")
        for p in sorted(claimed - set(tweets))
        if p.suffix == ".js"
    ]
    return Export("X/Twitter account archive", parts, skipped, claimed)


def _is_ytd(path: Path) -> bool:
    try:
        with open_stream(path) as fh:
            return fh.read(200).lstrip().startswith(b"window.YTD.")
    except OSError:
        return False


# ---------------------------------------------------------------- Mastodon archive

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.IGNORECASE)


def html_text(markup: str) -> str:
    """The text of an HTML fragment as the ``strip_html`` modifier reads it: line breaks for
    ``<br>`` and paragraphs, other tags removed without a space (Mastodon writes a hashtag as
    ``#<span>nobot</span>``), entities decoded."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", markup))).strip()


#: The files of a Mastodon archive besides media_attachments/ (any other file in the folder
#: is read as a corpus file of its own).
MASTODON_FILES = ("outbox.json", "actor.json", "likes.json", "bookmarks.json", "avatar.png",
                  "avatar.jpg", "avatar.jpeg", "avatar.gif", "header.png", "header.jpg",
                  "header.jpeg", "header.gif")  # fmt: skip


def mastodon_archive(folder: Path, files: list[Path]) -> Export | None:
    """A Mastodon account archive: outbox.json (ActivityPub), actor.json as context."""
    outbox = folder / "outbox.json"
    if outbox not in files:
        return None
    with open_stream(outbox) as fh:
        head = fh.read(4096)
    if b"orderedItems" not in head and b"OrderedCollection" not in head:
        return None
    actor = _load_json(folder / "actor.json") if folder / "actor.json" in files else None
    actor = actor if isinstance(actor, dict) else {}
    summary = html_text(str(actor.get("summary") or ""))
    tags = " ".join(str(t.get("name", "")) for t in actor.get("tag") or [] if isinstance(t, dict))
    context = {
        "actor": actor.get("id"),
        "username": actor.get("preferredUsername"),
        "followers": actor.get("followers"),
        "discoverable": actor.get("discoverable"),
        "indexable": actor.get("indexable"),
        "locked": actor.get("manuallyApprovesFollowers"),
        "profile_text": f"{summary} {tags}".strip() or None,
    }
    media = folder / "media_attachments"
    claimed = {p for p in files if p.parent == folder and p.name in MASTODON_FILES}
    claimed |= {p for p in files if media in p.parents}
    skipped = [
        SkippedFile(p, "Mastodon archive: account data (likes, bookmarks, profile), not posts")
        for p in sorted(claimed)
        if p.suffix == ".json" and p != outbox
    ]
    part = Part(outbox, "json", "mastodon_outbox", context, folder)
    return Export("Mastodon account archive", [part], skipped, claimed)


# ---------------------------------------------------------------- Instagram / Facebook DYI

_IG_POSTS = re.compile(r"^(posts|archived_posts)_\d+\.json$")
_FB_POSTS = re.compile(r"^your_posts(_[a-z_]+)?_\d+\.json$")


#: A media ``uri`` member of a DYI posts file, and how much of the file is searched for some.
_MEDIA_URI = re.compile(rb'"uri"\s*:\s*"([^"\\]*(?:\\.[^"\\]*)*)"')
URI_SAMPLE_BYTES = 1 << 20
URI_SAMPLES = 20


def media_root(posts_file: Path, levels: int = 4) -> Path:
    """The folder a DYI export's media ``uri`` values are relative to: the nearest one, from
    the posts file's folder up, under which one of the file's first uris exists (the export
    root: ``media/...`` in Instagram's, ``posts/media/...`` or
    ``your_facebook_activity/posts/media/...`` in Facebook's layouts). Where no media file
    is in the export: the nearest folder holding ``media/``, else the folder above the usual
    layouts' content folders."""
    uris = _sample_uris(posts_file)
    start = posts_file.parent
    for folder in _ancestors(start, levels + 1):
        if any((folder / uri).is_file() for uri in uris):
            return folder
    for folder in _ancestors(start, levels):
        if (folder / "media").exists():
            return folder
    for marker in ("your_instagram_activity", "content", "posts", "your_facebook_activity"):
        if marker in start.parts:
            return Path(*start.parts[: start.parts.index(marker)])
    return start


def _ancestors(folder: Path, count: int) -> Iterator[Path]:
    """``folder`` and its parents, ``count`` folders at most (fewer at the root)."""
    for _ in range(count):
        yield folder
        if folder.parent == folder:
            return
        folder = folder.parent


def _sample_uris(posts_file: Path) -> list[str]:
    """The first relative media uris of a posts file (JSON string escapes decoded)."""
    # b"" when unreadable: the reader reports that file's error when it reads it
    head = read_head(posts_file, URI_SAMPLE_BYTES)
    uris = []
    for match in _MEDIA_URI.finditer(head):
        try:
            uri = json.loads(b'"' + match.group(1) + b'"')
        except ValueError:
            continue
        if uri and "://" not in uri and not uri.startswith("/") and ".." not in uri.split("/"):
            uris.append(uri)
            if len(uris) == URI_SAMPLES:
                break
    return uris


def meta_dyi(folder: Path, files: list[Path]) -> Export | None:
    """Instagram ``posts_1.json`` / Facebook ``your_posts_1.json`` anywhere in the folder.

    The rest of such an export (followers, messages index, ads, login activity ... dozens of
    JSON files) is claimed as "not items" rather than read as corpus files."""
    parts = []
    for path in files:
        if _IG_POSTS.match(path.name):
            parts.append(Part(path, "json", "instagram", {}, media_root(path)))
        elif _FB_POSTS.match(path.name):
            parts.append(Part(path, "json", "facebook", {}, media_root(path)))
    if not parts:
        return None
    roots = {part.media_base or part.path.parent for part in parts}
    own = {part.path for part in parts}
    claimed = {p for p in files if any(r == p.parent or r in p.parents for r in roots)} | own
    skipped = [
        SkippedFile(p, "Instagram/Facebook export: account data, not posts")
        for p in sorted(claimed - own)
        if p.suffix.lower() in (".json", ".html")
    ]
    return Export("Instagram/Facebook export", parts, skipped, claimed)


# ---------------------------------------------------------------- Reddit data request

REDDIT_ITEM_FILES = {
    "posts.csv": "reddit_export",
    "comments.csv": "reddit_export",
    "messages.csv": "reddit_export_messages",
    "messages_archive.csv": "reddit_export_messages",
    "chat_history.csv": "reddit_export_chat",
}


def _statistics(path: Path) -> dict[str, str]:
    try:
        with open_stream(path) as fh:
            rows = list(csv.reader(decode_text(fh.read())[0].splitlines()))
    except (OSError, csv.Error):
        return {}
    return {r[0].strip().lower(): r[1].strip() for r in rows[1:] if len(r) >= 2}


def reddit_export(folder: Path, files: list[Path]) -> Export | None:
    """A Reddit data-request export: statistics.csv + the CSVs of posts and comments."""
    names = {p.name: p for p in files if p.parent == folder}
    if "statistics.csv" not in names and not (
        "comments.csv" in names and "post_headers.csv" in names
    ):
        return None
    stats = _statistics(names["statistics.csv"]) if "statistics.csv" in names else {}
    context = {
        "account_name": stats.get("account name"),
        "account_deleted": stats.get("is_deleted"),
    }
    parts = [
        Part(path, "csv", REDDIT_ITEM_FILES[name], context)
        for name, path in sorted(names.items())
        if name in REDDIT_ITEM_FILES
    ]
    skipped = [
        SkippedFile(path, "Reddit export: account data, not posts or messages")
        for name, path in sorted(names.items())
        if name not in REDDIT_ITEM_FILES and path.suffix == ".csv"
    ]
    return Export("Reddit data-request export", parts, skipped, set(names.values()))


RECOGNISERS: tuple[Callable[[Path, list[Path]], Export | None], ...] = (
    twitter_archive,
    mastodon_archive,
    reddit_export,
    meta_dyi,
)
