"""Apply a consent registry to the scanned corpus, set-based in DuckDB.

:func:`apply_registry` stores this scan's registry version (``registry_requests``) and the
items each request covers (``registry_matches``: by author, URL, domain, e-mail, image copy
and face, each with its evidence words). :func:`find_copies` records which image contents
of the corpus are perceptual copies of each other (``image_copies``), which rules read to
flag public copies of non-public images. All SQL is in audit/sql/registry.sql.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb

from audit.detectors.faces.reference import MATCH_DISTANCE as FACE_DISTANCE
from audit.detectors.image_hash import pdq
from audit.registry import lsh
from audit.registry.load import Problem, Registry, RegistryError, RegistryFile, Request
from audit.registry.normalise import install_macros
from audit.registry.subjects import FACE_VERSION
from audit.store import query, registered

_SQL = "registry.sql"

#: Ways a request can cover an item, in the order the report lists them.
METHODS = ("author", "url", "domain", "email", "image", "face")


@dataclass
class RegistrySummary:
    """What applying the registry did (the manifest's ``registry`` entry)."""

    files: list[RegistryFile] = field(default_factory=list)
    requests: int = 0
    matched_requests: int = 0
    items: int = 0
    by_method: dict[str, dict[str, int]] = field(default_factory=dict)
    copies: int = 0
    seconds: float = 0.0

    def manifest(self) -> dict:
        """JSON-ready form for the run manifest."""
        return {
            "files": [vars(f) for f in self.files],
            "requests": self.requests,
            "matched_requests": self.matched_requests,
            "unmatched_requests": self.requests - self.matched_requests,
            "items_covered": self.items,
            "by_method": self.by_method,
            "image_copy_pairs": self.copies,
            "pdq_threshold": pdq.MATCH_DISTANCE,
            "face_threshold": FACE_DISTANCE,
            "seconds": round(self.seconds, 3),
        }


def _load_requests(con: duckdb.DuckDBPyConnection, requests: list[Request]) -> None:
    """The requests into the temp table ``reg_requests`` with their normalised subjects (one
    Arrow batch: a row-by-row insert costs ~0.5 ms a row)."""
    import pyarrow as pa

    install_macros(con)
    con.execute(query(_SQL, "temp_requests"))
    columns = ("source_file", "source_line", "request_id", "kind", "subject_type", "subject",
               "platform", "received_at", "subject_sha256")  # fmt: skip
    batch = pa.table({c: [getattr(r, c) for r in requests] for c in columns})
    with registered(con, "reg_requests_arrow", batch):
        con.execute(query(_SQL, "insert_requests"))
    con.execute(query(_SQL, "normalised_requests"))


def check_subjects(requests: list[Request]) -> None:
    """Raise :class:`RegistryError` for every URL, domain, e-mail or handle that the
    normalisation macros cannot read (run before the scan, on a throw-away database)."""
    con = duckdb.connect()
    try:
        _load_requests(con, requests)
        bad = con.execute(query(_SQL, "bad_subjects")).fetchall()
    finally:
        con.close()
    words = {
        "author": "not a handle or account id",
        "url": "not a URL with a host name (e.g. https://example.com/post/1)",
        "domain": "not a domain name (e.g. example.com)",
        "email": "not an e-mail address",
    }
    if bad:
        raise RegistryError(
            [
                Problem(file, line, "subject", words.get(kind, "unreadable"))
                for file, line, kind in bad
            ]
        )


def _has_image_hashes(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute(query(_SQL, "has_image_hashes")).fetchone()[0]


def _image_pairs(con: duckdb.DuckDBPyConnection, left: str, right: str, table: str) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS {lsh.pairs_sql(left, right)}",
        {"threshold": pdq.MATCH_DISTANCE},
    )


def apply_registry(
    con: duckdb.DuckDBPyConnection, registry: Registry, run_id: str
) -> RegistrySummary:
    """Store this scan's registry version and every item each request covers."""
    started = time.perf_counter()
    _load_requests(con, registry.requests)
    params = {"run_id": run_id}
    con.execute(query(_SQL, "clear_run_matches"), params)
    con.execute(query(_SQL, "clear_run_requests"), params)
    con.execute(query(_SQL, "save_version"), params)
    types = {r.subject_type for r in registry.requests}
    if types & {"author"}:
        con.execute(query(_SQL, "item_authors"))
        con.execute(query(_SQL, "match_authors"), params)
    if types & {"url", "domain"}:
        con.execute(query(_SQL, "item_urls"))
        con.execute(query(_SQL, "match_urls"), params)
        con.execute(query(_SQL, "match_domains"), params)
    if "email" in types:
        con.execute(query(_SQL, "item_emails"))
        con.execute(query(_SQL, "match_emails"), params)
    if "image" in types and _has_image_hashes(con):
        con.execute(query(_SQL, "item_hashes"), {"min_quality": pdq.MIN_QUALITY})
        con.execute(query(_SQL, "subject_hashes"), {"version": pdq.VERSION})
        _image_pairs(
            con,
            query(_SQL, "subject_hash_ids"),
            query(_SQL, "corpus_hashes"),
            "reg_image_pairs",
        )
        con.execute(query(_SQL, "match_images"), params)
    if "face" in types:
        from audit.detectors.faces.detector import FacesDetector

        con.execute(
            query(_SQL, "match_faces"),
            {**params, "version": FACE_VERSION, "faces_version": FacesDetector.version,
             "threshold": FACE_DISTANCE},
        )  # fmt: skip
    by_method = {
        method: {"requests": n_req, "items": n_items}
        for method, n_req, n_items, _ in con.execute(query(_SQL, "match_counts"), params).fetchall()
    }
    matched, items = con.execute(query(_SQL, "run_totals"), params).fetchone()
    return RegistrySummary(
        files=list(registry.files),
        requests=len(registry.requests),
        matched_requests=matched,
        items=items,
        by_method=by_method,
        seconds=time.perf_counter() - started,
    )


def find_copies(con: duckdb.DuckDBPyConnection) -> int:
    """Rebuild ``image_copies``: pairs of distinct image contents within the PDQ threshold."""
    con.execute(query(_SQL, "clear_copies"))
    if not _has_image_hashes(con):
        return 0
    con.execute(query(_SQL, "item_hashes"), {"min_quality": pdq.MIN_QUALITY})
    corpus = query(_SQL, "corpus_hashes")
    _image_pairs(con, corpus, corpus, "reg_copy_pairs")
    con.execute(query(_SQL, "save_copies"))
    return con.execute(query(_SQL, "copy_counts")).fetchone()[0]
