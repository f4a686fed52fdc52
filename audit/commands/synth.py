"""`audit synth`: write a synthetic canonical-schema corpus for smoke tests and benchmarks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from audit.errors import InputError

_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}


def _media_paths(media_dir: Path | None, out: Path) -> list[str]:
    """Image files under ``media_dir`` as paths relative to the output file's folder."""
    if media_dir is None:
        return []
    if not media_dir.is_dir():
        raise InputError(f"{media_dir}: not a folder")
    base = out.resolve().parent
    files = sorted(p for p in media_dir.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
    if not files:
        raise InputError(f"{media_dir}: no image files")
    return [Path(os.path.relpath(p.resolve(), base)).as_posix() for p in files]


def synth(
    out: Annotated[Path, typer.Argument(help="Output file: .parquet, .csv or .jsonl.")],
    items: int = typer.Option(10_000, "--items", "-n", min=1, help="Number of items."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same rows)."),
    media_dir: Annotated[
        Path | None,
        typer.Option("--media-dir", help="Folder of images; ~10% of items reference one of them."),
    ] = None,
    platform: str = typer.Option("synthetic", "--platform", help="Value of the platform column."),
) -> None:
    """Write N synthetic items in the canonical schema (read them with the `generic` preset).

    Captions carry realistic PII, minor age cues and hard negatives; authors post several
    items each; visibility, opt-out, licence and birth dates vary. Rows are generated
    inside DuckDB, so 10 million items take seconds, and the same --seed gives the same rows.

    Example:

        audit synth /tmp/bench/items.parquet --items 1000000 --media-dir sample_data/images
        audit scan /tmp/bench/items.parquet --out /tmp/bench/audit
    """
    from audit.store import open_memory
    from audit.synth.corpus import synthetic_items_sql

    suffix = out.suffix.lower()
    if suffix not in (".parquet", ".csv", ".jsonl", ".ndjson"):
        raise InputError(f"{out}: unsupported format {suffix!r} (use .parquet, .csv or .jsonl)")
    sql = synthetic_items_sql(
        items, seed, image_paths=_media_paths(media_dir, out), platform=platform
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    con = open_memory()
    try:
        relation = con.sql(sql)
        if suffix == ".parquet":
            relation.write_parquet(str(out), compression="zstd")
        elif suffix == ".csv":
            relation.write_csv(str(out), header=True)
        else:
            target = str(out).replace("'", "''")  # a literal in COPY; no other user text in SQL
            con.execute(f"COPY ({sql}) TO '{target}' (FORMAT JSON)")
    finally:
        con.close()
    typer.echo(f"wrote {items:,} synthetic items to {out}")


def register(app: typer.Typer) -> None:
    """Add `audit synth` to the CLI."""
    app.command("synth")(synth)
