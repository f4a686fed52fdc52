"""Find the files of a corpus and read text files safely (encoding, line numbers).

A corpus is a file, a folder (every supported file below it), a glob, or a corpus spec YAML
(``sources: [{path, mapping}]``, paths relative to the spec). Text files are decoded in large
chunks: valid UTF-8 passes through; invalid bytes are decoded as Latin-1 (so ``café`` written
by a Latin-1 tool survives) and counted, never a crash.
"""

from __future__ import annotations

import codecs
import glob
import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import yaml

from audit.errors import InputError
from audit.ingest.mapping import Mapping, load_mapping

FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
SPEC_KEYS = {"path", "mapping"}
_FALLBACK = "corpus_audit_latin1_fallback"


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    # Called by the codec only for invalid byte runs, not per line.
    assert isinstance(exc, UnicodeDecodeError)
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error(_FALLBACK, _latin1_fallback)


@dataclass(frozen=True)
class Source:
    """One corpus file and the mapping that reads it."""

    path: Path  # absolute
    format: str  # parquet | csv | jsonl
    mapping: Mapping
    mapping_ref: str


@dataclass
class TextChunk:
    """A run of whole lines of a text file, decoded."""

    first_line: int  # 1-based line number of the chunk's first line
    text: str
    invalid_bytes: int  # invalid UTF-8 sequences decoded as Latin-1 in this chunk
    first_invalid_line: int | None


def file_format(path: Path) -> str | None:
    """The reader for a file name (``.gz`` allowed on text formats), or None."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
        kind = FORMATS.get(suffixes[-1]) if suffixes else None
        return kind if kind in ("csv", "jsonl") else None
    return FORMATS.get(suffixes[-1]) if suffixes else None


def _files_of(target: str, origin: str) -> list[Path]:
    """Expand a file, folder or glob into supported files (sorted, absolute)."""
    if glob.has_magic(target):
        found = [Path(p) for p in sorted(glob.glob(target, recursive=True)) if Path(p).is_file()]
        found = [p for p in found if file_format(p)]
        if not found:
            raise InputError(f"{origin}: no corpus files match {target}")
        return [p.resolve() for p in found]
    path = Path(target)
    if path.is_dir():
        found = sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and file_format(p) and not any(x.startswith(".") for x in p.parts)
        )
        if not found:
            raise InputError(f"{path}: folder holds no .parquet, .csv or .jsonl files")
        return [p.resolve() for p in found]
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if file_format(path) is None:
        raise InputError(f"{path}: unsupported file type (use .parquet, .csv, .jsonl)")
    return [path.resolve()]


def is_corpus_spec(path: Path) -> bool:
    """True for a ``.yaml``/``.yml`` file (a corpus spec; mappings are passed with --mapping)."""
    return path.suffix.lower() in (".yaml", ".yml") and path.is_file()


def discover(corpus: str | Path, mapping: str | Path | None = None) -> list[Source]:
    """Every source file of a corpus with its mapping (InputError on unusable input)."""
    corpus_str = str(corpus)
    path = Path(corpus_str)
    if not glob.has_magic(corpus_str) and is_corpus_spec(path):
        return _discover_spec(path, mapping)
    loaded = load_mapping(mapping)
    ref = str(mapping or "generic")
    return [Source(p, file_format(p) or "", loaded, ref) for p in _files_of(corpus_str, corpus_str)]


def _discover_spec(spec: Path, override: str | Path | None) -> list[Source]:
    try:
        data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"{spec}: cannot read corpus spec: {exc}".replace("\n", " ")) from exc
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise InputError(f"{spec}: a corpus spec needs `sources: [{{path, mapping}}, ...]`")
    # registry: consent registry files, read by the scan (audit/registry/load.py)
    unknown_top = set(data) - {"sources", "name", "description", "registry"}
    if unknown_top:
        raise InputError(f"{spec}: unknown key(s) {sorted(unknown_top)} in corpus spec")
    folder = spec.parent
    sources: list[Source] = []
    for i, entry in enumerate(data["sources"], 1):
        where = f"{spec}: sources[{i}]"
        if not isinstance(entry, dict) or "path" not in entry:
            raise InputError(f"{where}: each source needs a `path`")
        unknown = set(entry) - SPEC_KEYS
        if unknown:
            raise InputError(f"{where}: unknown key(s) {sorted(unknown)}")
        ref = override if override is not None else entry.get("mapping")
        loaded = load_mapping(ref, relative_to=folder)
        target = str(entry["path"])
        if not Path(target).is_absolute():
            target = str(folder / target)
        for p in _files_of(target, where):
            sources.append(Source(p, file_format(p) or "", loaded, str(ref or "generic")))
    if not sources:
        raise InputError(f"{spec}: the corpus spec lists no sources")
    return sources


def _open_binary(path: Path) -> IO[bytes]:
    try:
        if path.suffix.lower() == ".gz":
            return gzip.open(path, "rb")
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc


def _decode(data: bytes) -> tuple[str, int]:
    try:
        return data.decode("utf-8"), 0
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors=_FALLBACK)
        # Count the invalid runs by re-decoding with replacement (C speed, no row loop).
        bad = data.decode("utf-8", errors="replace").count("\ufffd") - data.count("\ufffd".encode())
        return text, max(bad, 1)


def text_chunks(path: Path, chunk_bytes: int = 32 << 20) -> Iterator[TextChunk]:
    """Decode a text file in chunks of whole lines, with the first line number of each."""
    line = 1
    rest = b""
    try:
        with _open_binary(path) as fh:
            while True:
                block = fh.read(chunk_bytes)
                data = rest + block
                if not block:
                    if data:
                        yield _chunk(data, line)
                    return
                cut = data.rfind(b"\n")
                if cut < 0:
                    rest = data
                    continue
                head, rest = data[: cut + 1], data[cut + 1 :]
                yield _chunk(head, line)
                line += head.count(b"\n")
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc


def _chunk(data: bytes, first_line: int) -> TextChunk:
    text, bad = _decode(data)
    first_bad = None
    if bad:
        # Line of the first invalid sequence, for the message (one decode of a prefix).
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            first_bad = first_line + data.count(b"\n", 0, exc.start)
    return TextChunk(first_line, text, bad, first_bad)


def file_digest(path: Path) -> tuple[int, str]:
    """(size in bytes, sha256 hex) of a file, streamed."""
    h = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as fh:
            while block := fh.read(8 << 20):
                h.update(block)
                size += len(block)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    return size, h.hexdigest()


def utf8_repaired_copy(path: Path, dest_dir: Path) -> tuple[Path, int, int | None]:
    """If a CSV file is not valid UTF-8, write a repaired UTF-8 copy into ``dest_dir``.

    Returns (path to read, invalid sequences, first bad line); the original path when valid.
    """
    bad, first = 0, None
    for c in text_chunks(path):  # first pass: check only, nothing kept in memory
        if c.invalid_bytes:
            bad += c.invalid_bytes
            first = first or c.first_invalid_line
    if not bad:
        return path, 0, None
    out = dest_dir / (path.name.removesuffix(".gz") + ".utf8.csv")
    with out.open("w", encoding="utf-8", newline="") as fh:
        for c in text_chunks(path):
            fh.write(c.text)
    return out, bad, first
