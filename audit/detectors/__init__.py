"""Detectors: text PII, faces, minor cues, media metadata (see base.py for the interface)."""
