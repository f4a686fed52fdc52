"""NDJSON batching: every line exactly once, numbered, in batches of whole row groups."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import zstandard

from audit.ingest.records import ndjson_batches


def _read_back(path: Path, **options: int) -> tuple[str, list[int], list[int]]:
    text, numbers, sizes = [], [], []
    for batch in ndjson_batches(path, **options):
        table = batch.table.to_pydict()
        text += table["line"]
        numbers += table["line_no"]
        sizes.append(batch.table.num_rows)
    return "".join(text), numbers, sizes


@pytest.mark.parametrize("seed", range(12))
def test_every_line_once_in_order_in_batches_of_the_asked_size(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    n, batch_lines = rng.randint(0, 3000), rng.randint(1, 700)
    lines = [f'{{"i": {i}, "t": "{"é" * rng.randint(0, 60)}"}}' for i in range(n)]
    data = "\n".join(lines) + ("\n" if rng.random() < 0.5 else "")
    path = tmp_path / "x.jsonl"
    path.write_text(data, encoding="utf-8")
    text, numbers, sizes = _read_back(
        path, chunk_bytes=rng.randint(1, 5000), batch_lines=batch_lines
    )
    assert text == data
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) == data.count("\n") + (0 if data.endswith("\n") or not data else 1)
    # Whole DuckDB row groups: the first batch one of them, every later one but the last
    # exactly batch_lines lines.
    first = min(batch_lines, 122_880)
    assert all(size == batch_lines for size in sizes[1:-1])
    assert not sizes or 0 < sizes[0] <= first and 0 < sizes[-1] <= batch_lines
    assert len(sizes) < 2 or sizes[0] == first


def test_zstd_input_with_a_long_window(tmp_path: Path) -> None:
    data = "".join(f'{{"id": "c{i}"}}\n' for i in range(5000)).encode()
    path = tmp_path / "RC_x.zst"
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31)
    path.write_bytes(zstandard.ZstdCompressor(compression_params=params).compress(data))
    text, numbers, sizes = _read_back(path, batch_lines=2048)
    assert text.encode() == data and numbers[-1] == 5000
    assert sizes == [2048, 2048, 904]  # batch_lines under a row group: the first one too


def test_a_line_longer_than_a_read_grows_the_buffer_geometrically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from audit.ingest import records

    monkeypatch.setattr(records, "MAX_CHUNK_BYTES", 64 << 10)
    reads = []
    fill = records._fill
    monkeypatch.setattr(
        records, "_fill", lambda fh, view: reads.append(len(view)) or fill(fh, view)
    )
    long = '{"t": "' + "x" * (24 << 20) + '"}'
    path = tmp_path / "long.jsonl"
    path.write_text(long + "\n" + '{"t": 1}\n')
    text, numbers, _ = _read_back(path, chunk_bytes=1 << 20)
    assert text == long + "\n" + '{"t": 1}\n' and numbers == [1, 2]
    assert len(reads) < 12  # doubling: ~log2(24) reads, not one per MB (each a full copy)
