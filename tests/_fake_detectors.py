"""Test detectors for the engine and cache (imported by worker processes by module path)."""

from __future__ import annotations

import ctypes
import os
from typing import Any, ClassVar

from audit.detectors.base import Content, Finding, Result


class EchoDetector:
    """One WORD finding per text; texts starting with "BAD" give an error Result."""

    name: ClassVar[str] = "echo"
    version: ClassVar[str] = "1"
    input_kind: ClassVar[str] = "text"
    batch_size: ClassVar[int] = 4
    calls: ClassVar[list[str]] = []  # in-process only: which texts were analysed

    def setup(self) -> None:
        """Nothing to load."""

    def detect_batch(self, batch: list[Content]) -> list[Result]:
        """Echo the text back as a finding."""
        out = []
        for c in batch:
            EchoDetector.calls.append(c.text or "")
            if (c.text or "").startswith("BAD"):
                out.append(Result(c.sha256, error="bad_text: refused"))
            else:
                out.append(Result(c.sha256, [Finding("WORD", 1.0, 0, len(c.text or ""))]))
        return out

    def describe(self) -> dict[str, Any]:
        """No versions."""
        return {}


class CrashDetector(EchoDetector):
    """Kills its worker process (a real segfault) on a text containing POISON."""

    name: ClassVar[str] = "crash"

    def detect_batch(self, batch: list[Content]) -> list[Result]:
        """Segfault on poison, echo otherwise."""
        if any("POISON" in (c.text or "") for c in batch):
            os.environ["_CRASHING"] = "1"
            ctypes.string_at(0)  # SIGSEGV, like a native library on a hostile image
        return super().detect_batch(batch)


class ImageSizeDetector:
    """Image detector: one finding whose score is the file size (reads the path)."""

    name: ClassVar[str] = "imgsize"
    version: ClassVar[str] = "1"
    input_kind: ClassVar[str] = "image"

    def setup(self) -> None:
        """Nothing to load."""

    def detect_batch(self, batch: list[Content]) -> list[Result]:
        """Report the byte size of each image."""
        return [
            Result(c.sha256, [Finding("SIZE", float(os.path.getsize(c.path or "")))]) for c in batch
        ]

    def describe(self) -> dict[str, Any]:
        """No versions."""
        return {}


class SlowEcho(EchoDetector):
    """Echo that takes ``AUDIT_TEST_BATCH_SECONDS`` per batch and logs which node ran each
    batch (``AUDIT_TEST_NODE``) to the folder ``AUDIT_TEST_LOG``: the multi-node test kills
    a node while it has work in flight."""

    name: ClassVar[str] = "slow_echo"

    def __init__(self, log: str | None = None, seconds: float | None = None) -> None:
        self.log = log or os.environ.get("AUDIT_TEST_LOG")
        self.seconds = (
            seconds
            if seconds is not None
            else float(os.environ.get("AUDIT_TEST_BATCH_SECONDS", "0"))
        )

    def detect_batch(self, batch: list[Content]) -> list[Result]:
        """Echo after a pause; one log line per batch."""
        import time

        time.sleep(self.seconds)
        log = self.log
        if log:
            node = os.environ.get("AUDIT_TEST_NODE", "unknown")
            with open(os.path.join(log, f"{node}-{os.getpid()}.log"), "a") as fh:
                fh.write(f"{len(batch)}\n")
        return super().detect_batch(batch)
