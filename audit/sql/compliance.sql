-- Figures of the compliance outputs (audit/assurance/compliance.py): the EU public summary of
-- training content, Croissant RAI fields and the dataset-card section. Parameter: $run_id.
-- "kept" = items without an exclude flag (what `audit export` writes).

-- name: corpus
SELECT count(*)                                            AS items,
       count(*) FILTER (WHERE nullif(trim(text), '') IS NOT NULL) AS text_items,
       count(*) FILTER (WHERE media_uri IS NOT NULL)       AS image_items,
       min(created_at)                                     AS first_post,
       max(created_at)                                     AS last_post,
       count(*) FILTER (WHERE created_at IS NULL)          AS undated,
       count(*) FILTER (WHERE item_id NOT IN (SELECT item_id FROM flags
                                              WHERE run_id = $run_id AND action = 'exclude'))
                                                           AS kept_items
FROM items;

-- name: sources
-- Items per corpus file and platform, with how many are kept.
WITH excluded AS (
    SELECT DISTINCT item_id FROM flags WHERE run_id = $run_id AND action = 'exclude'
)
SELECT coalesce(i.source_file, '(unknown)') AS source_file,
       coalesce(i.platform, '(unknown)')    AS platform,
       count(*)                             AS items,
       count(*) FILTER (WHERE e.item_id IS NULL) AS kept_items
FROM items i LEFT JOIN excluded e USING (item_id)
GROUP BY ALL
ORDER BY items DESC, source_file, platform;

-- name: domains
-- Items per URL domain (report.sql group_keys, kind 'domain'), largest first; items without
-- a URL domain are left out (the caller reports how many).
SELECT group_key AS domain, count(*) AS items
FROM ({report.group_keys})
WHERE group_key IS NOT NULL
GROUP BY group_key
ORDER BY items DESC, domain;

-- name: tdm_signals
-- Text-and-data-mining reservations and opt-outs by signal, and how many of those items are
-- excluded (honoured). A registry request is a flag whose evidence carries a request_id.
WITH excluded AS (
    SELECT DISTINCT item_id FROM flags WHERE run_id = $run_id AND action = 'exclude'
), reservations AS (
    SELECT item_id,
           bool_or(starts_with(attributes ->> 'source', 'c2pa')) AS c2pa,
           bool_or(NOT starts_with(attributes ->> 'source', 'c2pa')) AS iptc
    FROM findings
    WHERE entity_type = 'TRAINING_RESERVATION'
      AND attributes ->> 'reservation' IN ('prohibited', 'constrained')
    GROUP BY item_id
), registry AS (
    SELECT DISTINCT item_id FROM flags
    WHERE run_id = $run_id AND contains(evidence::VARCHAR, '"request_id"')
), signals AS (
    SELECT 'metadata_noai' AS signal, item_id FROM items WHERE noai IS TRUE
    UNION ALL SELECT 'author_opt_out', item_id FROM items WHERE opt_out IS TRUE
    UNION ALL SELECT 'image_iptc_xmp', item_id FROM reservations WHERE iptc
    UNION ALL SELECT 'image_c2pa', item_id FROM reservations WHERE c2pa
    UNION ALL SELECT 'registry_request', item_id FROM registry
)
SELECT k.signal, count(s.item_id) AS items, count(e.item_id) AS excluded_items
FROM (VALUES (1, 'metadata_noai'), (2, 'author_opt_out'), (3, 'image_iptc_xmp'),
             (4, 'image_c2pa'), (5, 'registry_request')) k(pos, signal)
LEFT JOIN signals s USING (signal)
LEFT JOIN excluded e ON e.item_id = s.item_id
GROUP BY k.pos, k.signal
ORDER BY k.pos;

-- name: measures
-- Per rule category: items flagged, excluded, redacted (a redact flag on a kept item) and
-- sent to review (a review flag on a kept item).
WITH per_item AS (
    SELECT f.item_id, coalesce(c.category, split_part(f.rule_id, '.', 1)) AS category,
           bool_or(f.action = 'exclude') AS excluded,
           bool_or(f.action = 'redact')  AS redact,
           bool_or(f.action = 'review')  AS review
    FROM flags f
    LEFT JOIN rule_catalog c ON c.run_id = f.run_id AND c.rule_id = f.rule_id
    WHERE f.run_id = $run_id
    GROUP BY ALL
), excluded AS (
    SELECT DISTINCT item_id FROM flags WHERE run_id = $run_id AND action = 'exclude'
)
SELECT p.category,
       count(*)                                                   AS flagged_items,
       count(*) FILTER (WHERE p.excluded)                          AS excluded_items,
       count(*) FILTER (WHERE p.redact AND e.item_id IS NULL)      AS redacted_kept_items,
       count(*) FILTER (WHERE p.review AND e.item_id IS NULL)      AS review_kept_items
FROM per_item p LEFT JOIN excluded e USING (item_id)
GROUP BY p.category
ORDER BY flagged_items DESC, p.category;

-- name: kept_exposure
-- report.sql's exposure table over the kept items only: what detectors and metadata still
-- show in what training receives (before the export's redaction of text spans).
WITH excluded AS (
    SELECT DISTINCT item_id FROM main.flags WHERE run_id = $run_id AND action = 'exclude'
), item_view AS (
    SELECT v.* FROM main.item_view v ANTI JOIN excluded USING (item_id)
)
SELECT * FROM ({report.kpi_exposure});
