"""Ray engine: the detector stage as Ray Data ``map_batches`` over Parquet shards.

Same detector classes and the same contract as the local engine (:func:`iter_batches`), so
the detect stage can switch executors with ``--engine ray``. Work is exchanged as Parquet:
pending contents are written as input shards, Ray tasks run the detector over record
batches (``setup()`` once per worker process), and results are written as output shards
(one row per content: sha256, error, findings as JSON) that the driver streams back into the
DuckDB cache. On a cluster, point ``address`` at it (``ray://head:10001``) and put the shards
on storage every node can read (set ``AUDIT_RAY_SHARDS`` to a shared path).

Ray is an optional extra: ``pip install 'corpus-audit[ray]'``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from audit.detectors.base import Content, Finding, Result
from audit.detectors.registry import create_detector
from audit.errors import InputError, UsageError

#: Contents per input shard: bounds driver memory while writing shards.
SHARD_ROWS = 50_000


def configure_ray_environment() -> None:
    """Environment Ray must see before it is imported (it reads these at import).

    No usage reporting (nothing may touch the network), and no `uv run` runtime_env hook
    that would re-create the environment for every worker: workers share this one.
    """
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")


def _require_ray() -> Any:
    configure_ray_environment()
    try:
        import ray
    except ImportError as exc:  # the extra is not installed
        raise UsageError(
            "--engine ray needs Ray: install the extra with `pip install 'corpus-audit[ray]'`"
        ) from exc
    return ray


#: Detectors already set up in this Ray worker process, by (name, options).
_WORKER_DETECTORS: dict[str, Any] = {}


def _worker_detector(name: str, options: dict[str, Any]) -> Any:
    """The detector for this worker process, created and set up once (models load once)."""
    key = json.dumps([name, options], sort_keys=True)
    if key not in _WORKER_DETECTORS:
        from audit.offline import ensure_offline

        ensure_offline()
        detector = create_detector(name, **options)
        detector.setup()
        _WORKER_DETECTORS[key] = detector
    return _WORKER_DETECTORS[key]


def detect_record_batch(
    batch: dict[str, Any], name: str, options: dict[str, Any]
) -> dict[str, list[Any]]:
    """Ray Data batch function: one record batch of contents → one of results.

    Runs as ordinary Ray tasks (not an actor pool): tasks share the CPUs with the read and
    write tasks, so a 2-CPU node cannot deadlock with every CPU held by idle actors; Ray
    reuses worker processes, so each process sets its detector up once.
    """
    detector = _worker_detector(name, options)
    contents = [
        Content(sha256=s, text=t, path=p)
        for s, t, p in zip(batch["sha256"], batch["text"], batch["path"], strict=True)
    ]
    results = detector.detect_batch(contents)
    return {
        "sha256": [r.sha256 for r in results],
        "error": [r.error for r in results],
        "findings": [json.dumps([_finding_dict(f) for f in r.findings]) for r in results],
    }


def _finding_dict(finding: Finding) -> dict[str, Any]:
    data = asdict(finding)
    if data["bbox"] is not None:
        data["bbox"] = list(data["bbox"])
    if data["embedding"] is not None:
        data["embedding"] = [float(x) for x in data["embedding"]]
    return data


def _finding_from(data: dict[str, Any]) -> Finding:
    bbox = data.get("bbox")
    embedding = data.get("embedding")
    return Finding(
        entity_type=data["entity_type"],
        score=data.get("score", 1.0),
        start=data.get("start"),
        end=data.get("end"),
        bbox=tuple(bbox) if bbox is not None else None,
        recognizer=data.get("recognizer"),
        attributes=data.get("attributes"),
        embedding=tuple(embedding) if embedding is not None else None,
    )


def write_input_shards(contents: Iterable[Content], folder: Path) -> int:
    """Write contents as Parquet shards of at most :data:`SHARD_ROWS` rows; return the count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([("sha256", pa.string()), ("text", pa.string()), ("path", pa.string())])
    total, shard, buffer = 0, 0, []

    def flush() -> None:
        nonlocal shard, buffer
        if buffer:
            table = pa.Table.from_pylist(buffer, schema=schema)
            pq.write_table(table, folder / f"part-{shard:05d}.parquet")
            shard, buffer = shard + 1, []

    for content in contents:
        buffer.append({"sha256": content.sha256, "text": content.text, "path": content.path})
        total += 1
        if len(buffer) >= SHARD_ROWS:
            flush()
    flush()
    return total


def run_to_parquet(
    name: str,
    options: dict[str, Any],
    input_dir: Path,
    output_dir: Path,
    *,
    workers: int,
    batch_size: int,
    address: str | None = None,
) -> None:
    """Run detector ``name`` over the input shards on Ray; write result shards to output_dir."""
    ray = _require_ray()
    if not ray.is_initialized():
        # Silence Ray's own usage reporting: nothing may touch the network.
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(
            address=address,
            num_cpus=None if address else workers,
            include_dashboard=False,
            log_to_driver=False,
            ignore_reinit_error=True,
        )
    dataset = ray.data.read_parquet(str(input_dir))
    results = dataset.map_batches(
        detect_record_batch,
        fn_kwargs={"name": name, "options": options},
        batch_size=batch_size,
        batch_format="numpy",
    )
    results.write_parquet(str(output_dir))


def read_result_shards(output_dir: Path, batch_size: int = 4096) -> Iterator[list[Result]]:
    """Stream Results back from the output shards, one list per record batch."""
    import pyarrow.parquet as pq

    for shard in sorted(output_dir.glob("*.parquet")):
        for batch in pq.ParquetFile(shard).iter_batches(batch_size=batch_size):
            yield [
                Result(
                    sha256=sha,
                    error=error,
                    findings=[_finding_from(f) for f in json.loads(findings or "[]")],
                )
                for sha, error, findings in zip(
                    batch.column("sha256").to_pylist(),
                    batch.column("error").to_pylist(),
                    batch.column("findings").to_pylist(),
                    strict=True,
                )
            ]


def iter_batches(
    name: str,
    options: dict[str, Any] | None,
    contents: Iterable[Content],
    *,
    workers: int = 1,
    batch_size: int = 64,
    address: str | None = None,
) -> Iterator[list[Result]]:
    """The engine contract (`iter_batches`, as in audit/engine/local.py) on Ray via Parquet shards.

    Results are committed by the caller per yielded list, but only after the Ray job has
    finished: a scan killed during a Ray job redoes that job (a detector stage per job).
    """
    options = dict(options or {})
    # Constructing a detector loads no model: bad options fail here, in one line, before a
    # Ray job starts (the local engine reports them the same way).
    try:
        create_detector(name, **options)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"detector {name!r}: {exc}") from None
    root = os.environ.get("AUDIT_RAY_SHARDS")
    with tempfile.TemporaryDirectory(prefix="audit-ray-", dir=root) as tmp:
        input_dir, output_dir = Path(tmp) / "in", Path(tmp) / "out"
        if write_input_shards(contents, input_dir) == 0:
            return
        try:
            run_to_parquet(
                name,
                options,
                input_dir,
                output_dir,
                workers=workers,
                batch_size=batch_size,
                address=address or os.environ.get("RAY_ADDRESS"),
            )
        except Exception as exc:  # noqa: BLE001 - detectors return per-content errors, never
            # raise: a failed Ray job is a broken installation (setup()) or cluster; say so once.
            raise InputError(f"detector {name!r} failed on Ray: {_root_cause(exc)}") from exc
        yield from read_result_shards(output_dir)


def _root_cause(exc: BaseException) -> str:
    """The innermost exception's one-line message (Ray wraps worker errors several times)."""
    while exc.__cause__ is not None or getattr(exc, "cause", None) is not None:
        exc = exc.__cause__ or exc.cause  # type: ignore[attr-defined]
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"
