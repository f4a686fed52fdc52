"""SQL built from the detectors' declarations (audit/detectors/registry.py).

The templates live in ``audit/sql/*.sql`` with ``/*NAME*/`` placeholders; this module makes
the fragments each one needs from the declared derived columns and exposure categories and
fills them with :func:`audit.store.fill` (checked: no placeholder left, none unused). Detector
names are validated ids (registry), and the fragments are declared by detector code, never by
corpus or rule text.
"""

from __future__ import annotations

from audit.detectors.base import ExposureCategory
from audit.detectors.registry import FILTER_PLACEHOLDER, specs, text_masking_detectors
from audit.store import fill, sql_file
from audit.vocabulary import EXPOSURE_LEADING, METADATA_EXPOSURE, MINORS_KEY, MINORS_LABEL


def _filter(detector: str) -> str:
    return f"FILTER (WHERE detector = '{detector}')"


def views_sql(*, temporary: bool = False) -> str:
    """audit/sql/views.sql with item_view's detector columns filled in (``temporary``: as
    TEMP views, for a read-only connection)."""
    aggregates, columns = [], []
    for spec in specs().values():
        for col in spec.derived_columns:
            expr = col.aggregate.replace(FILTER_PLACEHOLDER, _filter(spec.name))
            aggregates.append(f",\n    {expr} AS {col.name}")
            value = (
                f"s.{col.name}"
                if col.default is None
                else (f"coalesce(s.{col.name}, {col.default})")
            )
            columns.append(f",\n    {value} AS {col.name}")
    return fill(
        sql_file("views.sql"),
        VIEW="TEMP VIEW" if temporary else "VIEW",
        DERIVED_AGGREGATES="".join(aggregates),
        DERIVED_COLUMNS="".join(columns),
    )


def exposure_categories() -> list[ExposureCategory]:
    """Every exposure row in display order: visibility, the minors block (its composite row,
    then each minor signal), what the detectors found, then the consent rows."""
    declared = [c for s in specs().values() for c in s.exposure]
    minor_rows = [c for c in (*METADATA_EXPOSURE, *declared) if c.minors]
    composite = ExposureCategory(
        MINORS_KEY,
        *MINORS_LABEL,
        " OR ".join(f"coalesce({c.predicate}, false)" for c in minor_rows) or "false",
    )
    leading = [c for c in METADATA_EXPOSURE if c.key in EXPOSURE_LEADING]
    trailing = [c for c in METADATA_EXPOSURE if c.key not in EXPOSURE_LEADING and not c.minors]
    found = [c for c in declared if not c.minors]
    return [*leading, composite, *minor_rows, *found, *trailing]


def exposure_parts() -> dict[str, str]:
    """Fragments of report.sql's kpi_exposure: one count per category, and the order."""
    cats = exposure_categories()
    counts = ",\n        ".join(
        f"count(*) FILTER (WHERE coalesce({c.predicate}, false)) AS {c.key}" for c in cats
    )
    keys = ", ".join(c.key for c in cats)
    order = "[" + ", ".join(f"'{c.key}'" for c in cats) + "]"
    return {"EXPOSURE_COUNTS": counts, "EXPOSURE_KEYS": keys, "EXPOSURE_ORDER": order}


def _name_list(names: list[str]) -> str:
    return "[" + ", ".join(f"'{n}'" for n in names) + "]::VARCHAR[]"


def declared_parts() -> dict[str, str]:
    """Every fragment a query template may ask for, by placeholder name."""
    derived = [c.name for s in specs().values() for c in s.derived_columns]
    return {
        **exposure_parts(),
        "TEXT_MASKING_DETECTORS": _name_list(text_masking_detectors()),
        "DERIVED_COLUMN_NAMES": "".join(f", {name}" for name in derived),
    }


def fill_declared(sql: str) -> str:
    """``sql`` with the declared fragments it names filled in (an unknown placeholder raises)."""
    parts = declared_parts()
    return fill(sql, **{k: v for k, v in parts.items() if f"/*{k}*/" in sql})
