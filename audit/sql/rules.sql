-- Fixed SQL of the rules engine (audit/rules/). Rule conditions themselves are compiled by
-- audit/rules/compile.py; these blocks are the scaffolding around them.

-- name: face_size_px
-- Larger side of a face box [top, right, bottom, left], as item_view.largest_face_px.
greatest(f.bbox[3] - f.bbox[1], f.bbox[2] - f.bbox[4])

-- name: evidence_findings
-- Per item, the findings that a detector condition of the rule looked at: positions and
-- scores only (the matched text is never copied into evidence). Joined to flagged items.
SELECT f.item_id,
       list({'detector': f.detector, 'entity_type': f.entity_type,
             'start': f."start", 'end': f."end", 'score': round(f.score, 3), 'bbox': f.bbox}
            ORDER BY f.detector, f."start" NULLS LAST, f.entity_type) AS findings
FROM findings f
WHERE /*FILTER*/
GROUP BY f.item_id

-- name: sandbox_tables
-- The sandbox's own tables: rule output, and findings when no rule reads them.
CREATE TABLE rule_hits (item_id VARCHAR NOT NULL, rule_id VARCHAR NOT NULL, evidence JSON);

-- name: empty_findings
CREATE TABLE findings (item_id VARCHAR, detector VARCHAR, entity_type VARCHAR, score DOUBLE,
                       "start" INTEGER, "end" INTEGER, bbox INTEGER[]);

-- name: copy_findings
CREATE TABLE findings AS
SELECT item_id, detector, entity_type, score, "start", "end", bbox FROM rules_source;

-- name: copy_items
CREATE TABLE item_view AS SELECT * FROM rules_source;

-- name: read_findings
SELECT item_id, detector, entity_type, score, "start", "end", bbox FROM findings;

-- name: read_hits
SELECT item_id, rule_id, evidence::VARCHAR AS evidence FROM rule_hits;

-- name: extra_column_names
SELECT name FROM extra_columns;

-- name: clear_run
DELETE FROM flags WHERE run_id = $1;

-- name: clear_catalog
DELETE FROM rule_catalog WHERE run_id = $1;

-- name: insert_catalog
INSERT INTO rule_catalog (run_id, rule_id, title, category, status, severity, action,
                          description, rationale, "references", tags, source_file, sha256,
                          match_json, sql_text)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15);

-- name: insert_flags
INSERT INTO flags (run_id, item_id, rule_id, severity, action, evidence)
SELECT $1, h.item_id, h.rule_id, c.severity, c.action, h.evidence::JSON
FROM rules_hits_in h
JOIN rule_catalog c ON c.run_id = $1 AND c.rule_id = h.rule_id;

-- name: flag_counts
SELECT rule_id, count(*) FROM flags WHERE run_id = $1 GROUP BY rule_id;

-- name: selftest_item
-- One self-test item; omitted fields arrive as NULL (DESIGN.md: omitted = missing).
INSERT INTO items (item_id, platform, author_id, created_at, text, media_path, url, visibility,
                   author_birth_date, author_age_at_post, opt_out, noai, license, deleted,
                   source_file, source_row, media_uri, text_sha256, extra)
VALUES ($item_id, $platform, $author_id, $created_at, $text, $media_path, $url, $visibility,
        $author_birth_date, $author_age_at_post, $opt_out, $noai, $license, $deleted,
        $source_file, $source_row, $media_uri, $text_sha256, $extra);

-- name: selftest_finding
INSERT INTO findings (item_id, detector, detector_version, entity_type, score, "start", "end", bbox,
                      attributes)
VALUES ($1, $2, 'selftest', $3, $4, $5, $6, $7, $8);

-- name: selftest_extra_column
INSERT OR IGNORE INTO extra_columns VALUES ($1, 'VARCHAR');

-- name: selftest_flagged
SELECT rule_id, item_id, evidence::VARCHAR FROM flags WHERE run_id = $1;
