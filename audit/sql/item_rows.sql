-- Where item rows are stored and how `items` reads them (audit/item_rows.py).
-- An ingest stores only the columns its corpus fills (`item_rows`); `items` is then a view
-- giving every canonical and provenance column, the others computed where they are read:
-- every column a DuckDB load writes costs it ~4% (constant NULLs included), and DuckDB
-- computes generated columns while inserting, so a view is what keeps the load a plain copy.

-- name: macros
-- What the view and the ingest compute from stored columns; persistent (not TEMP) because
-- the view is read by every later connection, and re-created by every ingest (a view does
-- not hold on to a macro, so a newer definition replaces the old one).
-- Collapse "/./" and "dir/../" in an absolute path (a few levels; enough for "../images/x").
CREATE OR REPLACE MACRO _ca_dotdot(p) AS
    regexp_replace(p, '/([^/.][^/]*|\.[^/.][^/]*|\.\.[^/]+)/\.\./', '/', 'g');
CREATE OR REPLACE MACRO _ca_normpath(p) AS
    CASE WHEN contains(p, '/.')
         THEN _ca_dotdot(_ca_dotdot(_ca_dotdot(_ca_dotdot(_ca_dotdot(_ca_dotdot(
                  regexp_replace(p, '/(\./)+', '/', 'g')))))))
         ELSE p END;
-- media_path → media_uri: URIs with a scheme and absolute paths stay, relative paths are
-- resolved against the folder of the corpus file ("/" and "" alike for a file at the root).
-- (Cheap tests first: the regex runs only on paths with a ":", trim only on a leading blank.)
CREATE OR REPLACE MACRO _ca_media_uri(p, base) AS
    CASE WHEN p IS NULL OR p = '' OR (ascii(p) <= 32 AND trim(p) = '') THEN NULL
         WHEN contains(p, ':') AND regexp_matches(p, '^[A-Za-z][A-Za-z0-9+.-]*:') THEN p
         WHEN starts_with(p, '/') THEN _ca_normpath(p)
         ELSE _ca_normpath(rtrim(base, '/') || '/' || p) END;
-- The folder of a corpus file's absolute path, as the ingest's base for relative media paths
-- ("/data/x/posts.json" → "/data/x"; "/posts.json" → "", which resolves "a.jpg" to "/a.jpg").
CREATE OR REPLACE MACRO _ca_folder(f) AS regexp_replace(f, '/[^/]*$', '');
-- Full years between birth date and post time: the items view's author_age_at_post where the
-- export gives a birth date but no age (item_rows keeps the age as exported).
CREATE OR REPLACE MACRO _ca_age(birth, posted) AS
    CASE WHEN birth IS NOT NULL AND posted IS NOT NULL
         THEN CAST(date_sub('year', birth, CAST(posted AS DATE)) AS INTEGER) END;
-- Host of an http(s) URL, lower-case, without "www.", user info or port (NULL otherwise).
-- _ca_host_part(url) is the third "/" part of an http(s) URL; _ca_host_clean(part) takes the
-- slow path only for hosts with "@", ":", "www." or capitals. Two macros so that the compiled
-- SELECT computes the part once, as a column (a macro argument is repeated where it is used).
CREATE OR REPLACE MACRO _ca_host_part(u) AS
    CASE WHEN starts_with(u, 'http') OR starts_with(u, 'HTTP') THEN split_part(u, '/', 3) END;
CREATE OR REPLACE MACRO _ca_host_clean(h) AS
    CASE WHEN h = '' THEN NULL
         WHEN contains(h, '@') OR contains(h, ':') OR starts_with(h, 'www.') OR h <> lower(h)
         THEN nullif(regexp_replace(lower(split_part(split_part(h, '@', -1), ':', 1)), '^www\.', ''), '')
         ELSE h END

-- name: derived.media_uri
-- A column the ingest did not store, as the view computes it (the same value the load would
-- have written: every source's media base was its own folder).
_ca_media_uri(media_path, _ca_folder(source_file))

-- name: derived.source_domain
_ca_host_clean(_ca_host_part(url))

-- name: derived.visibility_basis
-- (item_rows.visibility is NULL where the export has no visibility; the view shows 'unknown'.)
CASE WHEN visibility IS NULL THEN 'not in the export' END

-- name: relation_kind
-- 'BASE TABLE' or 'VIEW' for a name of the main schema (no row: neither).
SELECT table_type FROM information_schema.tables
WHERE table_schema = 'main' AND table_catalog = current_database() AND table_name = $1

-- name: stored_columns
SELECT column_name FROM information_schema.columns
WHERE table_schema = 'main' AND table_catalog = current_database() AND table_name = 'item_rows'
ORDER BY ordinal_position

-- name: upgrade_items_table
-- Stores made before these provenance columns get them (appended, in the same order); only
-- where `items` is still a table (a store never ingested by a version storing item_rows).
ALTER TABLE items ADD COLUMN IF NOT EXISTS source_domain VARCHAR;
ALTER TABLE items ADD COLUMN IF NOT EXISTS community VARCHAR;
ALTER TABLE items ADD COLUMN IF NOT EXISTS visibility_basis VARCHAR;
ALTER TABLE items ADD COLUMN IF NOT EXISTS edited_at TIMESTAMP
