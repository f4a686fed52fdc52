"""`audit scan` plumbing that needs no pipeline: exit codes, lock, atomic writes, errors."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, FixtureDB

from audit import atomic
from audit.errors import UsageError
from audit.lock import FolderLockedError, folder_lock
from audit.report.render import rerender
from audit.scan import ScanOptions, exit_code_for, run_scan, validate

CLI = [sys.executable, "-c", "from audit.cli import run; run()"]


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [(None, 0), ("info", 1), ("medium", 1), ("high", 1), ("critical", 0)],
)
def test_exit_code_for(fail_on: str | None, expected: int) -> None:
    severities = [{"severity": "high", "flags": 3}, {"severity": "low", "flags": 1}]
    assert exit_code_for(severities, fail_on) == expected


def test_exit_code_clean_run() -> None:
    assert exit_code_for([], "info") == 0


@pytest.mark.parametrize(
    "opts",
    [
        ScanOptions(corpus="x", fail_on="severe"),
        ScanOptions(corpus="x", engine="spark"),
        ScanOptions(corpus="x", workers=0),
        ScanOptions(corpus="x", rules=Path("/nonexistent/rules")),
    ],
)
def test_bad_arguments_are_usage_errors(opts: ScanOptions) -> None:
    with pytest.raises(UsageError):
        validate(opts)


def test_second_scan_into_locked_folder_refuses(tmp_path: Path) -> None:
    with folder_lock(tmp_path), pytest.raises(FolderLockedError, match="another audit run"):
        run_scan(ScanOptions(corpus="whatever.jsonl", out=tmp_path))


def test_cli_locked_folder_exits_2(tmp_path: Path) -> None:
    with folder_lock(tmp_path):
        proc = subprocess.run(
            [*CLI, "scan", "whatever.jsonl", "--out", str(tmp_path), "--quiet"],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
        )  # fmt: skip
    assert proc.returncode == 2
    assert "another audit run is using this output folder" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1  # one line, no traceback


def test_cli_unwritable_out_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    proc = subprocess.run(
        [*CLI, "scan", "whatever.jsonl", "--out", str(blocker / "out"), "--quiet"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "not writable" in proc.stderr


def test_disk_full_leaves_existing_outputs_untouched(
    fixture_db: FixtureDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = fixture_db.path.parent
    rerender(out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def full(*_args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "replace", full)
    with pytest.raises(atomic.OutputError, match="No space left"):
        rerender(out)
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before  # same files, same bytes, no temp files left behind


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    atomic.write_text(target, "old")
    with pytest.raises(RuntimeError), atomic.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]
    assert (target.stat().st_mode & 0o777) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_scan_refuses_a_pack_whose_own_tests_fail(tmp_path: Path) -> None:
    corpus = tmp_path / "posts.jsonl"
    corpus.write_text('{"item_id": "a", "text": "hello", "visibility": "public"}\n')
    rules = tmp_path / "rules"
    rules.mkdir()
    shipped = (ROOT / "rules" / "visibility" / "non-public.yaml").read_text()
    # the rule's own cases now expect a public item to match: the rule fails them
    (rules / "broken.yaml").write_text(shipped.replace("expect: no_match", "expect: match"))
    argv = [*CLI, "scan", str(corpus), "--mapping", "generic", "--rules", str(rules), "-q"]
    refused = subprocess.run(
        [*argv, "--out", str(tmp_path / "o1"), "--detectors", "minor_cues"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert refused.returncode == 2
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, refused.stderr
    assert "broken.yaml:1: rule visibility.non-public fails its own test case" in lines[0]
    assert "--skip-rule-tests" in lines[0]
    forced = subprocess.run(
        [*argv, "--out", str(tmp_path / "o2"), "--detectors", "minor_cues", "--skip-rule-tests"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert forced.returncode == 0, forced.stderr


def test_a_pack_that_passed_its_tests_is_not_tested_again_until_it_changes(
    tmp_path: Path,
) -> None:
    import json

    corpus = tmp_path / "posts.jsonl"
    corpus.write_text('{"item_id": "a", "text": "hello", "visibility": "public"}\n')
    rules = tmp_path / "rules"
    rules.mkdir()
    shipped = (ROOT / "rules" / "visibility" / "non-public.yaml").read_text()
    (rules / "rule.yaml").write_text(shipped)
    out = tmp_path / "out"

    def rule_tests() -> str:
        run_scan(ScanOptions(corpus=str(corpus), mapping="generic", rules=rules, out=out,
                             detectors=("minor_cues",), workers=1))  # fmt: skip
        return json.loads((out / "manifest.json").read_text())["options"]["rule_tests"]

    assert rule_tests() == "passed"
    assert rule_tests() == "passed before"
    # a changed pack (here: a broken case) is tested again, and refused
    (rules / "rule.yaml").write_text(shipped.replace("expect: no_match", "expect: match"))
    with pytest.raises(Exception, match="fails its own test case"):
        rule_tests()
