"""Ray engine: the detector stage as Ray tasks over Parquet shards, committed shard by shard.

Same detector classes as the local engine. Work is exchanged as Parquet files in a shard
folder (beside the audit database by default, so it survives the scan process):

* the driver writes the pending contents as input shards of :func:`shard_rows` contents
  (``in/<run>-<n>.parquet``);
* one Ray task per input shard (:func:`run_shard`) runs the detector over it (``setup()``
  once per worker process) and writes a *result shard*: ``out/<stem>.findings.parquet``
  then ``out/<stem>.results.parquet`` (each written to a temporary name and renamed, so a
  results file exists only once its shard is complete);
* the driver commits each result shard as its task completes (audit/cache.py
  ``commit_result_shards``: DuckDB reads the files, one transaction, no row through Python)
  and then deletes it.

A task whose node dies is re-run by Ray on another node (``max_retries``). A scan killed
mid-stage loses only the shards in flight: the next scan first commits every complete result
shard it finds in the folder (:func:`finished_shards`), then analyses what is still pending.

On a cluster, set ``RAY_ADDRESS`` (the head's GCS address ``head:6379``, or ``ray://head:10001``
for Ray Client) and put the shard folder on storage every node can read and write
(``AUDIT_RAY_SHARDS``, or an ``--out`` folder on shared storage; docs/SCALE.md).

Ray is an optional extra: ``pip install 'corpus-audit[ray]'``.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from audit.detectors.base import Content, Finding, Result
from audit.detectors.registry import create_detector
from audit.engine import heap
from audit.errors import InputError, UsageError

#: Batches of the detector per shard (a shard is one Ray task and one commit).
SHARD_BATCHES = 16
#: ``AUDIT_RAY_SHARD_ROWS`` sets the contents per shard instead.
SHARD_ROWS_ENV = "AUDIT_RAY_SHARD_ROWS"
#: Retries of a task whose worker or node died (not of a detector that raised).
TASK_RETRIES = 5
_RESULTS, _FINDINGS = ".results.parquet", ".findings.parquet"


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


def shard_rows(batch_size: int) -> int:
    """Contents per shard: ``AUDIT_RAY_SHARD_ROWS``, else :data:`SHARD_BATCHES` batches."""
    configured = os.environ.get(SHARD_ROWS_ENV)
    return max(1, int(configured)) if configured else max(1, batch_size * SHARD_BATCHES)


# ---------------------------------------------------------------- worker side


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
        heap.freeze_loaded_state()
    return _WORKER_DETECTORS[key]


def _write_atomic(table: Any, path: Path) -> None:
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def run_shard(
    name: str, options: dict[str, Any], input_path: str, output_dir: str, batch_size: int
) -> str:
    """Run detector ``name`` over one input shard; write its result shard; return the stem.

    The body of a Ray task, callable in-process too. Detectors return per-content errors and
    do not raise; an exception here is a broken installation (``setup()``) and fails the task.
    """
    import pyarrow.parquet as pq

    from audit.cache import result_tables

    detector = _worker_detector(name, options)
    columns = pq.read_table(input_path).to_pydict()
    contents = [
        Content(sha256=s, text=t, path=p)
        for s, t, p in zip(columns["sha256"], columns["text"], columns["path"], strict=True)
    ]
    results: list[Result] = []
    for i in range(0, len(contents), batch_size):
        batch = contents[i : i + batch_size]
        out = detector.detect_batch(batch)
        if [r.sha256 for r in out] != [c.sha256 for c in batch]:
            raise RuntimeError("detector returned results that do not match its batch")
        results.extend(out)
    result_table, finding_table = result_tables(results)
    stem = Path(input_path).stem
    folder = Path(output_dir)
    # findings first: a results file is the mark of a complete shard
    _write_atomic(finding_table, folder / f"{stem}{_FINDINGS}")
    _write_atomic(result_table, folder / f"{stem}{_RESULTS}")
    return stem


# ---------------------------------------------------------------- driver side


def finished_shards(folder: Path) -> list[tuple[str, str]]:
    """Complete result shards in ``folder/out`` as (results, findings) file pairs."""
    out = folder / "out"
    pairs = []
    for results in sorted(out.glob(f"*{_RESULTS}")):
        findings = results.with_name(results.name.removesuffix(_RESULTS) + _FINDINGS)
        if findings.exists():
            pairs.append((str(results), str(findings)))
    return pairs


def remove_shard(pair: tuple[str, str]) -> None:
    """Delete a committed result shard (results file last: it marks a complete shard)."""
    results, findings = pair
    Path(findings).unlink(missing_ok=True)
    Path(results).unlink(missing_ok=True)


def write_input_shards(contents: Iterable[Content], folder: Path, rows: int) -> Iterator[Path]:
    """Write contents as Parquet input shards of at most ``rows`` rows, yielding each path as
    it is written (lazily: the first tasks start while later shards are still being read).

    Shard names carry a fresh run token, so a shard of an earlier (killed) scan is never
    mistaken for one of this scan.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([("sha256", pa.string()), ("text", pa.string()), ("path", pa.string())])
    token = secrets.token_hex(4)
    buffer: list[dict[str, str | None]] = []
    n = 0
    for content in contents:
        buffer.append({"sha256": content.sha256, "text": content.text, "path": content.path})
        if len(buffer) >= rows:
            path = folder / f"{token}-{n:06d}.parquet"
            pq.write_table(pa.Table.from_pylist(buffer, schema=schema), path)
            buffer, n = [], n + 1
            yield path
    if buffer:
        path = folder / f"{token}-{n:06d}.parquet"
        pq.write_table(pa.Table.from_pylist(buffer, schema=schema), path)
        yield path


def _connect(ray: Any, workers: int, address: str | None) -> None:
    if not ray.is_initialized():
        ray.init(
            address=address,
            num_cpus=None if address else workers,
            include_dashboard=False,
            log_to_driver=False,
            ignore_reinit_error=True,
        )


def iter_result_shards(
    name: str,
    options: dict[str, Any] | None,
    contents: Iterable[Content],
    folder: Path,
    *,
    workers: int = 1,
    batch_size: int = 64,
    address: str | None = None,
) -> Iterator[tuple[tuple[str, str], int]]:
    """Run the detector over ``contents`` as Ray tasks; yield ((results, findings), rows) per
    result shard as its task completes (completion order). The caller commits and removes
    each shard (:func:`remove_shard`); ``folder`` holds ``in/`` and ``out/``."""
    options = dict(options or {})
    _check_options(name, options)
    in_dir, out_dir = folder / "in", folder / "out"
    shutil.rmtree(in_dir, ignore_errors=True)  # an earlier scan's inputs are recomputed
    out_dir.mkdir(parents=True, exist_ok=True)
    shards = write_input_shards(contents, in_dir, shard_rows(batch_size))
    first = next(shards, None)
    if first is None:
        return
    ray = _require_ray()
    _connect(ray, workers, address or os.environ.get("RAY_ADDRESS"))
    task = ray.remote(num_cpus=1, max_retries=TASK_RETRIES, retry_exceptions=False)(run_shard)
    window = max(2, 2 * int(ray.cluster_resources().get("CPU", workers)))
    todo: Iterator[Path] = itertools.chain([first], shards)
    in_flight: dict[Any, Path] = {}
    try:
        while True:
            while len(in_flight) < window and (shard := next(todo, None)) is not None:
                ref = task.options(scheduling_strategy="SPREAD").remote(
                    name, options, str(shard), str(out_dir), batch_size
                )
                in_flight[ref] = shard
            if not in_flight:
                return
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            for ref in ready:
                shard = in_flight.pop(ref)
                try:
                    stem = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - see run_shard: a broken detector
                    raise InputError(
                        f"detector {name!r} failed on Ray: {_root_cause(exc)}"
                    ) from exc
                pair = (str(out_dir / f"{stem}{_RESULTS}"), str(out_dir / f"{stem}{_FINDINGS}"))
                rows = _rows(shard)
                shard.unlink(missing_ok=True)
                yield pair, rows
    finally:
        for ref in in_flight:
            ray.cancel(ref, force=True)


def _rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def _check_options(name: str, options: dict[str, Any]) -> None:
    # Constructing a detector loads no model: bad options fail here, in one line, before a
    # Ray job starts (the local engine reports them the same way).
    try:
        create_detector(name, **options)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"detector {name!r}: {exc}") from None


def read_result_shard(pair: tuple[str, str]) -> list[Result]:
    """The Results of one result shard (for callers without an audit store)."""
    import pyarrow.parquet as pq

    results, findings = pair
    by_content: dict[str, list[Finding]] = {}
    for row in pq.read_table(findings).to_pylist():
        by_content.setdefault(row["content_sha256"], []).append(
            Finding(
                entity_type=row["entity_type"],
                score=row["score"],
                start=row["start"],
                end=row["end"],
                bbox=tuple(row["bbox"]) if row["bbox"] is not None else None,
                recognizer=row["recognizer"],
                attributes=json.loads(row["attributes"]) if row["attributes"] else None,
                embedding=tuple(row["embedding"]) if row["embedding"] is not None else None,
            )
        )
    return [
        Result(sha256=r["sha256"], error=r["error"], findings=by_content.get(r["sha256"], []))
        for r in pq.read_table(results).to_pylist()
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
    """The engine contract (`iter_batches`, as in audit/engine/local.py): one list of Results
    per result shard, from a temporary shard folder (the detect stage uses
    :func:`iter_result_shards` with a persistent folder and commits shards in bulk)."""
    root = os.environ.get("AUDIT_RAY_SHARDS")
    with tempfile.TemporaryDirectory(prefix="audit-ray-", dir=root) as tmp:
        for pair, _ in iter_result_shards(
            name, options, contents, Path(tmp),
            workers=workers, batch_size=batch_size, address=address,
        ):  # fmt: skip
            results = read_result_shard(pair)
            remove_shard(pair)
            yield results


def _root_cause(exc: BaseException) -> str:
    """The innermost exception's one-line message (Ray wraps worker errors several times)."""
    while exc.__cause__ is not None or getattr(exc, "cause", None) is not None:
        exc = exc.__cause__ or exc.cause  # type: ignore[attr-defined]
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"
