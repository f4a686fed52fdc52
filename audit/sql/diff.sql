-- `audit diff`: two runs, each in catalog {a} / {b} (attached audit databases; both names may
-- be the same database). {a}/{b} are catalog names chosen by audit/diff.py, never user input.
-- Parameters: $run_a, $run_b, $limit (example item ids per list).

-- name: latest_run
SELECT run_id FROM {c}.runs WHERE status = 'complete' ORDER BY started_at DESC, run_id DESC LIMIT 1;

-- name: run_manifest
SELECT manifest FROM {c}.runs WHERE run_id = $run_id;

-- name: flag_changes
-- Per rule: (item, rule) pairs flagged in B but not A (new) and in A but not B (gone).
WITH fa AS (SELECT DISTINCT item_id, rule_id FROM {a}.flags WHERE run_id = $run_a),
fb AS (SELECT DISTINCT item_id, rule_id FROM {b}.flags WHERE run_id = $run_b),
changes AS (
    SELECT 'new' AS change, * FROM (SELECT * FROM fb EXCEPT SELECT * FROM fa)
    UNION ALL
    SELECT 'gone' AS change, * FROM (SELECT * FROM fa EXCEPT SELECT * FROM fb)
), totals AS (
    SELECT rule_id, count(*) FILTER (WHERE src = 'a') AS flagged_a, count(*) FILTER (WHERE src = 'b') AS flagged_b
    FROM (SELECT 'a' AS src, rule_id FROM fa UNION ALL SELECT 'b', rule_id FROM fb)
    GROUP BY rule_id
)
SELECT
    t.rule_id, t.flagged_a, t.flagged_b,
    count(c.item_id) FILTER (WHERE c.change = 'new')                              AS newly_flagged,
    count(c.item_id) FILTER (WHERE c.change = 'gone')                             AS no_longer_flagged,
    coalesce(list(c.item_id ORDER BY c.item_id) FILTER (WHERE c.change = 'new'), [])[1:$limit]  AS new_examples,
    coalesce(list(c.item_id ORDER BY c.item_id) FILTER (WHERE c.change = 'gone'), [])[1:$limit] AS gone_examples
FROM totals t LEFT JOIN changes c USING (rule_id)
GROUP BY t.rule_id, t.flagged_a, t.flagged_b
ORDER BY t.rule_id;

-- name: rule_changes
-- Rules added, removed, or changed (file digest differs) between the two runs.
WITH ra AS (SELECT rule_id, sha256 FROM {a}.rule_catalog WHERE run_id = $run_a),
rb AS (SELECT rule_id, sha256 FROM {b}.rule_catalog WHERE run_id = $run_b)
SELECT
    coalesce(ra.rule_id, rb.rule_id) AS rule_id,
    CASE WHEN ra.rule_id IS NULL THEN 'added'
         WHEN rb.rule_id IS NULL THEN 'removed'
         ELSE 'changed' END        AS change,
    ra.sha256 AS sha256_a, rb.sha256 AS sha256_b
FROM ra FULL OUTER JOIN rb USING (rule_id)
WHERE ra.sha256 IS DISTINCT FROM rb.sha256
ORDER BY change, rule_id;

-- name: corpus_changes
-- Item ids added to / removed from the corpus (only meaningful across two databases: a
-- database holds the items of its latest scan).
WITH added AS (SELECT item_id FROM {b}.items EXCEPT SELECT item_id FROM {a}.items),
removed AS (SELECT item_id FROM {a}.items EXCEPT SELECT item_id FROM {b}.items)
SELECT
    (SELECT count(*) FROM {a}.items)                                       AS items_a,
    (SELECT count(*) FROM {b}.items)                                       AS items_b,
    (SELECT count(*) FROM added)                                           AS added,
    (SELECT count(*) FROM removed)                                         AS removed,
    coalesce((SELECT list(item_id ORDER BY item_id) FROM added), [])[1:$limit]   AS added_examples,
    coalesce((SELECT list(item_id ORDER BY item_id) FROM removed), [])[1:$limit] AS removed_examples;

-- name: has_registry
SELECT count(*) = 2 FROM duckdb_tables()
WHERE database_name = '{c}' AND table_name IN ('registry_requests', 'registry_matches');

-- name: request_changes
-- Consent registry requests from A to B: new, withdrawn or changed (kind, subject or platform),
-- and per request of B the items it newly covers (covered in B by it, by no request in A).
WITH ra AS (SELECT * FROM {a}.registry_requests WHERE run_id = $run_a),
rb AS (SELECT * FROM {b}.registry_requests WHERE run_id = $run_b),
covered_a AS (SELECT DISTINCT item_id FROM {a}.registry_matches WHERE run_id = $run_a),
newly AS (
    SELECT request_id, count(DISTINCT item_id) AS newly_covered,
           list(DISTINCT item_id ORDER BY item_id)[1:$limit] AS new_examples
    FROM {b}.registry_matches
    WHERE run_id = $run_b AND item_id NOT IN (SELECT item_id FROM covered_a)
    GROUP BY request_id
), items_b AS (
    SELECT request_id, count(DISTINCT item_id) AS items_b FROM {b}.registry_matches
    WHERE run_id = $run_b GROUP BY request_id
)
SELECT coalesce(rb.request_id, ra.request_id) AS request_id,
       CASE WHEN ra.request_id IS NULL THEN 'new'
            WHEN rb.request_id IS NULL THEN 'withdrawn'
            WHEN ra.kind IS DISTINCT FROM rb.kind OR ra.subject_key IS DISTINCT FROM rb.subject_key
                 OR ra.platform_key IS DISTINCT FROM rb.platform_key THEN 'changed'
            ELSE 'unchanged' END AS change,
       coalesce(rb.kind, ra.kind) AS kind, coalesce(rb.subject_type, ra.subject_type) AS subject_type,
       coalesce(i.items_b, 0) AS items_b, coalesce(n.newly_covered, 0) AS newly_covered,
       coalesce(n.new_examples, []) AS new_examples
FROM ra FULL OUTER JOIN rb USING (request_id)
LEFT JOIN newly n ON n.request_id = coalesce(rb.request_id, ra.request_id)
LEFT JOIN items_b i ON i.request_id = coalesce(rb.request_id, ra.request_id)
WHERE ra.request_id IS NULL OR rb.request_id IS NULL OR n.newly_covered > 0
   OR ra.kind IS DISTINCT FROM rb.kind OR ra.subject_key IS DISTINCT FROM rb.subject_key
   OR ra.platform_key IS DISTINCT FROM rb.platform_key
ORDER BY change, request_id;
