"""A small, fully known audit database for the dashboard tests (built through audit.store).

48 items on three platforms over 2023, two runs, five rules, PII spans with real offsets, and
faces with real face_recognition encodings of skimage's astronaut (one face) plus a no-face
image. Expected numbers are derived here, next to the data, so tests state them once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image

from audit.store import open_store

PLATFORMS = ("mastodon", "bluesky", "reddit")
VISIBILITIES = ("public", "public", "unlisted", "followers")
AGG_RULE = "consent.author-deleted-anywhere"
RULES = {
    # rule_id: (category, severity, action, title)
    "consent.opted-out": ("consent", "critical", "exclude", "Author opted out of AI training"),
    "minors.declared-under-18": ("minors", "high", "exclude", "Author was under 18"),
    "visibility.not-public": ("visibility", "high", "exclude", "Post was not public"),
    "pii.email-in-caption": ("pii", "medium", "redact", "Email address in caption"),
    "faces.identifiable-face": ("faces", "medium", "review", "Identifiable face"),
    # an aggregate rule: every item of an author who deleted one of them (group evidence)
    AGG_RULE: ("consent", "low", "review", "Author deleted a post"),
}
DELETED_ITEM = "it-020"
#: Sources of the Groups page: reddit items carry a subreddit, every item a source file and URL.
SUBREDDITS = ("r/pics", "r/forhire")
HOSTS = ("https://www.Social.example", "https://bsky.example", "http://user:pw@reddit.example:8080")
EMAIL_ITEM = "it-003"
EMAIL = "jane.doe@example.org"
FACE_ITEMS = ("it-010", "it-011")  # the astronaut (same photo under two items)
OTHER_FACE_ITEM = "it-012"  # a different face (another real encoding, > 0.6 away)
NOFACE_ITEM = "it-013"
#: The no-face image also carries embedded metadata (media_meta findings): an exact position,
#: a camera owner and serial that the dashboard masks until revealed, and a reservation.
MEDIA_ITEM = NOFACE_ITEM
GPS = (48.858372, 2.294481)
CAMERA_OWNER = "Marguerite Exemplaire"
CAMERA_SERIAL = "SN-4417-XK"


@dataclass
class Fixture:
    """Where the database is and what it holds."""

    db: Path
    media: Path
    astronaut_png: bytes
    noface_png: bytes
    items: list[dict] = field(default_factory=list)
    flags: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # run -> (item, rule)


def _png(arr: np.ndarray, path: Path) -> bytes:
    Image.fromarray(arr).save(path)
    return path.read_bytes()


_CROP = (250, 0)  # (top, left) of the "other face" crop of the astronaut photo


def _other_face_image() -> np.ndarray:
    """A crop of the astronaut photo whose badge dlib takes for a (different) face."""
    import skimage.data

    top, left = _CROP
    return np.ascontiguousarray(skimage.data.astronaut()[top:, left : left + 300])


def _encodings() -> tuple[list, list]:
    """(astronaut face box+encoding, a second real but different face box+encoding)."""
    import face_recognition
    import skimage.data

    im = skimage.data.astronaut()
    face = face_recognition.face_locations(im, number_of_times_to_upsample=0)
    other = [b for b in face_recognition.face_locations(im, 1) if b not in face][:1]
    top, left = _CROP
    shifted = [(t - top, r - left, b - top, lf - left) for t, r, b, lf in other]
    face_enc = face_recognition.face_encodings(im, face)
    other_enc = face_recognition.face_encodings(_other_face_image(), shifted)
    return list(zip(face, face_enc, strict=True)), list(zip(shifted, other_enc, strict=True))


def _items(media: Path) -> list[dict]:
    items = []
    for n in range(48):
        item_id = f"it-{n:03d}"
        items.append(
            {
                "item_id": item_id,
                "platform": PLATFORMS[n % 3],
                "author_id": f"user{n % 7}",
                "created_at": datetime(2023, 1 + n % 12, 1 + n % 27, 12),
                "text": f"Post number {n} about the weather",
                "media_path": None,
                "visibility": VISIBILITIES[n % 4],
                "author_age_at_post": 15 if n % 11 == 5 else 30,
                "opt_out": n % 9 == 4,
                "noai": n % 13 == 7,
                "deleted": n == 20,
                "extra": json.dumps(
                    {"handle": f"@handle{n % 7}"}
                    | ({"subreddit": SUBREDDITS[n % 2]} if n % 3 == 2 else {})
                ),
                "source_file": f"{PLATFORMS[n % 3]}.jsonl",
                "url": f"{HOSTS[n % 3]}/post/{n}",
            }
        )
    by_id = {i["item_id"]: i for i in items}
    by_id[EMAIL_ITEM]["text"] = f"Write to me at {EMAIL} or call later"
    for item_id, name in (
        *((i, "astronaut.png") for i in FACE_ITEMS),
        (OTHER_FACE_ITEM, "other.png"),
        (NOFACE_ITEM, "noface.png"),
    ):
        by_id[item_id]["media_path"] = name
        by_id[item_id]["media_uri"] = str(media / name)
    return items


def _flags(items: list[dict], faces: set[str]) -> list[tuple[str, str]]:
    """(item_id, rule_id) pairs: the rules evaluated in Python for this small fixture."""
    out = []
    deleted_author = next(i["author_id"] for i in items if i["item_id"] == DELETED_ITEM)
    for i in items:
        checks = {
            "consent.opted-out": i["opt_out"],
            "minors.declared-under-18": i["author_age_at_post"] < 18,
            "visibility.not-public": i["visibility"] != "public",
            "pii.email-in-caption": "@" in i["text"],
            "faces.identifiable-face": i["item_id"] in faces,
            AGG_RULE: i["author_id"] == deleted_author,
        }
        out += [(i["item_id"], rule) for rule, hit in checks.items() if hit]
    return out


def build(tmp: Path) -> Fixture:
    """Write the fixture database and images under ``tmp``."""
    import skimage.data

    media = tmp / "media"
    media.mkdir(parents=True, exist_ok=True)
    fx = Fixture(
        db=tmp / "audit.duckdb",
        media=media,
        astronaut_png=_png(skimage.data.astronaut(), media / "astronaut.png"),
        noface_png=_png(skimage.data.coffee(), media / "noface.png"),
    )
    _png(_other_face_image(), media / "other.png")
    fx.items = _items(media)
    face, other = _encodings()
    con = open_store(fx.db)
    try:
        _insert(con, fx, face, other)
    finally:
        con.close()
    return fx


def _insert(con, fx: Fixture, face: list, other: list) -> None:
    cols = [
        "item_id", "platform", "author_id", "created_at", "text", "media_path", "visibility",
        "author_age_at_post", "opt_out", "noai", "deleted", "extra", "media_uri", "source_file",
        "url",
    ]  # fmt: skip
    con.executemany(
        f"INSERT INTO items ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [[i.get(c) for c in cols] for i in fx.items],
    )
    con.execute("INSERT INTO extra_columns VALUES ('subreddit', 'VARCHAR'), ('handle', 'VARCHAR')")
    start = next(i for i in fx.items if i["item_id"] == EMAIL_ITEM)["text"].index(EMAIL)
    con.execute(
        "INSERT INTO findings (item_id, detector, detector_version, entity_type, score, "
        "\"start\", \"end\") VALUES (?, 'pii', '1', 'EMAIL_ADDRESS', 0.99, ?, ?)",
        [EMAIL_ITEM, start, start + len(EMAIL)],
    )
    faces_by_item = {i: ("astro", face) for i in FACE_ITEMS} | {OTHER_FACE_ITEM: ("other", other)}
    for sha, found in {"astro": face, "other": other}.items():
        for box, enc in found:
            con.execute(
                "INSERT INTO cached_findings (detector, version, content_sha256, entity_type, "
                "score, bbox, embedding) VALUES ('faces', '1', ?, 'FACE', 1.0, ?, ?)",
                [sha, list(box), [float(x) for x in enc]],
            )
    for item_id, (sha, found) in faces_by_item.items():
        for box, _ in found:
            con.execute(
                "INSERT INTO findings (item_id, detector, detector_version, content_sha256, "
                "entity_type, score, bbox) VALUES (?, 'faces', '1', ?, 'FACE', 1.0, ?)",
                [item_id, sha, list(box)],
            )
    _insert_media_meta(con, fx)
    runs = {"run-1": datetime(2024, 1, 1), "run-2": datetime(2024, 2, 1)}
    for run_id, at in runs.items():
        manifest = {"run_id": run_id, "tool_version": "0.1.0", "counts": {"items": 48}}
        con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, 'complete', 'audit scan corpus.yaml', ?)",
            [run_id, at, at, json.dumps(manifest)],
        )
        for rule_id, (cat, sev, action, title) in RULES.items():
            con.execute(
                "INSERT INTO rule_catalog (run_id, rule_id, title, category, status, severity, "
                "action, description, rationale, \"references\") "
                "VALUES (?, ?, ?, ?, 'stable', ?, ?, ?, ?, ?)",
                [run_id, rule_id, title, cat, sev, action, f"Flags: {title.lower()}.",
                 "GDPR requires a lawful basis.", ["GDPR Art. 6"]],
            )  # fmt: skip
    _insert_registry(con, fx)
    faces = {*FACE_ITEMS, OTHER_FACE_ITEM}
    # run-1 predates the face rule: the diff shows its flags as new in run-2
    fx.flags["run-2"] = _flags(fx.items, faces)
    fx.flags["run-1"] = [f for f in fx.flags["run-2"] if f[1] != "faces.identifiable-face"]
    for run_id, pairs in fx.flags.items():
        for item_id, rule_id in pairs:
            _, sev, action, _ = RULES[rule_id]
            evidence = {"conditions": [f"{rule_id} matched"], "findings": []}
            if rule_id == AGG_RULE:
                evidence["conditions"] = [agg_label(fx.items)]
            if rule_id == "pii.email-in-caption":
                evidence["findings"] = [{"entity_type": "EMAIL_ADDRESS", "text": EMAIL}]
            con.execute(
                "INSERT INTO flags VALUES (?, ?, ?, ?, ?, ?)",
                [run_id, item_id, rule_id, sev, action, json.dumps(evidence)],
            )


#: The consent registry of run-2: one request covering user3's items, one matching nothing.
REGISTRY = (("req-1", "erasure", "author", "@handle3"), ("req-2", "objection", "email", "x@y.org"))


def _insert_registry(con, fx: Fixture) -> None:
    for n, (request_id, kind, subject_type, subject) in enumerate(REGISTRY, start=2):
        con.execute(
            "INSERT INTO registry_requests (run_id, source_file, source_line, request_id, kind, "
            "subject_type, subject, subject_key) VALUES ('run-2', 'reg.csv', ?, ?, ?, ?, ?, ?)",
            [n, request_id, kind, subject_type, subject, subject.strip("@")],
        )
    for item in fx.items:
        if item["author_id"] == "user3":
            con.execute(
                "INSERT INTO registry_matches VALUES ('run-2', 'req-1', ?, 'erasure', 'author', "
                "'author', NULL, 'author account on reddit')",
                [item["item_id"]],
            )


def _insert_media_meta(con, fx: Fixture) -> None:
    """Every image hashed and read by media_meta; only MEDIA_ITEM's carries metadata."""
    for i in fx.items:
        if i.get("media_uri"):
            sha = "sha-" + Path(i["media_uri"]).stem
            con.execute(
                "INSERT OR REPLACE INTO media_files VALUES (?, ?, 1, 'ok', NULL, now())",
                [i["media_uri"], sha],
            )
            con.execute(
                "INSERT OR REPLACE INTO analysed VALUES ('media_meta', '1', ?, 'ok', NULL, 0, now())",
                [sha],
            )
    lat, lon = GPS
    meta = [
        ("GPS_LOCATION", {"lat": lat, "lon": lon, "alt": 35.0, "lat_rounded": round(lat, 2),
                          "lon_rounded": round(lon, 2)}),
        ("CAMERA_OWNER_NAME", {"value": CAMERA_OWNER}),
        ("CAMERA_SERIAL", {"value": CAMERA_SERIAL}),
        ("TRAINING_RESERVATION", {"reservation": "prohibited", "source": "xmp:plus:DataMining"}),
        ("EMBEDDED_METADATA", {"exif": True, "xmp": True, "c2pa": False}),
    ]  # fmt: skip
    for entity_type, attributes in meta:
        con.execute(
            "INSERT INTO findings (item_id, detector, detector_version, content_sha256, "
            "entity_type, attributes) VALUES (?, 'media_meta', '1', 'sha-noface', ?, ?)",
            [MEDIA_ITEM, entity_type, json.dumps(attributes)],
        )


def expected_media(fx: Fixture) -> dict[str, int]:
    """report.sql kpi_media counts of the unfiltered fixture."""
    images = sum(bool(i.get("media_uri")) for i in fx.items)
    return {"images": images, "analysed": images, "gps": 1, "reservation_prohibited": 1,
            "camera_ids": 1, "c2pa": 0, "stripped": images - 1, "not_local": 0}  # fmt: skip


def expected_kpis(fx: Fixture, run_id: str = "run-2") -> dict[str, int]:
    """The Overview KPIs of the unfiltered fixture, computed from the Python data."""
    flagged = {i for i, _ in fx.flags[run_id]}
    excluded = {i for i, r in fx.flags[run_id] if RULES[r][2] == "exclude"}
    return {
        "items": len(fx.items),
        "public": sum(i["visibility"] == "public" for i in fx.items),
        "consent_safe": sum(not (i["opt_out"] or i["noai"]) for i in fx.items),
        "flagged": len(flagged),
        "excluded": len(excluded),
    }


def agg_label(items: list[dict]) -> str:
    """The group evidence the aggregate rule writes (the compiler's label format)."""
    author = next(i["author_id"] for i in items if i["item_id"] == DELETED_ITEM)
    n = sum(i["author_id"] == author for i in items)
    return f"author_id {author}: 1 of {n} items matched (e.g. item {DELETED_ITEM}): deleted = true"


def group_of(item: dict, kind: str) -> tuple[str | None, str | None]:
    """(key, platform) of an item's group, computed independently of report.sql."""
    if kind == "author":
        return item["author_id"], item["platform"]
    if kind == "subreddit":
        return json.loads(item["extra"]).get("subreddit"), None
    if kind == "domain":
        host = item["url"].split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
        return host.split(":")[0].lower().removeprefix("www."), None
    return item[kind], None


def expected_groups(fx: Fixture, kind: str, run_id: str = "run-2") -> list[dict]:
    """Every group of ``kind`` (min size 1) in report.sql's order, from the Python data."""
    flagged = {i for i, _ in fx.flags[run_id]}
    excluded = {i for i, r in fx.flags[run_id] if RULES[r][2] == "exclude"}
    members: dict[tuple, list[str]] = {}
    for i in fx.items:
        key = group_of(i, kind)
        if key[0] is not None:
            members.setdefault(key, []).append(i["item_id"])
    out = [
        {
            "group_key": key, "platform": platform, "items": len(ids),
            "flagged_items": len(flagged & set(ids)), "excluded_items": len(excluded & set(ids)),
            "item_ids": set(ids),
        }
        for (key, platform), ids in members.items()
    ]  # fmt: skip
    out.sort(key=lambda g: (-g["flagged_items"] / g["items"], -g["items"], g["group_key"],
                            g["platform"] or ""))  # fmt: skip
    return out
