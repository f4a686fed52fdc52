"""A hostile-corpus generator for the reliability tests (tests/test_fuzz_corpus.py).

:func:`build_hostile_corpus` writes a corpus folder (``posts.jsonl``, ``posts.csv`` and an
``images/`` folder) in which most rows are broken on purpose: malformed JSON and CSV lines,
wrong types, 1 MB captions, NUL bytes, invalid UTF-8, emoji / RTL / zero-width text, dates in
the years 0 and 9999, duplicate and missing ids, and media that is missing, truncated,
corrupt, claims huge dimensions, or is a symlink resolving outside the corpus folder.

The generator knows how many *input rows* it wrote (one per JSONL line, one per CSV record),
which is what the tests' conservation property is checked against. Valid rows come from
:func:`audit.synth.corpus.canonical_rows` and valid images from :mod:`tools.synthetic_images`
so this module only adds the breakage.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from test_imageio import png_claiming

from audit.synth.corpus import canonical_rows
from tools.synthetic_images import head, scene

#: One JSONL row per kind. ``build_hostile_corpus(kinds=...)`` draws from these names.
JSONL_KINDS: tuple[str, ...] = (
    "ok",
    "bad_json",
    "not_object",
    "wrong_types",
    "huge_caption",
    "nul_escaped",
    "nul_raw",
    "invalid_utf8",
    "unicode_text",
    "unicode_id",
    "year_0",
    "year_9999",
    "bad_dates",
    "duplicate_id",
    "missing_id",
    "numeric_id",
    "media_ok",
    "media_missing",
    "media_truncated",
    "media_corrupt",
    "media_huge_dims",
    "media_symlink_outside",
    "media_symlinked_dir",
    "media_escape_dotdot",
    "media_remote",
)
#: One CSV record per kind.
CSV_KINDS: tuple[str, ...] = (
    "ok",
    "too_many_fields",
    "too_few_fields",
    "stray_quote",
    "quoted_newline",
    "nul_raw",
    "invalid_utf8",
    "huge_caption",
    "unicode_text",
    "duplicate_id",
    "missing_id",
    "bad_types",
)
CSV_COLUMNS = ("item_id", "text", "created_at", "visibility", "opt_out", "author_age_at_post")

#: 1 MB captions (the brief's "huge caption"); kept to a few per corpus by the tests.
HUGE_CHARS = 1 << 20
ZERO_WIDTH = "\u200b\u200c\u200d\ufeff"
RTL = "\u202e\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627\u202c"
EMOJI = "👩‍👩‍👧‍👦🏳️‍🌈🇺🇦"
#: A stand-in for a private file outside the corpus (its content must never be read).
SECRET = b"TOP SECRET: this file lives outside the corpus and must not be read\n"


@dataclass
class HostileCorpus:
    """What was written, and what a correct scan must report about it."""

    root: Path  # the corpus folder to scan
    rows: int  # input rows: JSONL lines + CSV records (the conservation total)
    kinds: Counter[str] = field(default_factory=Counter)
    outside_media: list[str] = field(default_factory=list)  # media paths escaping via symlink
    secret: Path | None = None  # the outside file the symlinks point at


class _Writer:
    """Builds the rows of one corpus from a seeded RNG."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root, self.rng = root, rng
        self.images = root / "images"
        self.images.mkdir(parents=True, exist_ok=True)
        self.seen_ids: list[str] = []
        self.base = canonical_rows(10_000, rng.randrange(1 << 30), platform="hostile")
        self.counter = 0
        self.outside_media: list[str] = []
        self.secret = root.parent / f"{root.name}-outside" / "secret.jpg"
        self.secret.parent.mkdir(parents=True, exist_ok=True)
        # A real JPEG, so a detector that wrongly followed the symlink would find something.
        head(0.5).convert("RGB").save(self.secret, "JPEG")
        with open(self.secret, "ab") as fh:
            fh.write(SECRET)

    # -- helpers -----------------------------------------------------------------------
    def _row(self) -> dict[str, object]:
        row = next(self.base)
        row["item_id"] = f"h-{self.counter:05d}-{self.rng.randrange(1 << 20):x}"
        self.counter += 1
        for key, value in row.items():
            if isinstance(value, dt.datetime | dt.date):
                row[key] = value.isoformat()
        return row

    def _remember(self, row: dict[str, object]) -> dict[str, object]:
        if isinstance(row.get("item_id"), str) and row["item_id"]:
            self.seen_ids.append(str(row["item_id"]))
        return row

    def _image(self, name: str, kind: str) -> str:
        """Write one image of ``kind`` under images/ and return its corpus-relative path."""
        path = self.images / name
        if kind == "ok":
            # Tiny images keep the faces detector cheap.
            picture = head(0.3) if self.rng.random() < 0.5 else scene("coffee")
            picture.convert("RGB").resize((48, 48)).save(path, "JPEG")
        elif kind == "truncated":
            buf = io.BytesIO()
            scene("coffee").convert("RGB").save(buf, "JPEG")
            path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 3])
        elif kind == "corrupt":
            path.write_bytes(
                b"\xff\xd8\xff\xe0" + bytes(self.rng.randrange(256) for _ in range(300))
            )
        elif kind == "huge_dims":
            path.write_bytes(png_claiming(60_000, 60_000))
        elif kind == "symlink_outside":
            path.symlink_to(self.secret)
        return f"images/{name}"

    # -- JSONL rows ----------------------------------------------------------------------
    def jsonl_line(self, kind: str) -> bytes:
        """One JSONL line (without the newline) of the given kind."""
        n = self.counter
        row = self._row()
        if kind == "bad_json":
            return json.dumps(row).encode()[: self.rng.randrange(5, 40)]
        if kind == "not_object":
            return self.rng.choice([b"[1, 2, 3]", b"42", b'"a string"', b"null", b"true"])
        if kind == "wrong_types":
            row.update(
                created_at=self.rng.choice([True, 12.5e30, {"y": 1}, "yesterday"]),
                opt_out=self.rng.choice(["maybe", 7, [True]]),
                author_age_at_post=self.rng.choice(["old", -5, 1e300, [1]]),
                visibility=self.rng.choice([["public"], 3, {"v": "x"}]),
                text=self.rng.choice([123, ["a", "b"], {"t": 1}]),
            )
        elif kind == "huge_caption":
            row["text"] = ("A" * 1000 + " call me at +1 415 555 0134 ") * (HUGE_CHARS // 1028)
        elif kind == "nul_escaped":
            row["text"] = f"nul\x00inside\x00{row['text']}"
            row["item_id"] = f"{row['item_id']}\x00tail"
        elif kind == "nul_raw":
            return json.dumps(row).encode().replace(b'"text": "', b'"text": "\x00raw ', 1)
        elif kind == "invalid_utf8":
            return json.dumps(row).encode().replace(b'"text": "', b'"text": "\xff\xfe\xc3(', 1)
        elif kind == "unicode_text":
            row["text"] = f"{RTL} {EMOJI} z{ZERO_WIDTH}w \ud83d\ude00 {row['text']}".encode(
                "utf-8", "surrogatepass"
            ).decode("utf-8", "replace")
        elif kind == "unicode_id":
            row["item_id"] = f"{EMOJI}{ZERO_WIDTH}{RTL}-{n}"
        elif kind == "year_0":
            row.update(created_at="0000-01-01T00:00:00Z", author_birth_date="0000-02-29")
        elif kind == "year_9999":
            row.update(created_at="9999-12-31T23:59:59.999999Z", author_birth_date="9999-12-31")
        elif kind == "bad_dates":
            row.update(created_at="2024-02-30T25:61:00", author_birth_date="-0001-13-40")
        elif kind == "duplicate_id" and self.seen_ids:
            row["item_id"] = self.rng.choice(self.seen_ids)
        elif kind == "missing_id":
            choice = self.rng.randrange(3)
            if choice == 0:
                del row["item_id"]
            else:
                row["item_id"] = None if choice == 1 else ""
        elif kind == "numeric_id":
            row["item_id"] = self.rng.choice([10**30, -1, 3.5, 0])
        elif kind.startswith("media_"):
            row["media_path"] = self._media(kind.removeprefix("media_"), n)
        return json.dumps(self._remember(row), ensure_ascii=self.rng.random() < 0.5).encode()

    def _media(self, kind: str, n: int) -> str:
        if kind == "missing":
            return f"images/nope-{n}.jpg"
        if kind == "remote":
            return f"https://cdn.example/{n}.jpg"
        if kind == "escape_dotdot":
            return f"../{self.secret.parent.name}/{self.secret.name}"
        if kind == "symlinked_dir":
            link = self.root / "linked"
            if not link.exists():
                link.symlink_to(self.secret.parent, target_is_directory=True)
            self.outside_media.append(f"linked/{self.secret.name}")
            return f"linked/{self.secret.name}"
        path = self._image(f"{kind}-{n}.{'png' if kind == 'huge_dims' else 'jpg'}", kind)
        if kind == "symlink_outside":
            self.outside_media.append(path)
        return path

    # -- CSV records -----------------------------------------------------------------------
    def csv_record(self, kind: str) -> bytes:
        """One CSV record (possibly spanning two lines), without the final newline."""
        row = self._row()
        values = [str(row[c]) if row.get(c) is not None else "" for c in CSV_COLUMNS]
        if kind == "too_many_fields":
            values += ["extra", "fields"]
        elif kind == "too_few_fields":
            values = values[:2]
        elif kind == "quoted_newline":
            values[1] = f"first line\nsecond line {values[1]}"
        elif kind == "huge_caption":
            values[1] = "B" * HUGE_CHARS
        elif kind == "unicode_text":
            values[1] = f"{RTL},{EMOJI}{ZERO_WIDTH}"
        elif kind == "duplicate_id" and self.seen_ids:
            values[0] = self.rng.choice(self.seen_ids)
        elif kind == "missing_id":
            values[0] = ""
        elif kind == "bad_types":
            values[2:] = ["0000-00-00", "3", "perhaps", "eleventy"]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(values)
        line = buf.getvalue().encode()
        if kind == "stray_quote":
            line = line.replace(b",", b',x"y', 1)
        elif kind == "nul_raw":
            line = line.replace(b",", b",nul\x00", 1)
        elif kind == "invalid_utf8":
            line = line.replace(b",", b",\xff\xfe", 1)
        if kind not in {"too_few_fields", "missing_id"} and values[0]:
            self.seen_ids.append(values[0])
        return line


def build_hostile_corpus(
    root: Path,
    seed: int,
    *,
    jsonl_kinds: Sequence[str] | None = None,
    csv_kinds: Sequence[str] | None = None,
    blank_lines: bool = True,
) -> HostileCorpus:
    """Write a hostile corpus into ``root`` (created) and describe it.

    ``jsonl_kinds`` / ``csv_kinds`` list one kind per row, in order (default: every kind
    once); an empty list skips that file. Blank JSONL lines are sprinkled in when
    ``blank_lines``: they are not rows (JSONL convention), so they are not counted.
    """
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    writer = _Writer(root, rng)
    jsonl_kinds = list(JSONL_KINDS if jsonl_kinds is None else jsonl_kinds)
    csv_kinds = list(CSV_KINDS if csv_kinds is None else csv_kinds)
    kinds: Counter[str] = Counter()
    if jsonl_kinds:
        lines = []
        for kind in jsonl_kinds:
            lines.append(writer.jsonl_line(kind))
            kinds[f"jsonl:{kind}"] += 1
            if blank_lines and rng.random() < 0.1:
                lines.append(b"")
        (root / "posts.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    if csv_kinds:
        records = [",".join(CSV_COLUMNS).encode()]
        for kind in csv_kinds:
            records.append(writer.csv_record(kind))
            kinds[f"csv:{kind}"] += 1
        (root / "posts.csv").write_bytes(b"\n".join(records) + b"\n")
    return HostileCorpus(
        root=root,
        rows=len(jsonl_kinds) + len(csv_kinds),
        kinds=kinds,
        outside_media=writer.outside_media,
        secret=writer.secret,
    )
