"""The ingest stage: read corpus files, map them to the canonical schema, store them as items.

``corpus`` runs the stage, ``read`` finds and opens the source files, ``mapping`` parses the
mapping presets (``mappings/*.yaml``) and ``compile`` turns a mapping into DuckDB SQL.
"""

from audit.ingest.corpus import IngestSummary, SourceStats, ingest_corpus

__all__ = ["IngestSummary", "SourceStats", "ingest_corpus"]
