-- Reviewer dashboard queries (dashboard/lib/data.py runs them; every value is a bound parameter).
--
-- Scoped queries are composed as  WITH <scope_*> [, <item_rows>] <body>  so the filter logic
-- lives in one place.  Scope parameters:
--   $run_id       the run whose flags are shown
--   $platforms    VARCHAR[]  (empty = every platform)
--   $date_from    TIMESTAMP  inclusive, NULL = open;  $date_to  TIMESTAMP exclusive, NULL = open
--   $categories   VARCHAR[]  rule categories (empty = all)
--   $severities   VARCHAR[]  (empty = all)
--   $after_review BOOLEAN    drop flags whose latest decision is false_positive
-- Worst severity of an item is the highest of its flags (order of audit.schema.SEVERITIES).

-- The filtered scope SHADOWS the store's tables (items, flags, item_view) as CTEs, so the KPI
-- blocks of report.sql run unchanged inside it and, unfiltered, equal report.json. It is four
-- blocks (dashboard/lib/data.py SCOPE joins them) so that the Overview can evaluate the costly
-- ones (flags, item_view, item_flags) ONCE into temp tables and share them between its
-- queries (scope_shared); every other page inlines them.

-- name: scope_items
items AS (
    SELECT i.*
    FROM main.items i
    WHERE (len($platforms::VARCHAR[]) = 0 OR list_contains($platforms::VARCHAR[], i.platform))
      AND ($date_from::TIMESTAMP IS NULL OR i.created_at >= $date_from::TIMESTAMP)
      AND ($date_to::TIMESTAMP IS NULL OR i.created_at < $date_to::TIMESTAMP)
),
latest_decision AS (
    -- decisions are append-only: the newest row per (item, rule) is the current verdict;
    -- rule_id NULL is a verdict on the whole item
    SELECT item_id, rule_id, decision
    FROM main.decisions
    QUALIFY row_number() OVER (
        PARTITION BY item_id, rule_id ORDER BY decided_at DESC, decision_id DESC) = 1
),
dismissed AS (
    -- current false positives; rule_id NULL dismisses every flag of the item
    SELECT item_id, rule_id FROM latest_decision WHERE decision = 'false_positive'
)

-- name: scope_flags
flags AS (
    SELECT f.*,
           coalesce(c.category, split_part(f.rule_id, '.', 1)) AS category,
           list_position(['info', 'low', 'medium', 'high', 'critical'], f.severity) AS sev_rank
    FROM main.flags f
    LEFT JOIN main.rule_catalog c ON c.run_id = f.run_id AND c.rule_id = f.rule_id
    WHERE f.run_id = $run_id
      -- the semi-join is only paid when an item filter is set (constant-folded otherwise)
      AND ((len($platforms::VARCHAR[]) = 0 AND $date_from::TIMESTAMP IS NULL
            AND $date_to::TIMESTAMP IS NULL)
           OR f.item_id IN (SELECT item_id FROM items))
      AND (len($categories::VARCHAR[]) = 0
           OR list_contains($categories::VARCHAR[], coalesce(c.category, split_part(f.rule_id, '.', 1))))
      AND (len($severities::VARCHAR[]) = 0 OR list_contains($severities::VARCHAR[], f.severity))
      AND NOT ($after_review::BOOLEAN AND (
            f.item_id IN (SELECT item_id FROM dismissed WHERE rule_id IS NULL)
            OR (f.item_id, f.rule_id) IN (SELECT (item_id, rule_id) FROM dismissed)))
)

-- name: scope_item_view
item_view AS (
    SELECT v.* FROM main.item_view v
    WHERE (len($platforms::VARCHAR[]) = 0 AND $date_from::TIMESTAMP IS NULL
           AND $date_to::TIMESTAMP IS NULL)
       OR v.item_id IN (SELECT item_id FROM items)
)

-- name: scope_item_flags
-- Per-item flag summary in scope: what the charts colour by (worst severity) and count.
item_flags AS (
    SELECT item_id,
           count(*)::INTEGER AS n_flags,
           ['info', 'low', 'medium', 'high', 'critical'][max(sev_rank)] AS worst_severity,
           max(sev_rank) AS worst_rank,
           bool_or(action = 'exclude') AS excluded,
           list_sort(list_distinct(list(rule_id))) AS rules
    FROM flags
    GROUP BY item_id
)

-- name: scope_shared_flags
-- The Overview's scope: scope_items as above, the costly parts read from the temp tables that
-- share_* below filled once on the same connection (dashboard/lib/data.py overview()).
flags AS (SELECT * FROM temp.shared_flags)

-- name: scope_shared_rest
item_view AS (SELECT * FROM temp.shared_item_view),
item_flags AS (SELECT * FROM temp.shared_item_flags)

-- name: share_flags
-- Evidence is the only wide column of flags and no Overview figure reads it.
SELECT * EXCLUDE (evidence) FROM flags

-- name: share_item_view
-- The item_view columns the Overview's figures read (report.sql kpi_exposure and kpi_media,
-- visibility_exposure). Text and source columns are left out so the copy stays narrow at
-- millions of items; a KPI that starts reading another column fails loudly in
-- tests/test_dashboard_kpi.py rather than silently differing.
-- The detector columns are every column the detectors declare (audit/declared_sql.py).
SELECT item_id, media_uri, visibility, author_age_at_post, opt_out, noai, deleted
       /*DERIVED_COLUMN_NAMES*/
FROM item_view

-- name: share_item_flags
SELECT * FROM item_flags

-- name: item_rows
-- One row per item in scope with its flag summary and current decision.
-- Extra parameters: $rule_id (NULL = any), $search (item/author id prefix, '' = any),
-- $flagged_only BOOLEAN, $decision ('' any, 'undecided', or a decision value),
-- $group_kind ('' = any) with $group_key and $group_platform (report.sql group_items).
item_rows AS (
    SELECT items.item_id, items.platform, items.author_id, items.created_at, items.visibility,
           items.media_path IS NOT NULL AS has_media,
           coalesce(x.n_flags, 0) AS n_flags,
           coalesce(x.worst_severity, '') AS worst_severity,
           coalesce(x.worst_rank, 0) AS worst_rank,
           coalesce(x.excluded, false) AS excluded,
           coalesce(x.rules, []::VARCHAR[]) AS rules,
           d.decision AS decision
    FROM items
    LEFT JOIN item_flags x USING (item_id)
    LEFT JOIN latest_decision d ON d.item_id = items.item_id AND d.rule_id IS NULL
    WHERE ($rule_id::VARCHAR IS NULL OR list_contains(x.rules, $rule_id::VARCHAR))
      AND ($search::VARCHAR = '' OR starts_with(items.item_id, $search::VARCHAR)
           OR starts_with(items.author_id, $search::VARCHAR))
      AND (NOT $flagged_only::BOOLEAN OR x.n_flags > 0)
      -- a group of the Groups page: report.sql's own definition of its items
      AND ($group_kind::VARCHAR = '' OR items.item_id IN (SELECT item_id FROM {report.group_items}))
      AND ($decision::VARCHAR = ''
           OR ($decision::VARCHAR = 'undecided' AND d.decision IS NULL)
           OR d.decision = $decision::VARCHAR)
)

-- name: kpis
-- The headline KPIs are report.sql's, evaluated inside the filtered scope.
SELECT items, public_items, consent_signal_items, flagged_items, excluded_items
FROM {report.kpi_headline}

-- name: flags_by_category
-- Flagged items per rule category and severity.
SELECT category, severity, count(DISTINCT item_id) AS items, count(*) AS flags
FROM flags
GROUP BY ALL
ORDER BY category, severity

-- name: items_by_platform
-- Every item once, at its worst severity ('' = not flagged), so bars sum to the item count.
SELECT coalesce(items.platform, '(unknown)') AS platform,
       coalesce(x.worst_severity, '') AS worst_severity,
       count(*) AS items
FROM items LEFT JOIN item_flags x USING (item_id)
GROUP BY ALL
ORDER BY platform

-- name: flags_over_time
SELECT date_trunc('month', items.created_at) AS month, x.worst_severity, count(*) AS items
FROM items JOIN item_flags x USING (item_id)
WHERE items.created_at IS NOT NULL
GROUP BY ALL
ORDER BY month

-- name: visibility_exposure
-- Visibility x what the detectors found in the item (faces and/or PII), from item_view.
SELECT coalesce(visibility, 'unknown') AS visibility,
       CASE WHEN face_count > 0 AND pii_count > 0 THEN 'face + PII'
            WHEN face_count > 0 THEN 'face'
            WHEN pii_count > 0 THEN 'PII'
            ELSE 'neither' END AS exposure,
       count(*) AS items
FROM item_view
GROUP BY ALL

-- name: exposure
-- report.sql's exposure categories (non-public, minors, faces, PII, opt-out, ...) in scope.
SELECT category, items, share FROM {report.kpi_exposure}

-- name: face_ages
-- report.sql's apparent ages of the youngest face per image, in scope.
SELECT * FROM {report.kpi_face_ages}

-- name: media
-- report.sql's media_meta signals (GPS, training reservation, C2PA, camera ids, stripped) in scope.
SELECT * FROM {report.kpi_media}

-- name: group_kinds
-- report.sql's group kinds with data in scope (author, platform, subreddit, source_file, domain).
SELECT kind FROM {report.group_kinds} ORDER BY pos

-- name: groups
-- report.sql's exposure-by-group table in scope: $group_kind, $limit, $min_items.
SELECT * FROM {report.kpi_groups} ORDER BY rank

-- name: rule_stats
-- report.sql's per-rule figures in the filtered scope, plus rationale and review progress.
SELECT k.rule_id, k.title, k.category, k.status, k.severity, k.action, k.description,
       k.skip_reason, k.partial_reason,
       CASE WHEN k.skip_reason IS NOT NULL THEN 'skipped'
            WHEN k.partial_reason IS NOT NULL THEN 'partly' ELSE 'yes' END AS evaluated,
       c.rationale, c."references", c.tags, c.source_file,
       k.items, k.flags,
       coalesce(r.confirmed, 0) AS confirmed,
       coalesce(r.false_positive, 0) AS false_positive,
       coalesce(r.needs_legal, 0) AS needs_legal
FROM {report.kpi_rules} k
LEFT JOIN main.rule_catalog c ON c.run_id = $run_id AND c.rule_id = k.rule_id
LEFT JOIN (
    SELECT rule_id,
           count(*) FILTER (WHERE decision = 'confirmed') AS confirmed,
           count(*) FILTER (WHERE decision = 'false_positive') AS false_positive,
           count(*) FILTER (WHERE decision = 'needs_legal') AS needs_legal
    FROM latest_decision WHERE rule_id IS NOT NULL GROUP BY rule_id
) r ON r.rule_id = k.rule_id
ORDER BY list_position(['critical', 'high', 'medium', 'low', 'info'], k.severity), k.items DESC, k.rule_id

-- name: items_page
-- One page of item_rows; sort key and direction are parameters (no SQL is spliced).
SELECT item_id, platform, author_id, created_at, visibility, has_media, n_flags,
       worst_severity, excluded, rules, decision
FROM item_rows
ORDER BY
    CASE WHEN $sort::VARCHAR = 'created_at' AND $descending::BOOLEAN THEN created_at END DESC NULLS LAST,
    CASE WHEN $sort::VARCHAR = 'created_at' AND NOT $descending::BOOLEAN THEN created_at END ASC NULLS LAST,
    CASE WHEN $sort::VARCHAR = 'severity' AND $descending::BOOLEAN THEN worst_rank END DESC,
    CASE WHEN $sort::VARCHAR = 'severity' AND NOT $descending::BOOLEAN THEN worst_rank END ASC,
    CASE WHEN $sort::VARCHAR = 'n_flags' AND $descending::BOOLEAN THEN n_flags END DESC,
    CASE WHEN $sort::VARCHAR = 'n_flags' AND NOT $descending::BOOLEAN THEN n_flags END ASC,
    CASE WHEN $sort::VARCHAR = 'platform' AND $descending::BOOLEAN THEN platform END DESC NULLS LAST,
    CASE WHEN $sort::VARCHAR = 'platform' AND NOT $descending::BOOLEAN THEN platform END ASC NULLS LAST,
    CASE WHEN $descending::BOOLEAN THEN item_id END DESC,
    item_id ASC
LIMIT $limit OFFSET $offset

-- name: items_count
SELECT count(*) AS n FROM item_rows

-- name: filter_options
SELECT
    (SELECT list_sort(list(DISTINCT platform)) FROM items WHERE platform IS NOT NULL) AS platforms,
    (SELECT list_sort(list(DISTINCT coalesce(category, split_part(rule_id, '.', 1))))
       FROM rule_catalog WHERE run_id = $run_id) AS categories,
    (SELECT min(created_at) FROM items) AS first_post,
    (SELECT max(created_at) FROM items) AS last_post

-- name: runs
SELECT run_id, started_at, finished_at, status, command,
       (SELECT count(*) FROM flags f WHERE f.run_id = r.run_id) AS flags
FROM runs r
ORDER BY coalesce(started_at, finished_at) DESC NULLS LAST, run_id DESC

-- name: run_diff
-- Flags per rule that are new in $head (absent from $base) or were removed since $base.
WITH a AS (SELECT DISTINCT item_id, rule_id FROM flags WHERE run_id = $base),
     b AS (SELECT DISTINCT item_id, rule_id FROM flags WHERE run_id = $head)
SELECT coalesce(a.rule_id, b.rule_id) AS rule_id,
       count(*) FILTER (WHERE a.item_id IS NULL) AS new_flags,
       count(*) FILTER (WHERE b.item_id IS NULL) AS removed_flags,
       count(*) FILTER (WHERE a.item_id IS NOT NULL AND b.item_id IS NOT NULL) AS unchanged
FROM a FULL OUTER JOIN b ON a.item_id = b.item_id AND a.rule_id = b.rule_id
GROUP BY ALL
ORDER BY new_flags + removed_flags DESC, rule_id

-- name: item_detail
-- media_status: what the scan found when it read the image (ok, missing, outside_corpus, …)
SELECT v.*, m.status AS media_status
FROM item_view v LEFT JOIN media_files m ON m.media_uri = v.media_uri
WHERE v.item_id = $item_id

-- name: item_flags
SELECT f.rule_id, c.title, f.severity, f.action, c.description, c.rationale, f.evidence
FROM flags f
LEFT JOIN rule_catalog c ON c.run_id = f.run_id AND c.rule_id = f.rule_id
WHERE f.run_id = $run_id AND f.item_id = $item_id
ORDER BY list_position(['critical', 'high', 'medium', 'low', 'info'], f.severity), f.rule_id

-- name: item_findings
-- attributes hold decoded media metadata (exact GPS, camera owner): the panel masks them
SELECT detector, entity_type, score, "start", "end", bbox, attributes
FROM findings
WHERE item_id = $item_id
ORDER BY detector, "start" NULLS LAST, entity_type

-- name: item_decisions
SELECT decided_at, reviewer, decision, coalesce(rule_id, '(whole item)') AS rule_id, comment
FROM decisions
WHERE item_id = $item_id
ORDER BY decided_at DESC, decision_id DESC

-- name: item_access
SELECT accessed_at, reviewer, action FROM access_log WHERE item_id = $item_id
ORDER BY accessed_at DESC

-- name: decisions_history
-- Full, append-only history (newest first); $item_id '' = every item.
SELECT decision_id, decided_at, reviewer, item_id, coalesce(rule_id, '(whole item)') AS rule_id,
       decision, comment
FROM decisions
WHERE $item_id::VARCHAR = '' OR item_id = $item_id::VARCHAR
ORDER BY decided_at DESC, decision_id DESC
LIMIT $limit

-- name: decisions_export
SELECT decision_id, item_id, rule_id, decision, reviewer, comment, decided_at
FROM decisions
ORDER BY decision_id

-- name: decisions_version
-- Changes whenever a decision is appended: part of the cache key of review-dependent queries.
SELECT coalesce(max(decision_id), 0) AS v FROM decisions

-- name: insert_decision
INSERT INTO decisions (item_id, rule_id, decision, reviewer, comment, decided_at)
VALUES ($item_id, $rule_id, $decision, $reviewer, $comment, $decided_at)

-- name: insert_access
INSERT INTO access_log (item_id, action, reviewer, accessed_at)
VALUES ($item_id, $action, $reviewer, $accessed_at)

-- name: lookup_author
-- Items by author id, or by a handle kept in the source's extra columns ('@' optional).
SELECT item_id
FROM items
WHERE lower(author_id) = lower(trim($who, ' @'))
   OR lower(author_id) = lower(trim($who))
   OR lower(ltrim(coalesce(extra ->> 'handle', extra ->> 'author_handle',
                           extra ->> 'username', extra ->> 'acct'), '@'))
      = lower(trim($who, ' @'))

-- name: lookup_face
-- Items whose image holds a face within $threshold (Euclidean) of the query encoding.
WITH hits AS (
    SELECT content_sha256, version,
           list_distance(embedding, $embedding::FLOAT[]) AS distance
    FROM cached_findings
    WHERE detector = 'faces' AND len(embedding) = 128
)
SELECT f.item_id, min(h.distance) AS distance
FROM hits h
JOIN findings f
  ON f.detector = 'faces' AND f.content_sha256 = h.content_sha256
 AND f.detector_version = h.version
WHERE h.distance <= $threshold
GROUP BY f.item_id

-- name: items_status
-- Flag status of the given items in a run (lookup results, takedown export).
SELECT i.item_id, i.platform, i.author_id, i.created_at, i.visibility, i.url,
       coalesce(x.n_flags, 0) AS n_flags,
       coalesce(x.worst_severity, '') AS worst_severity,
       coalesce(x.excluded, false) AS excluded,
       coalesce(x.rules, []::VARCHAR[]) AS rules
FROM items i
LEFT JOIN (
    SELECT item_id, count(*) AS n_flags,
           ['info', 'low', 'medium', 'high', 'critical'][
               max(list_position(['info', 'low', 'medium', 'high', 'critical'], severity))]
               AS worst_severity,
           bool_or(action = 'exclude') AS excluded,
           list_sort(list_distinct(list(rule_id))) AS rules
    FROM flags
    WHERE run_id = $run_id AND list_contains($item_ids::VARCHAR[], item_id)
    GROUP BY item_id
) x USING (item_id)
WHERE list_contains($item_ids::VARCHAR[], i.item_id)
ORDER BY i.created_at, i.item_id
