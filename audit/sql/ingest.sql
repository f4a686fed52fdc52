-- Ingest stage (audit/ingest/corpus.py). The per-source SELECT that maps a file's fields to the
-- canonical columns is compiled from the mapping by audit/ingest/compile.py; it calls the
-- macros below and writes into _ca_items (insert_batch). Everything else the stage runs is here.

-- name: macros
-- Parsing helpers, created per connection. They never raise: an unreadable value is NULL
-- and the compiled SELECT turns "value given but NULL after parsing" into an errors row.
CREATE OR REPLACE TEMP MACRO _ca_epoch(x, scale) AS
    CASE WHEN x IS NULL OR isnan(x) OR isinf(x) THEN NULL
         ELSE try(make_timestamp(CAST(round(x * 1000000 / scale) AS BIGINT))) END;
-- ISO 8601 text; an explicit offset (Z, +02:00) is converted to UTC, naive text is taken as UTC,
-- and so is text ending in " UTC"/" GMT" (Reddit's data-request CSVs). X API v1.1 and X
-- archives write "Thu Mar 24 21:14:48 +0000 2022".
CREATE OR REPLACE TEMP MACRO _ca_ts_text(s) AS
    CASE WHEN regexp_matches(trim(s), '\d[T ]\d.*([zZ]|[+-]\d\d(:?\d\d)?)$')
         THEN timezone('UTC', try_cast(trim(s) AS TIMESTAMPTZ))
         WHEN regexp_matches(trim(s), '^[A-Za-z]{3} [A-Za-z]{3} \d\d? \d\d:\d\d:\d\d [+-]\d{4} \d{4}$')
         THEN timezone('UTC', try_strptime(trim(s), '%a %b %d %H:%M:%S %z %Y'))
         WHEN regexp_matches(trim(s), ' (UTC|GMT)$')
         THEN try_cast(trim(s)[:-5] AS TIMESTAMP)
         ELSE try_cast(trim(s) AS TIMESTAMP) END;
-- An epoch number of unstated unit: seconds, unless it is too large to be (from 10^11 s, the
-- year 5138): then milliseconds (JavaScript, Java, many APIs), from 10^14 microseconds, from
-- 10^17 nanoseconds. 1704067200000 is 2024-01-01, not the year 55969.
CREATE OR REPLACE TEMP MACRO _ca_epoch_auto(x) AS
    _ca_epoch(x, CASE WHEN abs(x) >= 1e17 THEN 1e9 WHEN abs(x) >= 1e14 THEN 1e6
                      WHEN abs(x) >= 1e11 THEN 1e3 ELSE 1 END);
CREATE OR REPLACE TEMP MACRO _ca_ts_auto(s) AS
    CASE WHEN regexp_matches(trim(s), '^-?\d+(\.\d+)?$')
         THEN _ca_epoch_auto(try_cast(trim(s) AS DOUBLE))
         ELSE _ca_ts_text(s) END;
-- (A simple CASE, not IN lists: DuckDB plans IN with 5+ constants as a join, which costs the
-- INSERT its parallel batch path; compile.one_of says more.)
CREATE OR REPLACE TEMP MACRO _ca_bool(s) AS
    CASE lower(trim(s)) WHEN 'true' THEN true WHEN 't' THEN true WHEN '1' THEN true
                        WHEN 'yes' THEN true WHEN 'y' THEN true
                        WHEN 'false' THEN false WHEN 'f' THEN false WHEN '0' THEN false
                        WHEN 'no' THEN false WHEN 'n' THEN false END;
-- An age in whole years (the one INTEGER column): a fraction is cut, as a count of years is
-- (17.6 years old is 17; a cast would round it to 18, an adult).
CREATE OR REPLACE TEMP MACRO _ca_int(s) AS
    try_cast(floor(try_cast(trim(s) AS DOUBLE)) AS INTEGER);
CREATE OR REPLACE TEMP MACRO _ca_date(s) AS
    coalesce(try_cast(trim(s) AS DATE), CAST(_ca_ts_text(s) AS DATE));
-- A float as text for a text column: NaN and infinities are no value (a NaN id falls through
-- to the next source of a coalesce); whole numbers up to 2^53 (exact in a double) without ".0".
CREATE OR REPLACE TEMP MACRO _ca_number_text(x) AS
    CASE WHEN isnan(x) OR isinf(x) THEN NULL
         WHEN x = trunc(x) AND abs(x) <= 9007199254740992 THEN CAST(CAST(x AS BIGINT) AS VARCHAR)
         ELSE CAST(x AS VARCHAR) END;
-- HTML (Mastodon `content`) to plain text: paragraph/line breaks kept, tags dropped,
-- the common entities decoded (&amp; last so "&amp;lt;" stays "&lt;").
CREATE OR REPLACE TEMP MACRO _ca_strip_html(s) AS
    trim(replace(replace(replace(replace(replace(replace(replace(
        regexp_replace(
            regexp_replace(
                regexp_replace(s, '<br\s*/?>', chr(10), 'gi'),
                '</p>\s*<p[^>]*>', chr(10) || chr(10), 'gi'),
            '<[^>]*>', '', 'g'),
        '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#39;', ''''), '&#x27;', ''''),
        '&nbsp;', ' '), '&amp;', '&'));
-- Meta's DYI exports (Facebook, Instagram) write each UTF-8 byte of a text as its own
-- \u00XX character ("Ã©" for "é"): a text made only of such characters, with at least one
-- above 0x7F, whose code points are valid UTF-8 bytes, is decoded from them; any other text
-- (real Latin-1 "café", CJK, plain ASCII) is kept as it is.
CREATE OR REPLACE TEMP MACRO _ca_fix_mojibake(s) AS
    CASE WHEN s IS NULL OR NOT regexp_matches(s, '[\x{80}-\x{ff}]')
              OR regexp_matches(s, '[^\x{00}-\x{ff}]') THEN s
         ELSE coalesce(try(decode(unhex(array_to_string(
             list_transform(string_split(s, ''), lambda c: printf('%02x', ord(c))), '')))), s)
    END;
-- (The media path, URL host and age macros are persistent: audit/sql/item_rows.sql.)
-- A mapped row without an item_id (rejected as missing_id, never an item).
CREATE OR REPLACE TEMP MACRO _ca_no_id(id) AS id IS NULL OR id = '';

-- name: temp_tables
CREATE OR REPLACE TEMP TABLE _ca_rejects (
    source_file VARCHAR, source_row BIGINT, item_id VARCHAR, code VARCHAR, message VARCHAR,
    rejected BOOLEAN);
CREATE OR REPLACE TEMP TABLE _ca_extra_types (name VARCHAR, duck_type VARCHAR);
CREATE OR REPLACE TEMP TABLE _ca_notes (source_file VARCHAR, code VARCHAR, message VARCHAR)

-- name: drop_temp_tables
DROP TABLE IF EXISTS _ca_rejects;
DROP TABLE IF EXISTS _ca_extra_types;
DROP TABLE IF EXISTS _ca_notes;
DROP TABLE IF EXISTS _ca_source_order;
DROP TABLE IF EXISTS _ca_dup_hashes;
DROP TABLE IF EXISTS _ca_problems

-- name: working_columns
-- The ingest builds the new items in _ca_items (a table of the database, committed every few
-- hundred thousand rows so that memory stays flat however large the input), with the item
-- columns this ingest stores (audit/ingest/layout.py), and makes it the store's items at the
-- end in one transaction (item_rows.install): until then the previous items, errors and notes
-- stay as they were, and a failure only drops _ca_items.
-- A record source (JSON ...) writes every mapped record once, straight from the mapping
-- (insert_batch), with these working columns: why it is not an item (_ca_skip), its value
-- errors (_ca_errs; both NULL for the usual row) and the batch it came in (_ca_batch: a
-- batch's checks read only its own row groups; rowid ranges cannot say it, as uncommitted
-- rows have rowids of their own). Records that are not items are removed and the working
-- columns dropped at the end (drop_not_items, drop_working_columns): a staging table copied
-- every row a second time (~a third of a JSON ingest's wall time). A tabular source writes
-- only its items (insert_items) and maps its rows a second time for their problems
-- (table_problems): DuckDB reads only the columns the checks need, cheaper for Parquet than
-- three more columns in every row.
_ca_skip STRUCT(code VARCHAR, message VARCHAR), _ca_errs STRUCT(code VARCHAR, message VARCHAR)[],
_ca_batch INTEGER

-- name: drop_new_items
DROP TABLE IF EXISTS _ca_items

-- name: clear_previous
-- In the final transaction: the previous ingest's errors, notes and extra columns.
DELETE FROM errors WHERE stage IN ('ingest', 'note');
DELETE FROM extra_columns

-- name: write_notes
INSERT INTO errors (run_id, stage, item_id, source_file, source_row, code, message, rejected)
SELECT NULL, 'note', NULL, source_file, NULL, code, message, false FROM _ca_notes

-- name: line_keys
-- Top-level keys of the records of the current batch (to suggest names for a wrong path).
SELECT DISTINCT unnest(json_keys(line)) FROM (
    SELECT line FROM _ca_lines WHERE json_valid(line) AND json_type(line) = 'OBJECT' LIMIT 2000)

-- name: database_path
SELECT path FROM duckdb_databases() WHERE database_name = current_database()

-- name: add_note
-- Notes are kept in `errors` under stage 'note' (not counted as errors; audit/ingest/notes.py),
-- collected here until the final transaction (write_notes).
INSERT INTO _ca_notes VALUES ($1, $2, $3)

-- name: json_rejects
-- Records that cannot become items: not JSON at all, or JSON that is not an object. $1 = file.
-- _ca_lines is the current batch (an Arrow table registered under that name: line_no,
-- line; a line may end with its newline). Blank lines are not records.
INSERT INTO _ca_rejects
SELECT $1, line_no, NULL,
       CASE WHEN json_valid(line) THEN 'not_an_object' ELSE 'bad_json' END,
       CASE WHEN json_valid(line) THEN 'line is JSON but not an object: '
            ELSE 'line is not valid JSON: ' END || left(line, 80),
       true
FROM _ca_lines
-- (CASE evaluates each branch only on its own rows: the costly checks run on few lines)
WHERE CASE WHEN starts_with(line, '{') THEN NOT json_valid(line)
           WHEN json_valid(line) THEN json_type(line) <> 'OBJECT'
           ELSE trim(line, ' ' || chr(9) || chr(10) || chr(13)) <> '' END

-- name: empty_pages
-- Response pages whose exploded list ($2, a JSON path) is empty: nothing to ingest, reported.
INSERT INTO _ca_rejects
SELECT $1, line_no, NULL, 'empty_page', 'the list at ' || $2 || ' is empty', false
FROM _ca_lines
WHERE json_valid(line) AND json_type(line, $2) = 'ARRAY' AND json_array_length(line, $2) = 0

-- name: insert_batch
-- One batch of records (JSON ...), mapped by the compiled SELECT substituted for the SOURCE
-- placeholder, into _ca_items under the BATCH number: the COLUMNS this ingest
-- stores (DuckDB drops the computation of the others from the plan), every record.
INSERT INTO _ca_items BY NAME
SELECT /*COLUMNS*/, _ca_skip, _ca_errs, /*BATCH*/ AS _ca_batch FROM (__SOURCE__)

-- name: insert_items
-- The items of one tabular source or batch: the compiled SELECT's rows that are not skipped
-- and have an id (their problems: table_problems).
INSERT INTO _ca_items BY NAME
SELECT /*COLUMNS*/ FROM (__SOURCE__) WHERE _ca_skip IS NULL AND NOT _ca_no_id(item_id)

-- name: table_problems
-- The same source's rows that are skipped, lack an id or have value errors, for
-- batch_rejects / batch_counts.
CREATE OR REPLACE TEMP TABLE _ca_problems AS
__PROBLEMS__

-- name: problem_rows
-- The rows of table_problems; read by a second connection into Arrow while the first commits
-- (a large Parquet source: audit/ingest/corpus.py), hence the declared types of the
-- working columns (a source without skip rules or checks has NULLs of no type there).
SELECT source_file, source_row, item_id,
       _ca_skip::STRUCT(code VARCHAR, message VARCHAR) AS _ca_skip,
       _ca_errs::STRUCT(code VARCHAR, message VARCHAR)[] AS _ca_errs
FROM (__SOURCE__)
WHERE _ca_skip IS NOT NULL OR _ca_errs IS NOT NULL OR _ca_no_id(item_id)

-- name: batch_rejects
-- The problems of ROWS (a batch of _ca_items, or _ca_problems), in one scan of its rows:
-- a skipped row (the mapping's `skip:` says it is not an item) or a row without an item_id
-- is rejected (and only that is reported for it); any other row contributes its value errors.
INSERT INTO _ca_rejects
SELECT source_file, source_row, CASE WHEN NOT _ca_missing OR _ca_skip IS NOT NULL THEN nullif(item_id, '') END,
       e.code, e.message, _ca_missing OR _ca_skip IS NOT NULL
FROM (SELECT source_file, source_row, item_id, _ca_missing, _ca_skip,
             unnest(CASE WHEN _ca_skip IS NOT NULL THEN [_ca_skip]
                         WHEN _ca_missing
                         THEN [{'code': 'missing_id', 'message':
                             'no item_id: the mapping''s item_id fields are empty in this record'}]
                         ELSE _ca_errs END) AS e
      FROM (SELECT source_file, source_row, item_id, _ca_skip, _ca_errs,
                   _ca_no_id(item_id) AS _ca_missing
            FROM /*ROWS*/)
      WHERE _ca_skip IS NOT NULL OR len(_ca_errs) > 0 OR _ca_missing)

-- name: batch_counts
-- Rows of ROWS that are items or missing-id rejects (skipped ones count as rejects), the
-- missing-id ones, and all of them.
SELECT count(*) FILTER (WHERE _ca_skip IS NULL),
       count(*) FILTER (WHERE _ca_no_id(item_id) AND _ca_skip IS NULL),
       count(*)
FROM /*ROWS*/

-- name: drop_not_items
-- After the last batch, when a batch had any: the rows that are not items (already rejected).
DELETE FROM _ca_items WHERE _ca_skip IS NOT NULL OR _ca_no_id(item_id)

-- name: drop_working_columns
-- Then _ca_items takes the shape of `items`.
ALTER TABLE _ca_items DROP COLUMN _ca_skip;
ALTER TABLE _ca_items DROP COLUMN _ca_errs;
ALTER TABLE _ca_items DROP COLUMN _ca_batch;
ALTER TABLE _ca_items ALTER COLUMN item_id SET NOT NULL

-- name: item_count
SELECT count(*) FROM _ca_items

-- name: item_id_hashes
-- 64-bit hashes of every item_id: if they are all distinct, so are the ids (the usual case,
-- checked in Polars by audit/ingest/corpus.py, ~3x faster than a DuckDB GROUP BY on 2 cores).
SELECT hash(item_id) AS h FROM _ca_items

-- name: duplicates
-- Rows sharing an item_id: the newest edit is kept (edited_at, where the export has one),
-- else the first in ingest order (source order, then row order, then position in the row's
-- page); every other row is rejected and removed, with its row errors, naming the row kept.
-- Run only when item_id_hashes could not prove the ids distinct. Candidates by 64-bit hash:
-- aggregating fixed-width hashes is cheaper than aggregating the strings; a collision only
-- adds a candidate, the window below compares exact ids. EDITED_AT: the column, or NULL
-- where no source fills it (the column is not stored then).
CREATE OR REPLACE TEMP TABLE _ca_dup_hashes AS
SELECT hash(item_id) AS h FROM _ca_items GROUP BY 1 HAVING count(*) > 1;
CREATE OR REPLACE TEMP TABLE _ca_dups AS
SELECT rid, item_id, source_file, source_row, kept_file, kept_row, kept_edit, edited_at
FROM (
    SELECT i.rid, i.item_id, i.source_file, i.source_row, i.edited_at,
           first_value(i.source_file) OVER w AS kept_file,
           first_value(i.source_row) OVER w AS kept_row,
           first_value(i.edited_at) OVER w AS kept_edit,
           row_number() OVER w AS rn
    FROM (SELECT rowid AS rid, item_id, source_file, source_row, /*EDITED_AT*/ AS edited_at
          FROM _ca_items WHERE hash(item_id) IN (SELECT h FROM _ca_dup_hashes)) i
    JOIN _ca_source_order o USING (source_file)
    WINDOW w AS (PARTITION BY i.item_id
                 ORDER BY i.edited_at DESC NULLS LAST, o.idx, i.source_row, i.rid)
)
WHERE rn > 1;
DELETE FROM _ca_rejects r USING _ca_dups d
WHERE NOT r.rejected AND r.item_id = d.item_id
  AND r.source_file = d.source_file AND r.source_row = d.source_row;
INSERT INTO _ca_rejects
SELECT source_file, source_row, item_id, 'duplicate_id',
       CASE WHEN kept_edit IS NOT NULL AND kept_edit IS DISTINCT FROM edited_at
            THEN 'an older version of the item at ' || kept_file || ':' || kept_row
                 || ', which is kept as the newest edit (edited ' || kept_edit || ')'
            ELSE 'item_id already seen at ' || kept_file || ':' || kept_row
                 || ' (no newer edit time in the export: the first row is kept)' END,
       true
FROM _ca_dups;
DELETE FROM _ca_items WHERE rowid IN (SELECT rid FROM _ca_dups);
DROP TABLE _ca_dups

-- name: duplicate_summary
-- Per file: duplicate rows replaced by a newer edit, and repeats resolved by order.
SELECT source_file,
       count(*) FILTER (WHERE message LIKE 'an older version%'),
       count(*) FILTER (WHERE message NOT LIKE 'an older version%')
FROM errors WHERE stage = 'ingest' AND code = 'duplicate_id'
GROUP BY 1 ORDER BY 1

-- name: skip_counts
-- Rejected rows that a mapping's skip: declared not items (boosts, reposts ...), by code
-- ($1: the skip codes of the mappings used).
SELECT code, count(*) FROM errors
WHERE stage = 'ingest' AND rejected AND list_contains($1, code)
GROUP BY 1 ORDER BY 2 DESC

-- name: reject_reasons
-- Rejected rows by code, with the first one of each (for "no items" messages).
SELECT code, count(*) AS n, arg_min(source_file, (source_file, source_row)),
       arg_min(source_row, (source_file, source_row)), arg_min(message, (source_file, source_row))
FROM errors WHERE stage = 'ingest' AND rejected
GROUP BY code ORDER BY n DESC

-- name: write_errors
INSERT INTO errors (run_id, stage, item_id, source_file, source_row, code, message, rejected)
SELECT $1, 'ingest', item_id, source_file, source_row, code, message, rejected
FROM _ca_rejects
ORDER BY source_file, source_row

-- name: reject_counts
-- Input rows that were never mapped (bad JSON, bad CSV rows); missing ids and duplicates
-- were mapped into _ca_items and are counted there.
SELECT source_file,
       count(*) FILTER (WHERE rejected AND code NOT IN ('duplicate_id', 'missing_id'))
FROM _ca_rejects GROUP BY source_file

-- name: totals
-- Items, rejected rows, row errors (notes, codes note_*, are not errors).
SELECT (SELECT count(*) FROM items),
       count(*) FILTER (WHERE rejected),
       count(*) FILTER (WHERE NOT rejected AND NOT starts_with(code, 'note_'))
FROM errors WHERE stage = 'ingest'

-- name: json_extra_types
-- Top-level keys of the JSON `extra` objects of the items of batch $2 (every row: json_keys
-- is cheap) and their JSON types, read from the first $1 rows only (a json_type per key and
-- row would cost as much as the whole mapping). A key seen only past those rows gets the
-- type NULL (registered as JSON).
INSERT INTO _ca_extra_types
SELECT DISTINCT unnest(json_keys(extra)), 'NULL' FROM _ca_items
WHERE _ca_batch = $2 AND extra IS NOT NULL AND _ca_skip IS NULL
UNION ALL
SELECT k, json_type(extra, '$."' || replace(k, '"', '\"') || '"')
FROM (SELECT extra, unnest(json_keys(extra)) AS k
      FROM (SELECT extra FROM _ca_items
            WHERE _ca_batch = $2 AND extra IS NOT NULL AND _ca_skip IS NULL LIMIT $1))
GROUP BY ALL

-- name: extra_type_list
SELECT name, list(DISTINCT duck_type) FROM _ca_extra_types GROUP BY name ORDER BY name

-- name: visibility_basis_counts
-- Items per file, visibility and the reason for it, summed over the counts query of
-- item_rows.counts_by (stored columns grouped in one scan; the view's expressions then run
-- once per group, not per item).
SELECT source_file, coalesce(visibility, 'unknown'), coalesce(visibility_basis, 'as exported'),
       sum(n)::BIGINT
FROM (/*COUNTS*/) GROUP BY ALL ORDER BY 1, 4 DESC

-- name: fetch_table
-- --fetch-media (audit/ingest/fetch.py): the outcome of every remote media URL, kept across
-- runs so that a second run resumes (only unsettled URLs are asked again).
CREATE TABLE IF NOT EXISTS media_fetch (
    url         VARCHAR PRIMARY KEY,
    status      VARCHAR,   -- ok | refused_robots | refused_noai | too_large | not_image | http_error | timeout | failed
    http_status INTEGER,
    sha256      VARCHAR,
    path        VARCHAR,   -- the cached file (content-addressed) when ok
    reason      VARCHAR,
    fetched_at  TIMESTAMP
)

-- name: fetch_pending
-- Distinct remote media URIs of the items with what an earlier run settled ($1 unused list).
SELECT i.media_uri, f.status, f.path
FROM (SELECT DISTINCT media_uri FROM items
      WHERE regexp_matches(media_uri, '^[Hh][Tt][Tt][Pp][Ss]?://')) i
LEFT JOIN media_fetch f ON f.url = i.media_uri
WHERE $1 IS NOT NULL
ORDER BY 1

-- name: fetch_record
INSERT OR REPLACE INTO media_fetch VALUES ($1, $2, $3, $4, $5, $6, $7)

-- name: fetch_apply_noai
-- A refusal (robots.txt, X-Robots-Tag noai/noimageai, AI crawlers disallowed) is a consent
-- signal on the item: noai = true, and (fetch_apply_notes) a note saying why; a failed
-- fetch is an error of the item; a fetched image replaces the URL in media_uri by the
-- cached file (fetch_apply_paths).
-- (ITEMS is the table the rows are stored in; the view gives their media_uri.)
UPDATE /*ITEMS*/ SET noai = true
WHERE item_id IN (SELECT item_id FROM items
                  WHERE media_uri IN (SELECT url FROM media_fetch
                                      WHERE status IN ('refused_robots', 'refused_noai')
                                         OR reason LIKE 'robots.txt disallows AI%'))

-- name: fetch_apply_notes
-- $1 run_id (errors only; the consent notes belong to the corpus, like the ingest notes).
INSERT INTO errors (run_id, stage, item_id, source_file, source_row, code, message, rejected)
SELECT CASE WHEN f.status IN ('refused_robots', 'refused_noai') OR f.reason LIKE 'robots.txt%'
            THEN NULL ELSE $1 END,
       CASE WHEN f.status IN ('refused_robots', 'refused_noai') OR f.reason LIKE 'robots.txt%'
            THEN 'note' ELSE 'ingest' END,
       i.item_id, i.source_file, i.source_row,
       CASE WHEN f.status IN ('refused_robots', 'refused_noai') OR f.reason LIKE 'robots.txt%'
            THEN 'note_media_refused' ELSE 'media_fetch_failed' END,
       'remote image ' || f.url || ': ' || f.status || coalesce(' (' || f.reason || ')', ''),
       false
FROM items i JOIN media_fetch f ON f.url = i.media_uri
WHERE f.status <> 'ok' OR f.reason LIKE 'robots.txt disallows AI%'

-- name: fetch_any_path
-- Whether some item's remote image was fetched into the cache (fetch_apply_paths has work).
SELECT count(*) > 0 FROM media_fetch
WHERE status = 'ok' AND path IS NOT NULL AND url IN (SELECT media_uri FROM items)

-- name: fetch_apply_paths
UPDATE /*ITEMS*/ AS i SET media_uri = f.path
FROM media_fetch f
WHERE i.media_uri = f.url AND f.status = 'ok' AND f.path IS NOT NULL

-- name: fetch_outcomes
SELECT status, count(*) FROM media_fetch
WHERE url IN (SELECT media_path FROM items UNION SELECT media_uri FROM items)
GROUP BY 1 ORDER BY 2 DESC

-- name: shard_keep_staging
-- A shard's worker (audit/ingest/shards.py) keeps its rejected rows and notes in its shard file
-- (its new items are already in _ca_items there) for the coordinator to merge.
CREATE TABLE _ca_shard_rejects AS SELECT * FROM _ca_rejects;
CREATE TABLE _ca_shard_notes AS SELECT * FROM _ca_notes

-- name: shard_merge
-- The coordinator copies one shard file, attached read-only as __SHARD__, into its staging
-- tables; the ingest then ends as a single-database ingest does (duplicates across shards).
INSERT INTO _ca_items BY NAME SELECT * FROM __SHARD__.main._ca_items;
INSERT INTO _ca_rejects BY NAME SELECT * FROM __SHARD__.main._ca_shard_rejects;
INSERT INTO _ca_notes BY NAME SELECT * FROM __SHARD__.main._ca_shard_notes
