-- Report KPIs: the ONE definition of every number in report.html / report.json.
-- The dashboard reuses these blocks (audit.store.query("report.sql", name)) so its figures
-- equal report.json. Parameter: $run_id (flags and rule metadata are per run; items,
-- findings and ingest/detect errors are the store's current state, i.e. the latest scan).
-- Shares are fractions 0..1 of all items (NULL when the corpus is empty).

-- name: latest_run
SELECT run_id FROM runs WHERE status = 'complete' ORDER BY started_at DESC, run_id DESC LIMIT 1;

-- name: run_manifest
SELECT manifest FROM runs WHERE run_id = $run_id;

-- name: kpi_headline
WITH it AS (
    SELECT
        count(*)                                                      AS items,
        count(*) FILTER (WHERE visibility = 'public')                 AS public_items,
        count(*) FILTER (WHERE opt_out IS TRUE OR noai IS TRUE)       AS consent_signal_items
    FROM items
), fl AS (
    SELECT
        count(*)                                                      AS flags,
        count(DISTINCT item_id)                                       AS flagged_items,
        count(DISTINCT item_id) FILTER (WHERE action = 'exclude')     AS excluded_items,
        count(DISTINCT item_id) FILTER (WHERE action = 'review')      AS review_items,
        count(DISTINCT item_id) FILTER (WHERE action = 'redact')      AS redact_items
    FROM flags WHERE run_id = $run_id
), er AS (
    SELECT
        count(*)                                                      AS errors,
        count(*) FILTER (WHERE rejected)                              AS rejected_rows,
        count(DISTINCT item_id) FILTER (WHERE NOT rejected)           AS items_with_errors
    FROM errors WHERE stage IN ('ingest', 'detect') OR run_id = $run_id
)
SELECT
    items, public_items, consent_signal_items, flags, flagged_items, excluded_items,
    review_items, redact_items, errors, rejected_rows, items_with_errors,
    public_items / nullif(items, 0)            AS share_public,
    consent_signal_items / nullif(items, 0)    AS share_consent_signal,
    flagged_items / nullif(items, 0)           AS share_flagged,
    excluded_items / nullif(items, 0)          AS share_excluded
FROM it, fl, er;

-- name: kpi_exposure
-- One row per exposure category (fixed order), items in it and their share.
WITH c AS (
    SELECT
        count(*) AS total,
        count(*) FILTER (WHERE visibility IN ('unlisted', 'followers', 'private', 'direct')) AS non_public,
        count(*) FILTER (WHERE visibility IS NULL OR visibility = 'unknown')                AS visibility_unknown,
        count(*) FILTER (WHERE author_age_at_post < 18 OR len(minor_cues) > 0)              AS minors,
        count(*) FILTER (WHERE author_age_at_post < 18)                                     AS minor_declared_age,
        count(*) FILTER (WHERE len(minor_cues) > 0)                                         AS minor_text_cues,
        count(*) FILTER (WHERE face_count > 0)                                              AS faces,
        count(*) FILTER (WHERE pii_count > 0)                                               AS pii,
        count(*) FILTER (WHERE opt_out IS TRUE)                                             AS opt_out,
        count(*) FILTER (WHERE noai IS TRUE)                                                AS noai,
        count(*) FILTER (WHERE deleted IS TRUE)                                             AS deleted
    FROM item_view
), u AS (
    UNPIVOT c ON non_public, visibility_unknown, minors, minor_declared_age, minor_text_cues,
                 faces, pii, opt_out, noai, deleted
    INTO NAME category VALUE items
)
SELECT category, items, items / nullif(total, 0) AS share
FROM u
ORDER BY list_position(['non_public', 'visibility_unknown', 'minors', 'minor_declared_age',
                        'minor_text_cues', 'faces', 'pii', 'opt_out', 'noai', 'deleted'], category);

-- name: kpi_by_platform
WITH f AS (
    SELECT item_id, bool_or(action = 'exclude') AS excluded
    FROM flags WHERE run_id = $run_id GROUP BY item_id
)
SELECT
    coalesce(i.platform, '(unknown)')                               AS platform,
    count(*)                                                        AS items,
    count(*) FILTER (WHERE i.visibility = 'public')                 AS public_items,
    count(*) FILTER (WHERE i.opt_out IS TRUE OR i.noai IS TRUE)     AS consent_signal_items,
    count(f.item_id)                                                AS flagged_items,
    count(*) FILTER (WHERE f.excluded)                              AS excluded_items
FROM items i LEFT JOIN f USING (item_id)
GROUP BY 1
ORDER BY items DESC, platform;

-- name: kpi_by_month
-- Items without created_at are counted in a row whose month is NULL (listed last).
WITH f AS (
    SELECT item_id, bool_or(action = 'exclude') AS excluded
    FROM flags WHERE run_id = $run_id GROUP BY item_id
)
SELECT
    strftime(date_trunc('month', i.created_at), '%Y-%m')            AS month,
    count(*)                                                        AS items,
    count(*) FILTER (WHERE i.visibility = 'public')                 AS public_items,
    count(*) FILTER (WHERE i.opt_out IS TRUE OR i.noai IS TRUE)     AS consent_signal_items,
    count(f.item_id)                                                AS flagged_items,
    count(*) FILTER (WHERE f.excluded)                              AS excluded_items
FROM items i LEFT JOIN f USING (item_id)
GROUP BY 1
ORDER BY month NULLS LAST;

-- name: kpi_rules
-- Every rule evaluated in the run (also those that matched nothing), most severe first.
WITH n AS (SELECT count(*) AS total FROM items),
fl AS (
    SELECT rule_id, count(*) AS flags, count(DISTINCT item_id) AS items
    FROM flags WHERE run_id = $run_id GROUP BY rule_id
)
SELECT
    r.rule_id, r.title, r.category, r.status, r.severity, r.action, r.description,
    coalesce(fl.flags, 0)                    AS flags,
    coalesce(fl.items, 0)                    AS items,
    coalesce(fl.items, 0) / nullif(n.total, 0) AS share
FROM rule_catalog r CROSS JOIN n LEFT JOIN fl USING (rule_id)
WHERE r.run_id = $run_id
ORDER BY list_position(['critical', 'high', 'medium', 'low', 'info'], r.severity),
         items DESC, r.rule_id;

-- name: kpi_severity
-- Flags and flagged items per severity (the scan's --fail-on reads the highest one).
SELECT severity, count(*) AS flags, count(DISTINCT item_id) AS items
FROM flags WHERE run_id = $run_id
GROUP BY severity
ORDER BY list_position(['critical', 'high', 'medium', 'low', 'info'], severity);

-- name: kpi_pii_types
WITH n AS (SELECT count(*) AS total FROM items)
SELECT entity_type, count(*) AS findings, count(DISTINCT item_id) AS items,
       count(DISTINCT item_id) / nullif(any_value(n.total), 0) AS share
FROM findings CROSS JOIN n
WHERE detector = 'pii'
GROUP BY entity_type
ORDER BY findings DESC, entity_type;

-- name: kpi_errors
-- Problems by stage and code with up to 3 example items (or source file:row when rejected).
SELECT
    stage, code,
    count(*)                                 AS errors,
    count(DISTINCT item_id)                  AS items,
    list(coalesce(item_id, source_file || ':' || source_row::VARCHAR)
         ORDER BY item_id, source_row)[1:3]  AS examples
FROM errors
WHERE stage IN ('ingest', 'detect') OR run_id = $run_id
GROUP BY stage, code
ORDER BY list_position(['ingest', 'detect', 'rules', 'report'], stage), errors DESC, code;

-- name: flag_sample
-- The first $per_rule flagged items of every rule (by item_id, so the sample is stable).
SELECT f.rule_id, f.item_id, i.platform, i.visibility, i.created_at, f.evidence
FROM flags f LEFT JOIN items i USING (item_id)
WHERE f.run_id = $run_id
QUALIFY row_number() OVER (PARTITION BY f.rule_id ORDER BY f.item_id) <= $per_rule
ORDER BY f.rule_id, f.item_id;

-- name: export_flags
SELECT item_id, rule_id, severity, action, evidence
FROM flags WHERE run_id = $run_id
ORDER BY item_id, rule_id;

-- name: export_findings
SELECT item_id, detector, entity_type, score, "start", "end", bbox
FROM findings
ORDER BY item_id, detector, "start" NULLS LAST, entity_type;

-- name: exclusions
SELECT DISTINCT item_id FROM flags
WHERE run_id = $run_id AND action = 'exclude'
ORDER BY item_id;

-- name: sample_secrets
-- The detected PII values of the sampled items, only to scrub them from shown evidence.
SELECT f.item_id, f.entity_type, substr(i.text, f."start" + 1, f."end" - f."start") AS value
FROM findings f JOIN items i USING (item_id)
WHERE f.detector = 'pii' AND f."start" IS NOT NULL AND list_contains($item_ids, f.item_id);
