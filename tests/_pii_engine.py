"""One real pii detector per test session (loading presidio + spaCy takes seconds)."""

from __future__ import annotations

from functools import cache

from audit.detectors.pii.detector import PiiDetector


@cache
def pii_detector() -> PiiDetector:
    """The shared, set-up detector."""
    detector = PiiDetector()
    detector.setup()
    return detector
