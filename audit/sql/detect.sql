-- Detect stage (audit/detect.py, audit/cache.py). Parameters are bound, never interpolated.

-- name: distinct_media_uris
-- Every distinct media URI the items reference, with what we knew about it last time.
SELECT i.media_uri, m.size_bytes, m.checked_at, m.status, m.content_sha256
FROM (SELECT DISTINCT media_uri FROM items WHERE media_uri IS NOT NULL) i
LEFT JOIN media_files m USING (media_uri);

-- name: source_folders
-- Folders of the corpus files (their common ancestor bounds where symlinked media may point).
SELECT DISTINCT parse_dirpath(source_file) FROM items WHERE source_file IS NOT NULL;

-- name: upsert_media_files
INSERT OR REPLACE INTO media_files
SELECT media_uri, content_sha256, size_bytes, status, error, checked_at FROM _media_batch;

-- name: item_rowid_end
-- ITEMS: the table the item rows are stored in (audit/item_rows.writable_items).
SELECT coalesce(max(rowid) + 1, 0) FROM /*ITEMS*/;

-- name: hash_texts
-- Content hashes of the texts ($1 <= rowid < $2), the cache key of the text detectors.
-- Computed here rather than at ingest, so the metadata load stays a plain copy; in rowid
-- chunks, each its own transaction, so memory stays bounded (one UPDATE of every row holds
-- ~110 bytes per row until it commits).
UPDATE /*ITEMS*/ SET text_sha256 = sha256(text)
WHERE rowid >= $1 AND rowid < $2
  AND text_sha256 IS NULL AND text IS NOT NULL AND text <> '';

-- name: pending_texts
-- Distinct texts not yet analysed by this detector version ($1 detector, $2 version).
SELECT i.text_sha256 AS sha256, any_value(i.text) AS text
FROM items i
WHERE i.text_sha256 IS NOT NULL AND i.text IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM analysed a
    WHERE a.detector = $1 AND a.version = $2 AND a.content_sha256 = i.text_sha256)
GROUP BY i.text_sha256;

-- name: pending_images
-- Distinct readable images not yet analysed by this detector version.
SELECT m.content_sha256 AS sha256, any_value(m.media_uri) AS path
FROM media_files m
WHERE m.status = 'ok' AND m.content_sha256 IS NOT NULL
  AND m.media_uri IN (SELECT media_uri FROM items)
  AND NOT EXISTS (
    SELECT 1 FROM analysed a
    WHERE a.detector = $1 AND a.version = $2 AND a.content_sha256 = m.content_sha256)
GROUP BY m.content_sha256;

-- name: count_text_contents
SELECT count(DISTINCT text_sha256) FROM items WHERE text_sha256 IS NOT NULL AND text IS NOT NULL;

-- name: count_image_contents
SELECT count(DISTINCT m.content_sha256)
FROM media_files m
WHERE m.status = 'ok' AND m.media_uri IN (SELECT media_uri FROM items);

-- name: delete_cached
-- Replace (not duplicate) a content's cache rows when it is analysed again.
DELETE FROM cached_findings
WHERE detector = $1 AND version = $2 AND content_sha256 IN (SELECT sha256 FROM _result_batch);

-- name: insert_analysed
INSERT OR REPLACE INTO analysed
SELECT $1, $2, sha256, status, error, n_findings, current_timestamp FROM _result_batch;

-- name: insert_cached_findings
INSERT INTO cached_findings
SELECT $1, $2, content_sha256, entity_type, score, "start", "end", bbox, recognizer,
       attributes::JSON, embedding
FROM _finding_batch;

-- name: delete_findings
DELETE FROM findings WHERE detector = $1;

-- name: rebuild_text_findings
INSERT INTO findings
SELECT i.item_id, f.detector, f.version, f.content_sha256, f.entity_type, f.score,
       f."start", f."end", f.bbox, f.recognizer, f.attributes
FROM items i
JOIN cached_findings f ON f.content_sha256 = i.text_sha256
WHERE f.detector = $1 AND f.version = $2;

-- name: rebuild_image_findings
INSERT INTO findings
SELECT i.item_id, f.detector, f.version, f.content_sha256, f.entity_type, f.score,
       f."start", f."end", f.bbox, f.recognizer, f.attributes
FROM items i
JOIN media_files m ON m.media_uri = i.media_uri AND m.status = 'ok'
JOIN cached_findings f ON f.content_sha256 = m.content_sha256
WHERE f.detector = $1 AND f.version = $2;

-- name: delete_detector_errors
DELETE FROM errors WHERE stage = 'detect' AND detector = $1;

-- name: insert_text_errors
-- Items whose text this detector version could not analyse ($3 run_id).
INSERT INTO errors (run_id, stage, item_id, source_file, source_row, detector, code, message)
SELECT $3, 'detect', i.item_id, i.source_file, i.source_row, $1,
       coalesce(nullif(trim(split_part(a.error, ':', 1)), ''), 'detector_error'), a.error
FROM items i
JOIN analysed a ON a.content_sha256 = i.text_sha256
WHERE a.detector = $1 AND a.version = $2 AND a.status = 'error';

-- name: insert_image_errors
INSERT INTO errors (run_id, stage, item_id, source_file, source_row, detector, code, message)
SELECT $3, 'detect', i.item_id, i.source_file, i.source_row, $1,
       coalesce(nullif(trim(split_part(a.error, ':', 1)), ''), 'detector_error'), a.error
FROM items i
JOIN media_files m ON m.media_uri = i.media_uri AND m.status = 'ok'
JOIN analysed a ON a.content_sha256 = m.content_sha256
WHERE a.detector = $1 AND a.version = $2 AND a.status = 'error';

-- name: delete_media_errors
DELETE FROM errors WHERE stage = 'detect' AND detector IS NULL AND code LIKE 'media_%';

-- name: insert_media_errors
-- Items whose local media could not be read ($1 run_id). A remote URI (status not_local) is
-- not an error: it is "not analysed (remote)" unless the scan ran with --fetch-media (which
-- replaces fetched URIs by their cached file); media_files keeps its status for the report.
INSERT INTO errors (run_id, stage, item_id, source_file, source_row, detector, code, message)
SELECT $1, 'detect', i.item_id, i.source_file, i.source_row, NULL,
       CASE m.status WHEN 'missing' THEN 'media_missing'
                     WHEN 'outside_corpus' THEN 'media_outside_corpus'
                     ELSE 'media_unreadable' END,
       m.error
FROM items i
JOIN media_files m ON m.media_uri = i.media_uri
WHERE m.status NOT IN ('ok', 'not_local');

-- name: detector_stats
-- (items with an error, finding rows) for one detector.
SELECT
    (SELECT count(*) FROM errors WHERE stage = 'detect' AND detector = $1),
    (SELECT count(*) FROM findings WHERE detector = $1);

-- name: shard_delete_cached
-- Result shards of the Ray engine ($3: the shards' results.parquet files), loaded in bulk:
-- first the contents' previous cache rows go (a shard committed twice replaces its own).
DELETE FROM cached_findings
WHERE detector = $1 AND version = $2
  AND content_sha256 IN (SELECT sha256 FROM read_parquet($3::VARCHAR[]));

-- name: shard_insert_analysed
INSERT OR REPLACE INTO analysed
SELECT $1, $2, sha256, status, error, n_findings, current_timestamp
FROM read_parquet($3::VARCHAR[]);

-- name: shard_insert_findings
-- $3: the shards' findings.parquet files.
INSERT INTO cached_findings
SELECT $1, $2, content_sha256, entity_type, score, "start", "end", bbox, recognizer,
       attributes::JSON, embedding
FROM read_parquet($3::VARCHAR[]);

-- name: shard_count
SELECT count(*) FROM read_parquet($1::VARCHAR[]);
