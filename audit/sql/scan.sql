-- Run bookkeeping of `audit scan` (the `runs` table of schema.sql).

-- name: interrupt_stale_runs
-- Called while holding the folder lock, so any run still 'running' was killed.
UPDATE runs SET status = 'interrupted' WHERE status = 'running';

-- name: start_run
INSERT INTO runs (run_id, started_at, status, command) VALUES ($run_id, $started_at, 'running', $command);

-- name: finish_run
UPDATE runs SET status = $status, finished_at = $finished_at, manifest = $manifest WHERE run_id = $run_id;

-- name: items_digest
-- Order-independent digest of the corpus as ingested: ids and text content hashes.
SELECT count(*) AS items,
       bit_xor(md5_number(item_id || chr(31) || coalesce(text_sha256, '') || chr(31) || coalesce(media_uri, '')))::VARCHAR AS digest
FROM items;

-- name: stage_counts
SELECT
    (SELECT count(*) FROM items)                                  AS items,
    (SELECT count(*) FROM findings)                               AS findings,
    (SELECT count(*) FROM flags WHERE run_id = $run_id)           AS flags,
    (SELECT count(*) FROM errors WHERE stage = 'ingest')          AS ingest_errors,
    (SELECT count(*) FROM errors WHERE stage = 'detect')          AS detect_errors,
    (SELECT count(*) FROM errors WHERE stage NOT IN ('ingest', 'detect') AND run_id = $run_id) AS other_errors;

-- name: selftests_passed
-- Whether this pack (and engine) passed its own test cases before (audit/rules/selftest_cache.py).
SELECT count(*) FROM rule_selftest_passes WHERE pack_key = $1

-- name: record_selftests_passed
INSERT OR IGNORE INTO rule_selftest_passes (pack_key) VALUES ($1)
