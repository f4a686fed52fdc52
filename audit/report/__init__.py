"""Scan outputs: report.json (json.py), report.html (html.py), Parquet/exclusion exports
(exports.py) and the PII masking every human-facing output goes through (masking.py)."""
