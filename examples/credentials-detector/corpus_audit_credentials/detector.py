"""``credentials``: access tokens, API keys and private keys pasted into posts.

A worked example of the detector contract (corpus-audit docs/DETECTORS.md, "Writing a
detector"): the class declares what it produces next to its name and version, and
corpus-audit does the rest — ``--detectors credentials``, rules with ``detector:
credentials`` (``types:`` checked against ``entity_types``), an ``item_view`` column,
a row in the exposure table, masking in the dashboard and report and redaction by
``audit export`` (``personal_data = True`` with text spans).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from audit.detectors.base import Content, DerivedColumn, ExposureCategory, Finding, Result

#: Token shapes with a fixed, documented prefix: few false positives without context words.
PATTERNS: dict[str, re.Pattern[str]] = {
    "AWS_ACCESS_KEY": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GITHUB_TOKEN": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"),
    "SLACK_TOKEN": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,72}\b"),
    "PRIVATE_KEY": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"),
}


class CredentialsDetector:
    """Finds access tokens and private-key headers in text (regular expressions only)."""

    name: ClassVar[str] = "credentials"
    version: ClassVar[str] = "1"
    input_kind: ClassVar[str] = "text"
    entity_types: ClassVar[tuple[str, ...]] = tuple(PATTERNS)
    personal_data: ClassVar[bool] = True  # a token gives access to someone's account
    finding_kind: ClassVar[str] = "text_span"
    label: ClassVar[str] = "access tokens and keys in text"
    finding_noun: ClassVar[tuple[str, str]] = ("a credential", "credentials")
    in_process: ClassVar[bool] = True  # regexes: a process pool would cost more than it saves
    derived_columns: ClassVar[tuple[DerivedColumn, ...]] = (
        DerivedColumn(
            "credential_count",
            "INTEGER",
            "(count(*) /*FILTER*/)::INTEGER",
            "0",
            "number of access tokens or keys in the item's text",
        ),
    )
    exposure: ClassVar[tuple[ExposureCategory, ...]] = (
        ExposureCategory(
            "credentials", "Access tokens or keys in text", "credentials", "credential_count > 0"
        ),
    )

    def setup(self) -> None:
        """Nothing to load."""

    def describe(self) -> dict[str, Any]:
        """Versions for the run manifest."""
        return {"patterns": sorted(PATTERNS)}

    def detect_batch(self, batch: list[Content]) -> list[Result]:
        """One Result per text: a finding per token, at its character offsets."""
        out = []
        for content in batch:
            text = content.text or ""
            findings = [
                Finding(kind, score=0.95, start=m.start(), end=m.end(), recognizer="regex")
                for kind, pattern in PATTERNS.items()
                for m in pattern.finditer(text)
            ]
            out.append(Result(content.sha256, findings))
        return out
