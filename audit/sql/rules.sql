-- Fixed SQL of the rules engine (audit/rules/). Rule conditions themselves are compiled by
-- audit/rules/compile.py; these blocks are the scaffolding around them.

-- name: detector_summary
-- Every detector condition of the pack, evaluated once over the findings: per item, how many
-- findings each condition accepts (rule_d<n>), and the findings that a condition shown as
-- evidence looked at (rule_ev): positions and scores only, never the matched text;
-- k = the evidence conditions a finding satisfies. The list is unordered (an ordered
-- aggregate costs 4x more); evidence sorts the few findings of a flagged item instead, by
-- the leading fields (detector, start NULLS LAST, entity_type).
CREATE TABLE rule_detect AS
SELECT item_id, /*COUNTS*/,
       list({'detector': detector, 'start_missing': "start" IS NULL, 'start': "start",
             'entity_type': entity_type, 'end': "end", 'score': round(score, 3), 'bbox': bbox,
             'note': note, 'k': k}) FILTER (WHERE len(k) > 0) AS rule_ev
FROM (SELECT *, list_filter([/*KEYS*/]::INTEGER[], lambda x: x IS NOT NULL) AS k
      FROM (SELECT f.*, /*MATCHES*/ FROM findings f)
      WHERE /*ANY*/)
GROUP BY item_id

-- name: items_with_detectors
-- The items rules read, with the per-item detector summary beside them (one hash join).
CREATE TABLE rule_items AS
SELECT i.*, d.* EXCLUDE (item_id) FROM item_view i LEFT JOIN rule_detect d USING (item_id)

-- name: items_plain
CREATE VIEW rule_items AS SELECT * FROM item_view

-- name: group_table
-- One row per group (of one group_by expression) that some aggregate condition accepts, with
-- one evidence label column per aggregate (NULL where that aggregate does not hold).
CREATE TABLE /*NAME*/ AS
SELECT g, /*LABELS*/
FROM (SELECT g, count(*) AS n, /*AGGREGATES*/
      FROM (SELECT /*GROUP*/ AS g, i.item_id, /*PER_ITEM*/
            FROM rule_items i WHERE /*GROUP*/ IS NOT NULL)
      GROUP BY g)
WHERE /*TESTS*/

-- name: rule_branch
-- One rule's flags; the pack's branches run as one UNION ALL statement.
SELECT i.item_id, /*RULE*/, /*EVIDENCE*/ AS evidence FROM rule_items i/*JOINS*/ WHERE /*MATCH*/

-- name: insert_hits
INSERT INTO rule_hits (item_id, rule_id, severity, action, evidence)

-- name: evidence_findings
-- The item's findings that one of the rule's evidence conditions looked at, in evidence order.
list_transform(
    list_sort(list_filter(coalesce(i.rule_ev, []), lambda x: list_has_any(x.k, /*KEYS*/))),
    lambda x: {'detector': x.detector, 'entity_type': x.entity_type, 'start': x."start",
               'end': x."end", 'score': x.score, 'bbox': x.bbox, 'note': x.note})

-- name: face_size_px
-- Larger side of a face box [top, right, bottom, left], as item_view.largest_face_px.
greatest(f.bbox[3] - f.bbox[1], f.bbox[2] - f.bbox[4])

-- name: sandbox_tables
-- The sandbox's own table: rule output (severity and action bound per rule, so writing the
-- flags back needs no join).
CREATE TABLE rule_hits (item_id VARCHAR NOT NULL, rule_id VARCHAR NOT NULL, severity VARCHAR,
                        action VARCHAR, evidence JSON);

-- name: empty_findings
CREATE TABLE findings (item_id VARCHAR, detector VARCHAR, entity_type VARCHAR, score DOUBLE,
                       "start" INTEGER, "end" INTEGER, bbox INTEGER[], attributes VARCHAR,
                       note VARCHAR);

-- name: copy_findings
CREATE TABLE findings AS
SELECT item_id, detector, entity_type, score, "start", "end", bbox, attributes, note
FROM rules_source;

-- name: copy_items
CREATE TABLE item_view AS SELECT * FROM rules_source;

-- name: read_findings
-- Only the findings of detectors that a rule of the pack names ($1); their attributes only
-- for detectors whose evidence weights read them ($2).
SELECT item_id, detector, entity_type, score, "start", "end", bbox,
       CASE WHEN list_contains($2::VARCHAR[], detector) THEN attributes::VARCHAR END AS attributes,
       -- a detector's words for its finding (attributes.evidence, e.g. "face 2: apparent age
       -- 9 (±4)"): declared safe to show, it never quotes the content
       attributes ->> 'evidence' AS note
FROM findings
WHERE list_contains($1::VARCHAR[], detector);

-- name: evidence_table
-- One row per group (of one group_by expression) with its evidence score from the findings of
-- one detector ($1): per item and entity type the weight of largest magnitude, per type the
-- group's sum clipped to the detector's caps, summed over types. reasons says which types
-- count, in words: "SELF_AGE +4.0 in item p3; SCHOOL_CONTEXT +1.5 in 3 items (p1, p4, p9)",
-- evidence for first, strongest first; numbers keep one or two decimals (+4.0, -0.75). The
-- weight expression and the caps are the detector's declaration (audit/detectors/base.py
-- EvidenceWeights), filled in by audit/rules/pack.py.
CREATE TABLE /*NAME*/ AS
WITH w AS (
    SELECT /*GROUP*/ AS g, i.item_id, f.entity_type, (/*WEIGHT*/)::DOUBLE AS w
    FROM findings f JOIN rule_items i USING (item_id)
    WHERE f.detector = $1 AND /*GROUP*/ IS NOT NULL
), per_item AS (
    SELECT g, item_id, entity_type, arg_max(w, abs(w)) AS w
    FROM w WHERE w IS NOT NULL AND w <> 0
    GROUP BY g, item_id, entity_type
), per_type AS (
    SELECT g, entity_type, sum(w) AS raw, /*CAPPED*/ AS total, count(*) AS items,
           list(item_id ORDER BY abs(w) DESC, item_id)[1:3] AS examples
    FROM per_item GROUP BY g, entity_type
), worded AS (
    SELECT *, entity_type || ' ' || regexp_replace(printf('%+.2f', total), '(\.\d)0$', '\1') ||
              ' in ' ||
              CASE WHEN items = 1 THEN 'item ' || examples[1]
                   ELSE items || ' items (' || array_to_string(examples, ', ')
                        || CASE WHEN items > 3 THEN ', ...' ELSE '' END || ')' END ||
              CASE WHEN total <> raw
                   THEN ', capped from ' || regexp_replace(printf('%+.2f', raw), '(\.\d)0$', '\1')
                   ELSE '' END
              AS reason
    FROM per_type
)
SELECT g, round(sum(total), 2) AS score,
       regexp_replace(printf('%.2f', sum(total)), '(\.\d)0$', '\1') AS score_words,
       string_agg(reason, '; ' ORDER BY total > 0 DESC, abs(total) DESC, entity_type)
           FILTER (WHERE total <> 0) AS reasons
FROM worded
GROUP BY g

-- name: read_hits
SELECT item_id, rule_id, severity, action, evidence::VARCHAR AS evidence FROM rule_hits;

-- name: begin
BEGIN TRANSACTION;

-- name: commit
COMMIT;

-- name: rollback
ROLLBACK;

-- name: extra_column_names
SELECT name FROM extra_columns;

-- name: clear_run
DELETE FROM flags WHERE run_id = $1;

-- name: clear_catalog
DELETE FROM rule_catalog WHERE run_id = $1;

-- name: insert_catalog
INSERT INTO rule_catalog (run_id, rule_id, title, category, status, severity, action,
                          description, rationale, "references", tags, source_file, sha256,
                          match_json, sql_text, skip_reason, partial_reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17);

-- name: insert_flags
INSERT INTO flags (run_id, item_id, rule_id, severity, action, evidence)
SELECT $1, item_id, rule_id, severity, action, evidence FROM rules_hits_in;

-- name: flag_counts
SELECT rule_id, count(*) FROM flags WHERE run_id = $1 GROUP BY rule_id;

-- name: selftest_item
-- One self-test item; omitted fields arrive as NULL (docs/RULES.md: omitted = missing).
INSERT INTO items (item_id, platform, author_id, created_at, text, media_path, url, visibility,
                   author_birth_date, author_age_at_post, opt_out, noai, license, deleted,
                   source_file, source_row, media_uri, text_sha256, extra,
                   source_domain, community, visibility_basis, edited_at)
VALUES ($item_id, $platform, $author_id, $created_at, $text, $media_path, $url, $visibility,
        $author_birth_date, $author_age_at_post, $opt_out, $noai, $license, $deleted,
        $source_file, $source_row, $media_uri, $text_sha256, $extra,
        $source_domain, $community, $visibility_basis, $edited_at);

-- name: selftest_finding
INSERT INTO findings (item_id, detector, detector_version, entity_type, score, "start", "end", bbox,
                      attributes)
VALUES ($1, $2, 'selftest', $3, $4, $5, $6, $7, $8);

-- name: selftest_extra_column
INSERT OR IGNORE INTO extra_columns VALUES ($1, 'VARCHAR');

-- name: selftest_flagged
SELECT rule_id, item_id, evidence::VARCHAR FROM flags WHERE run_id = $1;

-- name: selftest_flagged_actions
-- As selftest_flagged, with each flag's action (tiered rules' test cases check it).
SELECT rule_id, item_id, evidence::VARCHAR, action FROM flags WHERE run_id = $1;

-- name: probe_findings
-- `audit rules check`: one detector condition's findings by entity type — how many there
-- are (population), how many pass its thresholds (reaching), and the range of the value
-- the threshold compares (score or box size).
SELECT f.entity_type AS label, count(*) AS population,
       count(*) FILTER (WHERE /*ACCEPT*/) AS reaching,
       min(/*VALUE*/)::DOUBLE AS low, max(/*VALUE*/)::DOUBLE AS high
FROM findings f
WHERE /*SCOPE*/
GROUP BY 1
ORDER BY 1

-- name: probe_items
-- `audit rules check`: items where a condition could be tested (population: the field has a
-- value, or the detector found something) and where it holds, with the range of the value.
SELECT count(*) FILTER (WHERE /*PRESENT*/) AS population,
       count(*) FILTER (WHERE /*HOLDS*/) AS reaching,
       min(/*VALUE*/)::VARCHAR AS low, max(/*VALUE*/)::VARCHAR AS high
FROM rule_items i

-- name: probe_values
-- `audit rules check`: the commonest values of a categorical field (and how many there are).
SELECT v, n, count(*) OVER () AS distinct_values
FROM (SELECT (/*VALUE*/)::VARCHAR AS v, count(*) AS n
      FROM rule_items i WHERE (/*VALUE*/) IS NOT NULL GROUP BY 1)
ORDER BY n DESC, v
LIMIT 50

-- name: probe_groups
-- `audit rules check`: per group of a group_by, the figure a group threshold compares (share
-- or count of matching items, distinct values): how many groups reach it, and its range.
SELECT count(*) AS population, count(*) FILTER (WHERE /*TEST*/) AS reaching,
       min(/*FIGURE*/)::DOUBLE AS low, max(/*FIGURE*/)::DOUBLE AS high
FROM (SELECT g, count(*) AS n, count(*) FILTER (WHERE w) AS hits, count(DISTINCT v) AS d
      FROM (SELECT /*GROUP*/ AS g, /*PER_ITEM*/ AS w, /*VALUE*/ AS v
            FROM rule_items i WHERE /*GROUP*/ IS NOT NULL)
      GROUP BY g)

-- name: probe_evidence
-- `audit rules check`: the evidence scores of one evidence table (groups with findings).
SELECT count(*) AS population, count(*) FILTER (WHERE /*TEST*/) AS reaching,
       min(score)::DOUBLE AS low, max(score)::DOUBLE AS high
FROM /*NAME*/

-- name: rule_hit_counts
SELECT rule_id, count(*) AS flags, count(DISTINCT item_id) AS items FROM rule_hits GROUP BY 1

-- name: latest_run_manifest
-- The latest complete scan of a store: its run id and manifest (`audit rules check|try`).
SELECT run_id, manifest FROM runs WHERE status = 'complete'
ORDER BY started_at DESC, run_id DESC LIMIT 1;

-- name: clear_checks
DELETE FROM rule_checks WHERE run_id = $1;

-- name: insert_check
INSERT INTO rule_checks (run_id, rule_id, path, words, population, reaching, dead)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: trial_hits
-- `audit rules try`: one rule's hits in the sandbox, in item order.
SELECT item_id, action, evidence::VARCHAR FROM rule_hits WHERE rule_id = $1 ORDER BY item_id;

-- name: trial_fields
-- `audit rules try`: the values of the fields a rule reads, for the sampled items ($1); the
-- field expressions come from the compiler (validated names, no values).
SELECT i.item_id, /*FIELDS*/ FROM rule_items i WHERE list_contains($1::VARCHAR[], i.item_id);

-- name: trial_rule_in_run
SELECT count(*) > 0 FROM rule_catalog WHERE run_id = $1 AND rule_id = $2 AND skip_reason IS NULL;

-- name: trial_previous
SELECT DISTINCT item_id FROM flags WHERE run_id = $1 AND rule_id = $2;

-- name: registry_table
-- Items covered by the consent registry requests one registry condition accepts, with the
-- evidence label citing them: "registry request r12 (erasure by email: the e-mail address in
-- the text)"; at most 5 requests named, then how many more.
CREATE TABLE /*NAME*/ AS
SELECT item_id,
       CASE WHEN len(requests) = 1 THEN 'registry request ' ELSE 'registry requests ' END
       || array_to_string(requests[1:5], '; ')
       || CASE WHEN len(requests) > 5 THEN printf('; and %d more', len(requests) - 5) ELSE '' END
       AS label
FROM (SELECT item_id,
             list_sort(list(DISTINCT request_id || ' (' || kind || ' by ' || subject_type
                                || coalesce(': ' || detail, '') || ')')) AS requests
      FROM rule_registry_hits WHERE /*FILTER*/ GROUP BY item_id)

-- name: copy_table
-- Items whose image is a perceptual copy of the image of another item for which the rule's
-- copy_of.original condition holds (compiled over the original, as i): same image content,
-- or contents within the PDQ threshold (rule_image_copies). Evidence names the closest
-- original.
CREATE TABLE /*NAME*/ AS
WITH originals AS (
    SELECT i.item_id, i.platform, i.visibility, m.content
    FROM rule_items i JOIN rule_item_images m USING (item_id)
    WHERE /*ORIGINAL*/
), pairs AS (
    SELECT c.item_id, o.item_id AS original_id, o.platform, o.visibility, 0 AS distance
    FROM originals o JOIN rule_item_images c ON c.content = o.content AND c.item_id <> o.item_id
    UNION ALL
    SELECT c.item_id, o.item_id, o.platform, o.visibility, p.distance
    FROM originals o
    JOIN rule_image_copies p ON p.original = o.content
    JOIN rule_item_images c ON c.content = p.content AND c.item_id <> o.item_id
)
SELECT item_id,
       printf('its image is a copy (PDQ distance %d of 256) of item %s (%s, %s)%s',
              best.distance, best.original_id, coalesce(best.visibility, 'visibility unknown'),
              coalesce(best.platform, 'platform unknown'),
              CASE WHEN n > 1 THEN printf('; %d originals in all', n) ELSE '' END) AS label
FROM (SELECT item_id, count(DISTINCT original_id) AS n,
             arg_min({'original_id': original_id, 'visibility': visibility, 'platform': platform,
                      'distance': distance}, (distance, original_id)) AS best
      FROM pairs GROUP BY item_id)

-- name: read_registry_hits
-- The consent registry's matches of this run ($1), for rules' registry conditions.
SELECT item_id, request_id, kind, subject_type, detail FROM registry_matches WHERE run_id = $1;

-- name: copy_registry_hits
CREATE TABLE rule_registry_hits AS SELECT * FROM rules_source;

-- name: read_item_images
-- Items and their image content (rules' copy_of conditions pair items through it).
SELECT i.item_id, m.content_sha256 AS content
FROM items i JOIN media_files m ON m.media_uri = i.media_uri AND m.status = 'ok'
WHERE m.content_sha256 IS NOT NULL;

-- name: copy_item_images
CREATE TABLE rule_item_images AS SELECT * FROM rules_source;

-- name: read_image_copies
SELECT content_sha256 AS content, original_sha256 AS original, distance FROM image_copies;

-- name: copy_image_copies
CREATE TABLE rule_image_copies AS SELECT * FROM rules_source;

-- name: selftest_error
INSERT INTO errors (run_id, stage, item_id, code, message)
VALUES ($1, 'detect', $2, $3, 'given by the test case');

-- name: selftest_registry_hit
INSERT INTO registry_matches (run_id, request_id, item_id, kind, subject_type, method, detail)
VALUES ($1, $2, $3, $4, $5, $5, 'given by the test case');

-- name: selftest_image
INSERT OR REPLACE INTO media_files (media_uri, content_sha256, size_bytes, status)
VALUES ($1, $2, 1, 'ok');

-- name: selftest_item_image
UPDATE items SET media_uri = $1 WHERE item_id = $2;
