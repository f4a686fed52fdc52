-- Views over the store. Re-created on every open for writing (CREATE OR REPLACE), and as
-- TEMP views on a read-only open, so a database scanned by an older version still shows
-- the columns the installed detectors declare (a temp view shadows the stored one).
-- The detector columns come from the detectors' declarations (audit/detectors/registry.py,
-- DerivedColumn); audit/store.py fills the placeholders.

-- Per-item summaries of the detector findings: one pass over findings for every detector.
CREATE OR REPLACE /*VIEW*/ finding_summary AS
SELECT item_id /*DERIVED_AGGREGATES*/
FROM findings
GROUP BY item_id;

-- Errors per item: ingest problems plus detector failures of its content.
CREATE OR REPLACE /*VIEW*/ item_errors AS
SELECT item_id, list_sort(list_distinct(list(code))) AS errors
FROM errors
WHERE item_id IS NOT NULL AND NOT rejected AND stage <> 'note'  -- notes are not errors
GROUP BY item_id;

-- What rules, reports and the dashboard see: items + derived detector columns.
CREATE OR REPLACE /*VIEW*/ item_view AS
SELECT
    i.* /*DERIVED_COLUMNS*/,
    coalesce(e.errors, []::VARCHAR[])        AS errors
FROM items i
LEFT JOIN finding_summary s USING (item_id)
LEFT JOIN item_errors e USING (item_id);
