-- Ingest stage (audit/ingest/corpus.py). The per-source SELECT that maps a file's fields to the
-- canonical columns is compiled from the mapping by audit/ingest/compile.py; it calls the
-- macros below and writes into _ca_stage. Everything else the stage runs is here.

-- name: macros
-- Parsing helpers, created per connection. They never raise: an unreadable value is NULL
-- and the compiled SELECT turns "value given but NULL after parsing" into an errors row.
CREATE OR REPLACE TEMP MACRO _ca_epoch(x, scale) AS
    CASE WHEN x IS NULL OR isnan(x) OR isinf(x) THEN NULL
         ELSE try(make_timestamp(CAST(round(x * 1000000 / scale) AS BIGINT))) END;
-- ISO 8601 text; an explicit offset (Z, +02:00) is converted to UTC, naive text is taken as UTC.
CREATE OR REPLACE TEMP MACRO _ca_ts_text(s) AS
    CASE WHEN regexp_matches(trim(s), '\d[T ]\d.*([zZ]|[+-]\d\d(:?\d\d)?)$')
         THEN timezone('UTC', try_cast(trim(s) AS TIMESTAMPTZ))
         ELSE try_cast(trim(s) AS TIMESTAMP) END;
CREATE OR REPLACE TEMP MACRO _ca_ts_auto(s) AS
    CASE WHEN regexp_matches(trim(s), '^-?\d+(\.\d+)?$')
         THEN _ca_epoch(try_cast(trim(s) AS DOUBLE), 1)
         ELSE _ca_ts_text(s) END;
CREATE OR REPLACE TEMP MACRO _ca_bool(s) AS
    CASE WHEN lower(trim(s)) IN ('true', 't', '1', 'yes', 'y') THEN true
         WHEN lower(trim(s)) IN ('false', 'f', '0', 'no', 'n') THEN false END;
CREATE OR REPLACE TEMP MACRO _ca_int(s) AS
    coalesce(try_cast(trim(s) AS INTEGER),
             CASE WHEN try_cast(trim(s) AS DOUBLE) = round(try_cast(trim(s) AS DOUBLE))
                  THEN try_cast(try_cast(trim(s) AS DOUBLE) AS INTEGER) END);
CREATE OR REPLACE TEMP MACRO _ca_date(s) AS
    coalesce(try_cast(trim(s) AS DATE), CAST(_ca_ts_text(s) AS DATE));
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
-- Collapse "/./" and "dir/../" in an absolute path (a few levels; enough for "../images/x").
CREATE OR REPLACE TEMP MACRO _ca_dotdot(p) AS
    regexp_replace(p, '/([^/.][^/]*|\.[^/.][^/]*|\.\.[^/]+)/\.\./', '/', 'g');
CREATE OR REPLACE TEMP MACRO _ca_normpath(p) AS
    CASE WHEN contains(p, '/.')
         THEN _ca_dotdot(_ca_dotdot(_ca_dotdot(_ca_dotdot(_ca_dotdot(_ca_dotdot(
                  regexp_replace(p, '/(\./)+', '/', 'g')))))))
         ELSE p END;
-- media_path → media_uri: URIs with a scheme and absolute paths stay, relative paths are
-- resolved against the folder of the corpus file.
CREATE OR REPLACE TEMP MACRO _ca_media_uri(p, base) AS
    CASE WHEN p IS NULL OR trim(p) = '' THEN NULL
         WHEN regexp_matches(p, '^[A-Za-z][A-Za-z0-9+.-]*:') THEN p
         WHEN starts_with(p, '/') THEN _ca_normpath(p)
         ELSE _ca_normpath(base || '/' || p) END;
-- Full years between birth date and post time.
CREATE OR REPLACE TEMP MACRO _ca_age(birth, posted) AS
    CASE WHEN birth IS NOT NULL AND posted IS NOT NULL
         THEN CAST(date_sub('year', birth, CAST(posted AS DATE)) AS INTEGER) END

-- name: temp_tables
CREATE OR REPLACE TEMP TABLE _ca_stage AS
    SELECT *, 0::INTEGER AS _ca_sub,
           []::STRUCT(code VARCHAR, message VARCHAR)[] AS _ca_errs
    FROM items LIMIT 0;
CREATE OR REPLACE TEMP TABLE _ca_lines (line_no BIGINT, line VARCHAR);
CREATE OR REPLACE TEMP TABLE _ca_rejects (
    source_file VARCHAR, source_row BIGINT, item_id VARCHAR, code VARCHAR, message VARCHAR,
    rejected BOOLEAN);
CREATE OR REPLACE TEMP TABLE _ca_extra_types (name VARCHAR, duck_type VARCHAR)

-- name: drop_temp_tables
DROP TABLE IF EXISTS _ca_stage;
DROP TABLE IF EXISTS _ca_lines;
DROP TABLE IF EXISTS _ca_rejects;
DROP TABLE IF EXISTS _ca_extra_types;
DROP TABLE IF EXISTS _ca_csv;
DROP TABLE IF EXISTS _ca_csv_shift;
DROP TABLE IF EXISTS _ca_csv_rej_errors;
DROP TABLE IF EXISTS _ca_csv_rej_scans;
DROP TABLE IF EXISTS _ca_source_order;
DROP TABLE IF EXISTS _ca_dup_hashes

-- name: clear_previous
DELETE FROM items;
DELETE FROM errors WHERE stage = 'ingest';
DELETE FROM extra_columns

-- name: load_lines
-- One text chunk of a JSONL file ($1, decoded in Python) → numbered lines; $2 = the line
-- number of its first line. Blank lines are not records and are skipped.
INSERT INTO _ca_lines
SELECT $2 + n - 1, rtrim(l, chr(13))
FROM (SELECT unnest(s) AS l, generate_subscripts(s, 1) AS n
      FROM (SELECT string_split($1, chr(10)) AS s))
WHERE trim(l) <> ''

-- name: json_rejects
-- Lines that cannot become items: not JSON at all, or JSON that is not an object. $1 = file.
INSERT INTO _ca_rejects
SELECT $1, line_no, NULL,
       CASE WHEN json_valid(line) THEN 'not_an_object' ELSE 'bad_json' END,
       CASE WHEN json_valid(line) THEN 'line is JSON but not an object: '
            ELSE 'line is not valid JSON: ' END || left(line, 80),
       true
FROM _ca_lines
WHERE NOT json_valid(line) OR json_type(line) <> 'OBJECT'

-- name: empty_pages
-- Response pages whose exploded list ($2, a JSON path) is empty: nothing to ingest, reported.
INSERT INTO _ca_rejects
SELECT $1, line_no, NULL, 'empty_page', 'the list at ' || $2 || ' is empty', false
FROM _ca_lines
WHERE json_valid(line) AND json_type(line, $2) = 'ARRAY' AND json_array_length(line, $2) = 0

-- name: clear_lines
DELETE FROM _ca_lines

-- name: csv_rejects
-- Rows DuckDB's CSV reader could not split (wrong number of fields, ...). `line` counts the
-- header as 1, so the data row number is line - 1. DuckDB reports one error per surplus or
-- missing field; a rejected row must be one errors row (items + rejected = input rows), so
-- only the first error of each line is kept.
INSERT INTO _ca_rejects
SELECT $1, e.line - 1, NULL, 'bad_csv_row',
       lower(e.error_type) || ': ' || coalesce(e.error_message, '') || ' | '
           || left(coalesce(e.csv_line, ''), 80),
       true
FROM _ca_csv_rej_errors e
QUALIFY row_number() OVER (PARTITION BY e.line ORDER BY e.byte_position, e.column_idx) = 1

-- name: csv_rejected_rows
-- Rejected data rows of the CSV, in order, as offsets for renumbering the good rows.
SELECT DISTINCT line - 1 AS r FROM _ca_csv_rej_errors ORDER BY r

-- name: stage_flush
-- Move the staged rows of one source (or JSONL chunk) into items, errors and rejects.
INSERT INTO _ca_rejects
SELECT source_file, source_row, NULL, 'missing_id',
       'no item_id: the mapping''s item_id fields are empty in this record', true
FROM _ca_stage WHERE item_id IS NULL OR item_id = '';
INSERT INTO _ca_rejects
SELECT source_file, source_row, item_id, e.code, e.message, false
FROM (SELECT source_file, source_row, item_id, unnest(_ca_errs) AS e
      FROM _ca_stage WHERE len(_ca_errs) > 0 AND item_id IS NOT NULL AND item_id <> '');
INSERT INTO items
SELECT * EXCLUDE (_ca_sub, _ca_errs) FROM _ca_stage WHERE item_id IS NOT NULL AND item_id <> '';
DELETE FROM _ca_stage

-- name: direct_items
-- Tabular sources skip the stage (it would copy every row twice): items straight from the
-- compiled SELECT (substituted for the SOURCE placeholder), then its errors in a second,
-- pruned pass.
INSERT INTO items
SELECT * EXCLUDE (_ca_sub, _ca_errs) FROM (__SOURCE__)
WHERE item_id IS NOT NULL AND item_id <> ''

-- name: direct_errors
-- One scan for both kinds of problem: a row without an item_id is rejected (and only that
-- is reported for it); any other row contributes its value errors.
INSERT INTO _ca_rejects
SELECT source_file, source_row, CASE WHEN NOT _ca_missing THEN item_id END, e.code, e.message,
       _ca_missing
FROM (SELECT source_file, source_row, item_id, _ca_missing,
             unnest(CASE WHEN _ca_missing
                         THEN [{'code': 'missing_id', 'message':
                             'no item_id: the mapping''s item_id fields are empty in this record'}]
                         ELSE _ca_errs END) AS e
      FROM (SELECT *, item_id IS NULL OR item_id = '' AS _ca_missing FROM (__SOURCE__))
      WHERE _ca_missing OR len(_ca_errs) > 0)

-- name: missing_count
SELECT count(*) FROM _ca_rejects WHERE source_file = $1 AND code = 'missing_id'

-- name: staged_count
SELECT count(*), count(*) FILTER (WHERE item_id IS NULL OR item_id = '') FROM _ca_stage

-- name: item_count
SELECT count(*) FROM items

-- name: item_id_hashes
-- 64-bit hashes of every item_id: if they are all distinct, so are the ids (the usual case,
-- checked in Polars by audit/ingest/corpus.py, ~3x faster than a DuckDB GROUP BY on 2 cores).
SELECT hash(item_id) AS h FROM items

-- name: duplicates
-- Every item after the first with the same item_id (first = ingest order: source order, then
-- row order, then position in the row's page) is rejected and removed, with its row errors.
-- Run only when item_id_hashes could not prove the ids distinct. Candidates by 64-bit hash:
-- aggregating fixed-width hashes is cheaper than aggregating the strings; a collision only
-- adds a candidate, the window below compares exact ids.
CREATE OR REPLACE TEMP TABLE _ca_dup_hashes AS
SELECT hash(item_id) AS h FROM items GROUP BY 1 HAVING count(*) > 1;
CREATE OR REPLACE TEMP TABLE _ca_dups AS
SELECT rid, item_id, source_file, source_row, first_file, first_row
FROM (
    SELECT i.rowid AS rid, i.item_id, i.source_file, i.source_row,
           first_value(i.source_file) OVER w AS first_file,
           first_value(i.source_row) OVER w AS first_row,
           row_number() OVER w AS rn
    FROM items i JOIN _ca_source_order o USING (source_file)
    WHERE hash(i.item_id) IN (SELECT h FROM _ca_dup_hashes)
    WINDOW w AS (PARTITION BY i.item_id ORDER BY o.idx, i.source_row, i.rowid)
)
WHERE rn > 1;
DELETE FROM _ca_rejects r USING _ca_dups d
WHERE NOT r.rejected AND r.item_id = d.item_id
  AND r.source_file = d.source_file AND r.source_row = d.source_row;
INSERT INTO _ca_rejects
SELECT source_file, source_row, item_id, 'duplicate_id',
       'item_id already seen at ' || first_file || ':' || first_row, true
FROM _ca_dups;
DELETE FROM items WHERE rowid IN (SELECT rid FROM _ca_dups);
DROP TABLE _ca_dups

-- name: write_errors
INSERT INTO errors (run_id, stage, item_id, source_file, source_row, code, message, rejected)
SELECT $1, 'ingest', item_id, source_file, source_row, code, message, rejected
FROM _ca_rejects
ORDER BY source_file, source_row

-- name: reject_counts
-- Input rows that never reached the stage (bad JSON, bad CSV rows); missing ids and
-- duplicates were staged and are counted there.
SELECT source_file,
       count(*) FILTER (WHERE rejected AND code NOT IN ('duplicate_id', 'missing_id'))
FROM _ca_rejects GROUP BY source_file

-- name: totals
SELECT (SELECT count(*) FROM items),
       count(*) FILTER (WHERE rejected),
       count(*) FILTER (WHERE NOT rejected)
FROM errors WHERE stage = 'ingest'

-- name: json_extra_types
-- Top-level keys of the JSON `extra` objects of the staged rows and their JSON types.
INSERT INTO _ca_extra_types
SELECT k, json_type(extra, '$."' || replace(k, '"', '\"') || '"')
FROM (SELECT extra, unnest(json_keys(extra)) AS k FROM _ca_stage WHERE extra IS NOT NULL)
GROUP BY ALL

-- name: extra_type_list
SELECT name, list(DISTINCT duck_type) FROM _ca_extra_types GROUP BY name ORDER BY name

-- name: visibility_counts
SELECT coalesce(visibility, 'unknown') AS visibility, count(*) FROM items GROUP BY 1 ORDER BY 2 DESC
