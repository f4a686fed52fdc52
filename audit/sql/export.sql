-- `audit export`: the corpus minus excluded items, redact spans taken from flag evidence.
-- Parameter: $run_id.

-- name: redact_spans
-- Text spans to mask, one row per (item, redact rule, span): the spans a `redact` flag cites
-- in its evidence, plus every other personal-data span detected in the same item (of every
-- detector that declares its text spans personal data, listed from the registry) — a redact flag means "remove the personal data from this text",
-- including findings under the rule's threshold.
-- Flags that cite no text span (e.g. GPS in an image) mask nothing in text.
-- A temp table (also works on a read-only connection) read by the two queries below.
CREATE OR REPLACE TEMP TABLE redact_spans AS
WITH ev AS (
    SELECT item_id, rule_id,
           unnest(from_json(evidence -> 'findings',
                  '[{"detector": "VARCHAR", "entity_type": "VARCHAR", "start": "INTEGER", "end": "INTEGER", "score": "DOUBLE"}]')) AS f
    FROM flags
    WHERE run_id = $run_id AND action = 'redact'
), cited AS (
    SELECT item_id, rule_id, f.entity_type AS entity_type, f.start AS "start", f."end" AS "end",
           coalesce(f.score, 1.0) AS score
    FROM ev
    WHERE f.start IS NOT NULL AND f."end" > f.start
), text_rules AS (
    SELECT DISTINCT item_id, rule_id FROM cited
)
SELECT * FROM cited
UNION
SELECT t.item_id, t.rule_id, f.entity_type, f."start", f."end", coalesce(f.score, 1.0)
FROM text_rules t JOIN findings f USING (item_id)
WHERE list_contains(/*TEXT_MASKING_DETECTORS*/, f.detector) AND f."start" IS NOT NULL
  AND f."end" > f."start";

-- name: clean_items
-- Canonical columns of every item without an exclude flag, with the spans to mask.
WITH excluded AS (
    SELECT DISTINCT item_id FROM flags WHERE run_id = $run_id AND action = 'exclude'
), spans AS (
    SELECT item_id,
           list(DISTINCT {'entity_type': entity_type, 'start': "start", 'end': "end", 'score': score}) AS spans
    FROM redact_spans GROUP BY item_id
)
SELECT i.item_id, i.platform, i.author_id, i.created_at, i.text, i.media_path, i.url, i.visibility,
       i.author_birth_date, i.author_age_at_post, i.opt_out, i.noai, i.license, i.deleted,
       s.spans
FROM items i
ANTI JOIN excluded USING (item_id)
LEFT JOIN spans s USING (item_id)
ORDER BY i.item_id;

-- name: removed
-- The sidecar: every excluded (item, rule) and every redacted (item, rule) with its spans.
SELECT item_id, rule_id, action, '' AS detail
FROM flags WHERE run_id = $run_id AND action = 'exclude'
UNION ALL
SELECT f.item_id, f.rule_id, f.action,
       coalesce(string_agg(s.entity_type || ' ' || s.start || '-' || s."end", '; ' ORDER BY s.start),
                'no text span (image metadata is not modified by the export)') AS detail
FROM flags f
LEFT JOIN redact_spans s USING (item_id, rule_id)
WHERE f.run_id = $run_id AND f.action = 'redact'
  AND f.item_id NOT IN (SELECT item_id FROM flags WHERE run_id = $run_id AND action = 'exclude')
GROUP BY f.item_id, f.rule_id, f.action
ORDER BY item_id, rule_id;
