"""Bluesky (atproto) repository CAR files, as ``com.atproto.sync.getRepo`` or the account
export ("Download my data") writes them.

A repository is a signed commit pointing at a Merkle Search Tree (MST) whose keys are
``<collection>/<record key>`` and whose values are DAG-CBOR records; the blocks are decoded
with ``libipld`` (the IPLD codec behind the atproto SDK). The reader walks the MST of the
current commit; a CAR that also carries older commits (``prev`` chain) gives the records
present in an earlier tree and gone from the current one: those are yielded with
``deleted: true``.

Each record becomes one JSON record::

    {"uri": "at://<did>/<collection>/<rkey>", "cid": ..., "did": ..., "collection": ...,
     "value": {...record, CIDs as {"$link": ...}, bytes as {"$bytes": base64}},
     "media_urls": [...], "deleted": false}

``media_urls`` are the public CDN addresses of the record's image blobs
(``https://cdn.bsky.app/img/feed_fullsize/plain/<did>/<cid>@jpeg``; the CAR holds only
their CIDs, never the images). Posts and reposts are yielded (reposts are skipped by the
``bluesky_repo`` mapping as references to other accounts' posts); likes, follows, blocks,
lists and the profile are not posts and are counted in a note. The profile's self-labels
(e.g. ``!no-unauthenticated``) and description are the source context (``@source.``).
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from audit.errors import InputError
from audit.ingest.records import dumps, record_batches
from audit.ingest.source import LineBatch, Source

#: Collections whose records are yielded (the mapping decides what becomes an item).
CONTENT_COLLECTIONS = ("app.bsky.feed.post", "app.bsky.feed.repost")
PROFILE_KEY = "app.bsky.actor.profile/self"
CDN = "https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{cid}@jpeg"
_MAX_DEPTH = 64


def _cid(value: bytes) -> str:
    import libipld

    return libipld.encode_cid(value)


def jsonable(value: Any) -> Any:
    """A decoded DAG-CBOR value in atproto's JSON form (CIDs as ``{"$link": ...}``)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        # DAG-CBOR CIDs (tag 42) decode to bytes starting with the CIDv1 prefix 0x01.
        if value[:1] == b"\x01" and len(value) > 30:
            try:
                return {"$link": _cid(value)}
            except Exception:  # noqa: BLE001 - not a CID after all
                pass
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    return value


def _walk_mst(blocks: dict[bytes, Any], node_cid: bytes | None, out: dict[str, bytes]) -> None:
    """Fill ``out`` with key -> record CID for the tree under ``node_cid`` (missing nodes of
    a partial CAR are skipped)."""
    stack: list[tuple[bytes | None, int]] = [(node_cid, 0)]
    while stack:
        cid, depth = stack.pop()
        node = blocks.get(cid) if cid is not None else None
        if not isinstance(node, dict) or "e" not in node or depth > _MAX_DEPTH:
            continue
        if node.get("l"):
            stack.append((node["l"], depth + 1))
        key = b""
        for entry in node.get("e") or []:
            key = key[: entry.get("p", 0)] + (entry.get("k") or b"")
            if entry.get("v") is not None:
                out[key.decode("utf-8", "replace")] = entry["v"]
            if entry.get("t"):
                stack.append((entry["t"], depth + 1))


def read_repo(path: Path) -> tuple[str, dict[str, bytes], dict[str, bytes], dict[bytes, Any]]:
    """(did, current key -> cid, earlier-only key -> cid, blocks) of a repository CAR."""
    import libipld

    try:
        header, blocks = libipld.decode_car(path.read_bytes())
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - libipld raises ValueError / its own errors
        raise InputError(f"{path}: not a readable CAR file: {exc}") from exc
    roots = header.get("roots") or []
    commit = blocks.get(roots[0]) if roots else None
    if not isinstance(commit, dict) or "did" not in commit or "data" not in commit:
        raise InputError(f"{path}: CAR file without a repository commit at its root")
    current: dict[str, bytes] = {}
    _walk_mst(blocks, commit["data"], current)
    earlier: dict[str, bytes] = {}
    seen = {roots[0]}
    prev = commit.get("prev")
    while prev is not None and prev not in seen and isinstance(blocks.get(prev), dict):
        seen.add(prev)
        old = blocks[prev]
        tree: dict[str, bytes] = {}
        _walk_mst(blocks, old.get("data"), tree)
        for key, cid in tree.items():
            if key not in current and key not in earlier:
                earlier[key] = cid
        prev = old.get("prev")
    return str(commit["did"]), current, earlier, blocks


def _media_urls(did: str, value: Any) -> list[str]:
    """CDN URLs of the image blobs embedded in a post (images, or recordWithMedia)."""
    embed = value.get("embed") if isinstance(value, dict) else None
    if not isinstance(embed, dict):
        return []
    images = embed.get("images") or (embed.get("media") or {}).get("images") or []
    urls = []
    for image in images if isinstance(images, list) else []:
        ref = (image.get("image") or {}).get("ref") if isinstance(image, dict) else None
        if isinstance(ref, dict) and "$link" in ref:
            urls.append(CDN.format(did=did, cid=ref["$link"]))
    return urls


def context(path: Path) -> str:
    """The account context of a repository: its DID and the profile's labels/description."""
    did, current, _, blocks = read_repo(path)
    profile = blocks.get(current.get(PROFILE_KEY, b""))
    ctx: dict[str, Any] = {"did": did}
    if isinstance(profile, dict):
        labels = (profile.get("labels") or {}).get("values") or []
        ctx["labels"] = [x.get("val") for x in labels if isinstance(x, dict)]
        ctx["description"] = profile.get("description")
    return json.dumps(ctx, ensure_ascii=False)


def batches(src: Source) -> Iterator[LineBatch]:
    """One record per post or repost; other collections are counted in a note."""
    did, current, earlier, blocks = read_repo(src.path)
    others: Counter[str] = Counter()
    missing = 0

    def records() -> Iterator[tuple[int, str]]:
        nonlocal missing
        n = 0
        for deleted, table in ((False, current), (True, earlier)):
            for key, cid in sorted(table.items()):
                collection = key.partition("/")[0]
                if collection not in CONTENT_COLLECTIONS:
                    others[collection] += 1
                    continue
                value = blocks.get(cid)
                if value is None:
                    missing += 1
                    continue
                n += 1
                value = jsonable(value)
                yield n, dumps(
                    {"uri": f"at://{did}/{key}", "cid": _cid(cid), "did": did,
                     "collection": collection, "value": value,
                     "media_urls": _media_urls(did, value), "deleted": deleted}
                )  # fmt: skip

    last: LineBatch | None = None
    for batch in record_batches(records()):
        if last is not None:
            yield last
        last = batch
    from audit.ingest.records import empty_table

    last = last or LineBatch(empty_table())
    if others:
        counts = ", ".join(f"{n:,} {c}" for c, n in others.most_common())
        last.notes.append(f"records that are not posts (not items): {counts}")
    if missing:
        last.notes.append(f"{missing:,} post records named by the tree are not in the CAR file")
    yield last
