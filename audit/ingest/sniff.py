"""What is this path? Recognise a corpus — a file, a folder, an export folder or a glob — and
choose, for each of its files, the reader and the mapping preset.

Order of decisions for a folder: account exports first (X archive, Mastodon archive, Reddit
data request, Instagram/Facebook DYI: :mod:`audit.ingest.formats.exports`), then webdataset
shards (``.tar``, their img2dataset ``.parquet`` stats beside them), then every other data
file on its own. For a file, the reader comes from its content (magic bytes, first
characters): Parquet, a Bluesky CAR, a tar, a JSON document or array (also inside a
``window.X = `` script), newline-delimited JSON, or CSV; gzip and zstd are opened
transparently. The preset is the one whose ``signature`` (key paths every record has) the
first records match best; ``--mapping`` overrides it. A file no preset fits is an input
error that names its keys — never a guess.
"""

from __future__ import annotations

import glob
import json
import tarfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from audit.errors import InputError
from audit.ingest.formats import car, csvfile, exports, webdataset
from audit.ingest.formats.jsondoc import json_start
from audit.ingest.mapping import Mapping, load_mapping, preset_names
from audit.ingest.records import DocumentError, decode_text, document_records, read_head
from audit.ingest.source import SkippedFile, Source

#: File names a folder walk considers (anything else — images, READMEs — is not a data file).
DATA_SUFFIXES = (".json", ".jsonl", ".ndjson", ".js", ".csv", ".tsv", ".parquet", ".pq",
                 ".car", ".tar", ".zst", ".zstd", ".gz")  # fmt: skip
SAMPLE_RECORDS = 20
#: How far a JSON-lines file whose first line outgrows the head is read to sample that line.
LONG_LINE_BYTES = 64 << 20
PARQUET_MAGIC = b"PAR1"


@dataclass
class Plan:
    """The sources of a corpus and the files in it that hold no items."""

    sources: list[Source] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    notes: list[tuple[Path, str]] = field(default_factory=list)  # (file, note)
    #: a corpus spec's shard of each source (parallel to ``sources``); empty: not sharded
    shards: list[str] = field(default_factory=list)

    def extend(self, other: Plan, shard: str | None = None) -> None:
        """Add another plan's sources, skipped files and notes (its sources in ``shard``).

        A file already in the plan (overlapping globs, a source listed twice) is read once,
        with a note; listed again with another mapping it is an InputError. Read twice, each
        of its rows would be the other's duplicate."""
        seen = {src.path: src for src in self.sources}
        new = []
        for src in other.sources:
            first = seen.get(src.path)
            if first is None:
                seen[src.path] = src
                new.append(src)
            elif first.mapping.model_dump() != src.mapping.model_dump():  # not its file name
                raise InputError(
                    f"{src.path}: listed more than once, with different mappings "
                    f"({first.mapping_ref}, {src.mapping_ref}); list it once"
                )
            else:
                self.notes.append((src.path, "listed more than once in the corpus: read once"))
        if shard is not None:
            self.shards += [""] * (len(self.sources) - len(self.shards))
            self.shards += [shard] * len(new)
        self.sources += new
        self.skipped += other.skipped
        self.notes += other.notes

    def shard_groups(self) -> list[tuple[str, list[int]]]:
        """(shard name, indexes of its sources) in spec order; one group when not sharded."""
        if not self.shards:
            return [("", list(range(len(self.sources))))]
        groups: dict[str, list[int]] = {}
        for i, name in enumerate(self.shards):
            groups.setdefault(name, []).append(i)
        return list(groups.items())


# ---------------------------------------------------------------- readers


def reader_of(path: Path, head: bytes) -> str:
    """The reader for a file, from its (decompressed) first bytes and its name."""
    suffixes = [s.lower() for s in path.suffixes]
    if head.startswith(PARQUET_MAGIC) or (suffixes and suffixes[-1] in (".parquet", ".pq")):
        return "parquet"
    if ".car" in suffixes:
        return "car"
    if ".tar" in suffixes or _is_tar(path):
        return "tar"
    text = decode_text(head)[0].lstrip("\ufeff \t\r\n")
    if any(s in (".jsonl", ".ndjson") for s in suffixes):
        return "ndjson"  # the name says one record per line: broken lines are rejected rows
    if text.startswith("["):
        return "json"
    if json_start(text):
        return "json"
    if text.startswith("{"):
        return "ndjson" if _is_ndjson(text) else "json"
    if ".csv" in suffixes or ".tsv" in suffixes:
        return "csv"
    if not text:
        return "ndjson"  # empty: no records, reported as such
    first = text.splitlines()[0]
    if any(d in first for d in csvfile.DELIMITERS):
        return "csv"
    raise InputError(
        f"{path}: unsupported file (not Parquet, CSV, JSON, JSON lines, a CAR or a tar); "
        "give --mapping with a supported file"
    )


def _is_tar(path: Path) -> bool:
    try:
        return path.is_file() and tarfile.is_tarfile(path)
    except OSError:
        return False


def _is_ndjson(text: str) -> bool:
    """True when the text is JSON values one per line (not one pretty-printed document)."""
    first_line = text.split("\n", 1)[0].strip()
    try:
        json.loads(first_line)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- presets


def _has(record: Any, path: str) -> bool:
    """True when the key path exists (``a.b``; ``a[0].b`` looks into a list's first element)."""
    for token in path.split("."):
        key, _, index = token.partition("[")
        if not isinstance(record, dict) or key not in record:
            return False
        record = record[key]
        if index:
            if not isinstance(record, list) or not record:
                return False
            record = record[0]
    return True


def matches(mapping: Mapping, record: Any) -> bool:
    """True when ``record`` has, for every signature group, one of its key paths."""
    return bool(mapping.signature) and all(
        any(_has(record, p) for p in group) for group in mapping.signature
    )


@cache
def _presets() -> tuple[tuple[str, Mapping], ...]:
    """Every bundled preset, parsed once per process (mappings are immutable)."""
    return tuple((name, load_mapping(name)) for name in preset_names())


def sample_records(path: Path, reader: str, head: bytes) -> tuple[list[Any], Any]:
    """The first records of a JSON file (as parsed values) and its top-level document."""
    text = decode_text(head)[0]
    if reader == "ndjson":
        lines = text.splitlines()
        if len(lines) <= 1 and b"\n" not in head:
            # One line longer than the head (a record with a long text or a base64 image):
            # read on to the end of that line, within a bound, to see its keys.
            lines = decode_text(read_head(path, LONG_LINE_BYTES))[0].splitlines()[:1]
        out = []
        for line in lines[:SAMPLE_RECORDS]:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out, None
    start = json_start(text)
    body = text[start:].lstrip()
    if body.startswith("{"):
        try:
            whole = json.loads(text[start:])
        except ValueError:
            whole = None
        return ([whole] if whole is not None else []), whole if whole is not None else text
    out = []
    try:
        for _, raw in document_records(text, None, start):
            out.append(json.loads(raw))
            if len(out) >= SAMPLE_RECORDS:
                break
    except DocumentError:
        pass  # the head cut the document: the records read so far are the sample
    return out, None


def _root_records(mapping: Mapping, document: Any, head_text: str | None) -> list[Any]:
    """Sample records at a preset's ``root`` of a top-level object document."""
    if not mapping.root:
        return []
    if isinstance(document, dict):
        value: Any = document
        for key in mapping.root.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        return value[:SAMPLE_RECORDS] if isinstance(value, list) else []
    if isinstance(document, str):  # the head only: walk the root's first elements
        out = []
        try:
            for _, raw in document_records(document, mapping.root.split("."), json_start(document)):
                out.append(json.loads(raw))
                if len(out) >= SAMPLE_RECORDS:
                    break
        except DocumentError:
            pass
        return out
    return []


def choose_preset(path: Path, records: list[Any], document: Any) -> tuple[str, str]:
    """(preset, why) for sampled records; InputError when none fits."""
    best: tuple[float, int, str] | None = None
    for name, mapping in _presets():
        if not mapping.signature:
            continue
        sample = _root_records(mapping, document, None) if mapping.root else records
        if not sample:
            continue
        share = sum(matches(mapping, r) for r in sample) / len(sample)
        score = (share, len(mapping.signature), name)
        if share >= 0.5 and (best is None or score[:2] > best[:2]):
            best = score
    if best is None:
        keys = sorted({k for r in records if isinstance(r, dict) for k in r})[:25]
        raise InputError(
            f"{path}: format not recognised (record keys: {', '.join(keys) or 'none'}); "
            f"give --mapping with a preset ({', '.join(preset_names())}) or a mapping file "
            "(docs/MAPPINGS.md)"
        )
    return best[2], f"recognised as {best[2]} ({best[0]:.0%} of the first records match)"


def _table_preset(path: Path, columns: list[str]) -> tuple[str, str]:
    record = dict.fromkeys(columns, "")
    lowered = {c.lower(): "" for c in columns}
    tabular = [
        (n, m) for n, m in _presets() if not (m.explode or m.root or m.lookups) and m.signature
    ]
    for name, mapping in sorted(tabular, key=lambda nm: -len(nm[1].signature)):
        if matches(mapping, record) or matches(mapping, lowered):
            return name, f"recognised as {name} (columns)"
    raise InputError(
        f"{path}: format not recognised (columns: {', '.join(columns[:25])}); give --mapping "
        f"with a preset ({', '.join(preset_names())}) or a mapping file (docs/MAPPINGS.md)"
    )


def _parquet_columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds
        raise InputError(f"{path}: cannot read Parquet: {exc}") from exc


# ---------------------------------------------------------------- files


def plan_file(path: Path, mapping_ref: str | None, relative_to: Path | None = None) -> Plan:
    """The source for one data file (its reader sniffed; its preset sniffed unless given)."""
    head = read_head(path)
    reader = reader_of(path, head)
    context: str | None = None
    base = None
    if reader == "car":
        context = car.context(path)
    if mapping_ref:
        mapping = load_mapping(mapping_ref, relative_to=relative_to)
        why = f"mapping {mapping_ref} (given); reader {reader}"
        return Plan([Source(path.resolve(), reader, mapping, mapping_ref, context, None, why)])
    if reader == "car":
        preset, why = "bluesky_repo", "Bluesky repository CAR"
    elif reader == "tar":
        preset, why = "webdataset", "webdataset/img2dataset shard"
    elif reader == "parquet":
        preset, why = _table_preset(path, _parquet_columns(path))
    elif reader == "csv":
        preset, why = _table_preset(path, csvfile.sniff_header(path))
    elif not head.strip():
        preset, why = "generic", "empty file"
    else:
        records, document = sample_records(path, reader, head)
        preset, why = choose_preset(path, records, document)
        if preset in ("instagram", "facebook"):
            base = exports.media_root(path)
    src = Source(path.resolve(), reader, load_mapping(preset), preset, context, base, why)
    return Plan([src])


def _export_plan(export: exports.Export, mapping_ref: str | None, rel: Path | None) -> Plan:
    plan = Plan(skipped=list(export.skipped))
    for part in export.parts:
        ref = mapping_ref or part.preset
        why = f"{export.kind}: {part.path.name} → {ref}"
        plan.sources.append(
            Source(part.path.resolve(), part.reader, load_mapping(ref, relative_to=rel), str(ref),
                   json.dumps(part.context, ensure_ascii=False), part.media_base, why)
        )  # fmt: skip
    return plan


def _is_data_file(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes]
    return bool(suffixes) and suffixes[-1] in DATA_SUFFIXES


def plan_folder(folder: Path, mapping_ref: str | None, rel: Path | None = None) -> Plan:
    """Every item file below a folder: exports first, then shards, then single files."""
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(x.startswith(".") for x in p.relative_to(folder).parts)
    )
    # An audit output folder inside the corpus (report.json, manifest.json ...) is not data.
    outputs = {p.parent for p in files if p.name == "audit.duckdb"}
    files = [p for p in files if not any(o == p.parent or o in p.parents for o in outputs)]
    plan = Plan()
    claimed: set[Path] = set()
    for sub in [folder, *sorted({p.parent for p in files} - {folder})]:
        local = [p for p in files if p not in claimed and (sub == p.parent or sub in p.parents)]
        for recognise in exports.RECOGNISERS:
            export = recognise(sub, local)
            if export is not None:
                plan.extend(_export_plan(export, mapping_ref, rel))
                claimed |= export.claimed | {part.path for part in export.parts}
                local = [p for p in local if p not in claimed]
    rest = [p for p in files if p not in claimed and _is_data_file(p)]
    shards = {p.with_suffix("") for p in rest if p.suffix.lower() == ".tar"}
    for p in rest:
        if p.suffix.lower() in (".parquet", ".pq") and p.with_suffix("") in shards:
            note = webdataset.shard_stats(p)
            plan.skipped.append(SkippedFile(p, "img2dataset stats of a shard (not items)"))
            if note:
                plan.notes.append((p, note))
            continue
        if p.name.endswith("_stats.json") and p.name.removesuffix("_stats.json") in {
            s.name for s in shards
        }:
            plan.skipped.append(SkippedFile(p, "img2dataset stats of a shard (not items)"))
            continue
        plan.extend(plan_file(p, mapping_ref, rel))
    if not plan.sources and not plan.skipped:
        raise InputError(f"{folder}: the folder holds no corpus files ({', '.join(DATA_SUFFIXES)})")
    return plan


def plan_target(target: str, mapping_ref: str | None, origin: str, rel: Path | None = None) -> Plan:
    """Plan a file, folder or glob."""
    if glob.has_magic(target):
        found = [Path(p) for p in sorted(glob.glob(target, recursive=True)) if Path(p).is_file()]
        if not found:
            raise InputError(f"{origin}: no corpus files match {target}")
        plan = Plan()
        for p in found:
            plan.extend(_single(p, mapping_ref, rel))
        return plan
    path = Path(target)
    if path.is_dir():
        return plan_folder(path, mapping_ref, rel)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    return _single(path, mapping_ref, rel)


def _single(path: Path, mapping_ref: str | None, rel: Path | None) -> Plan:
    """A file on its own — unless it is the item file of an export in its folder, which
    then reads it with the export's preset and context."""
    folder = path.parent
    # Only the file's own folder (and an archive's data/ below it): never a deep walk.
    siblings = sorted(p for p in folder.iterdir() if p.is_file())
    if (folder / "data").is_dir():
        siblings += sorted(p for p in (folder / "data").iterdir() if p.is_file())
    for recognise in exports.RECOGNISERS:
        export = recognise(folder, siblings)
        if export is not None:
            own = [part for part in export.parts if part.path.resolve() == path.resolve()]
            if own:
                return _export_plan(exports.Export(export.kind, own, [], set()), mapping_ref, rel)
    return plan_file(path, mapping_ref, rel)
