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
), per_item AS (
    -- one GROUP BY instead of four count(DISTINCT ...): same numbers, ~4x cheaper at 1M items
    SELECT item_id,
           count(*)                    AS flags,
           bool_or(action = 'exclude') AS excluded,
           bool_or(action = 'review')  AS review,
           bool_or(action = 'redact')  AS redact
    FROM flags WHERE run_id = $run_id
    GROUP BY item_id
), fl AS (
    SELECT
        coalesce(sum(flags), 0)::BIGINT                               AS flags,
        count(*)                                                      AS flagged_items,
        count(*) FILTER (WHERE excluded)                              AS excluded_items,
        count(*) FILTER (WHERE review)                                AS review_items,
        count(*) FILTER (WHERE redact)                                AS redact_items
    FROM per_item
), er AS (
    SELECT
        count(*)                                                      AS errors,
        count(*) FILTER (WHERE rejected)                              AS rejected_rows,
        count(DISTINCT item_id) FILTER (WHERE NOT rejected)           AS items_with_errors
    -- notes (stage 'note': how values were derived) are not errors
    FROM errors WHERE (stage IN ('ingest', 'detect') OR run_id = $run_id) AND stage <> 'note'
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
-- One row per exposure category, items in it and their share. The categories and their order
-- come from audit/vocabulary.py (metadata) and the detectors' declarations
-- (audit/declared_sql.py fills the placeholders).
WITH c AS (
    SELECT
        count(*) AS total,
        /*EXPOSURE_COUNTS*/
    FROM item_view
), u AS (
    UNPIVOT c ON /*EXPOSURE_KEYS*/
    INTO NAME category VALUE items
)
SELECT category, items, items / nullif(total, 0) AS share
FROM u
ORDER BY list_position(/*EXPOSURE_ORDER*/, category);

-- name: kpi_media
-- Consent and location signals embedded in the images (detector media_meta), one row.
-- images: items referencing an image. Each is in exactly one state:
--   analysed     media_meta read the file (with or without metadata in it)
--   not_local    a remote URI: corpus-audit never downloads, so nothing was read
--   missing      no file at the path
--   unreadable   unreadable or corrupt file (media_meta failed and found nothing)
--   not_scanned  a readable file that media_meta has not analysed (not in --detectors)
-- The signal counts are of analysed images and their shares are of analysed images: an image
-- that was never read has unknown metadata, not "no metadata". stripped = analysed with no
-- EMBEDDED_METADATA finding (no EXIF, XMP or C2PA at all). No value of a finding (position,
-- owner name, serial) is ever selected here: the report shows counts only.
WITH mm AS (
    SELECT item_id,
           bool_or(entity_type = 'C2PA_MANIFEST')                          AS c2pa,
           bool_or(entity_type IN ('CAMERA_SERIAL', 'CAMERA_OWNER_NAME', 'IMAGE_UNIQUE_ID'))
                                                                           AS camera_ids,
           bool_or(entity_type = 'EMBEDDED_METADATA')                      AS embedded
    FROM findings WHERE detector = 'media_meta'
    GROUP BY item_id
), mm_err AS (
    SELECT item_id, bool_or(code = 'media_missing') AS file_gone
    FROM errors WHERE stage = 'detect' AND detector = 'media_meta' AND item_id IS NOT NULL
    GROUP BY item_id
), read_by_mm AS (
    -- contents media_meta analysed (a failed attempt counts: mm_err says what went wrong)
    SELECT DISTINCT content_sha256 FROM analysed WHERE detector = 'media_meta'
), img AS (
    SELECT
        v.item_id, v.has_gps, v.media_training_reservation AS reservation,
        coalesce(mm.c2pa, false) AS c2pa, coalesce(mm.camera_ids, false) AS camera_ids,
        coalesce(mm.embedded, false) AS embedded,
        CASE
            WHEN m.status = 'not_local'                                        THEN 'not_local'
            WHEN m.status = 'missing' OR e.file_gone                           THEN 'missing'
            WHEN m.status IS NOT NULL AND m.status <> 'ok'                     THEN 'unreadable'
            -- an error and nothing read at all: corrupt; an error beside findings is a
            -- partly malformed header, and what was read still counts
            WHEN e.item_id IS NOT NULL AND mm.item_id IS NULL                  THEN 'unreadable'
            WHEN m.status = 'ok' AND r.content_sha256 IS NOT NULL              THEN 'analysed'
            ELSE 'not_scanned'
        END AS state
    FROM item_view v
    LEFT JOIN media_files m ON m.media_uri = v.media_uri
    LEFT JOIN read_by_mm r ON r.content_sha256 = m.content_sha256
    LEFT JOIN mm ON mm.item_id = v.item_id
    LEFT JOIN mm_err e ON e.item_id = v.item_id
    WHERE v.media_uri IS NOT NULL
), c AS (
    SELECT
        count(*)                                                                AS images,
        count(*) FILTER (WHERE state = 'analysed')                              AS analysed,
        count(*) FILTER (WHERE state = 'not_local')                             AS not_local,
        count(*) FILTER (WHERE state = 'missing')                               AS missing,
        count(*) FILTER (WHERE state = 'unreadable')                            AS unreadable,
        count(*) FILTER (WHERE state = 'not_scanned')                           AS not_scanned,
        count(*) FILTER (WHERE state = 'analysed' AND has_gps)                  AS gps,
        count(*) FILTER (WHERE state = 'analysed' AND reservation = 'prohibited')  AS reservation_prohibited,
        count(*) FILTER (WHERE state = 'analysed' AND reservation = 'constrained') AS reservation_constrained,
        count(*) FILTER (WHERE state = 'analysed' AND reservation = 'allowed')  AS reservation_allowed,
        count(*) FILTER (WHERE state = 'analysed' AND c2pa)                     AS c2pa,
        count(*) FILTER (WHERE state = 'analysed' AND camera_ids)               AS camera_ids,
        count(*) FILTER (WHERE state = 'analysed' AND NOT embedded)             AS stripped
    FROM img
)
SELECT
    images, analysed, not_local, missing, unreadable, not_scanned,
    images - analysed                                   AS not_analysed,
    gps, reservation_prohibited, reservation_constrained, reservation_allowed, c2pa,
    camera_ids, stripped,
    gps / nullif(analysed, 0)                           AS share_gps,
    reservation_prohibited / nullif(analysed, 0)        AS share_reservation_prohibited,
    reservation_constrained / nullif(analysed, 0)       AS share_reservation_constrained,
    reservation_allowed / nullif(analysed, 0)           AS share_reservation_allowed,
    c2pa / nullif(analysed, 0)                          AS share_c2pa,
    camera_ids / nullif(analysed, 0)                    AS share_camera_ids,
    stripped / nullif(analysed, 0)                      AS share_stripped
FROM c;

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
    r.skip_reason, r.partial_reason,
    coalesce(fl.flags, 0)                    AS flags,
    coalesce(fl.items, 0)                    AS items,
    coalesce(fl.items, 0) / nullif(n.total, 0) AS share
FROM rule_catalog r CROSS JOIN n LEFT JOIN fl USING (rule_id)
WHERE r.run_id = $run_id
ORDER BY list_position(['critical', 'high', 'medium', 'low', 'info'], r.severity),
         items DESC, r.rule_id;

-- name: kpi_face_ages
-- How many images have their youngest-looking face at each apparent age (whole years; the
-- faces detector's item_view column youngest_face_age). No image is identified here.
SELECT floor(youngest_face_age)::INTEGER AS age, count(*) AS images
FROM item_view
WHERE youngest_face_age IS NOT NULL
GROUP BY 1
ORDER BY 1;

-- name: kpi_severity
-- Flags and flagged items per severity (the scan's --fail-on reads the highest one).
SELECT severity, count(*) AS flags, count(DISTINCT item_id) AS items
FROM flags WHERE run_id = $run_id
GROUP BY severity
ORDER BY list_position(['critical', 'high', 'medium', 'low', 'info'], severity);

-- name: kpi_pii_types
-- Findings of the detectors that declare personal data in text, by entity type.
WITH n AS (SELECT count(*) AS total FROM items)
SELECT detector, entity_type, count(*) AS findings, count(DISTINCT item_id) AS items,
       count(DISTINCT item_id) / nullif(any_value(n.total), 0) AS share
FROM findings CROSS JOIN n
WHERE list_contains(/*TEXT_MASKING_DETECTORS*/, detector)
GROUP BY detector, entity_type
ORDER BY findings DESC, detector, entity_type;

-- name: kpi_errors
-- Problems by stage and code with up to 3 example items (or source file:row when rejected).
SELECT
    stage, code,
    count(*)                                 AS errors,
    count(DISTINCT item_id)                  AS items,
    -- distinct: an item with the same problem from several detectors is one example
    list(DISTINCT coalesce(item_id, source_file || ':' || source_row::VARCHAR)
         ORDER BY coalesce(item_id, source_file || ':' || source_row::VARCHAR))[1:3]
                                             AS examples
FROM errors
WHERE (stage IN ('ingest', 'detect') OR run_id = $run_id) AND stage <> 'note'
GROUP BY stage, code
ORDER BY list_position(['ingest', 'detect', 'rules', 'report'], stage), errors DESC, code;

-- name: kpi_derivations
-- How the ingest derived values the export did not state (stage 'note' rows of errors, e.g.
-- "visibility unknown for 300 of 300 items: web scrape: no audience information").
SELECT code, source_file, message
FROM errors
WHERE stage = 'note'
ORDER BY code, source_file, message;

-- name: kpi_visibility_basis
-- Items by visibility and the basis of that value (NULL basis: given as-is by the corpus).
SELECT coalesce(visibility, 'unknown') AS visibility,
       coalesce(visibility_basis, 'as given in the corpus') AS basis,
       count(*) AS items
FROM items
GROUP BY ALL
ORDER BY items DESC, visibility, basis;

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
-- The personal-data values (spans of the text-masking detectors) of the sampled items, only
-- to scrub them from shown evidence.
SELECT f.item_id, f.entity_type, substr(i.text, f."start" + 1, f."end" - f."start") AS value
FROM findings f JOIN items i USING (item_id)
WHERE list_contains(/*TEXT_MASKING_DETECTORS*/, f.detector) AND f."start" IS NOT NULL
  AND list_contains($item_ids, f.item_id);

-- Exposure by group: which authors and sources concentrate the flagged items. A group kind
-- ($group_kind) says how items are grouped:
--   author       author_id within a platform (the same id on two platforms is two accounts)
--   platform     the item's platform
--   subreddit    extra.subreddit (listed by group_kinds only when the corpus has the column)
--   source_file  the corpus file the item was read from
--   domain       host of the item's URL, lower case, without "www." and credentials (LAION)
-- Items whose key is missing belong to no group, as in aggregate rules (docs/RULES.md).

-- name: group_keys
-- The group of every item under $group_kind. group_by is the rule-language field of the kind:
-- an aggregate rule grouping by it writes evidence labelled "<group_by> <key>: ..." (NULL for
-- domain, which no rule can group by).
SELECT item_id,
       CASE $group_kind::VARCHAR
           WHEN 'author'      THEN author_id
           WHEN 'platform'    THEN platform
           WHEN 'subreddit'   THEN extra ->> 'subreddit'
           WHEN 'source_file' THEN source_file
           -- the host after "scheme://" and any userinfo (user:password@ can name a person),
           -- without "www." and the port. One regex on purpose: split_part is a macro that
           -- repeats its argument, so nesting it grows the expression exponentially. The
           -- regex costs ~0.8 µs per URL: a plain lower-case http(s) host (no userinfo,
           -- port, query or "www.") is taken as is, which is what the regex returns for it
           WHEN 'domain'      THEN CASE
               WHEN regexp_matches(url, '^https?://[a-z0-9.-]+(/|$)') AND NOT contains(url, '://www.')
               THEN split_part(url, '/', 3)
               ELSE nullif(regexp_extract(lower(url),
                        '^[a-z][a-z0-9+.-]*://(?:[^@/?#]*@)?(?:www\.)?([^:/?#]+)', 1), '') END
       END AS group_key,
       CASE WHEN $group_kind::VARCHAR = 'author' THEN platform END AS group_platform,
       CASE $group_kind::VARCHAR
           WHEN 'author' THEN 'author_id' WHEN 'platform' THEN 'platform'
           WHEN 'subreddit' THEN 'extra.subreddit' WHEN 'source_file' THEN 'source_file'
       END AS group_by
FROM items;

-- name: group_kinds
-- The group kinds this corpus has data for, in display order.
SELECT pos, kind FROM (VALUES
    (1, 'author',      EXISTS (SELECT 1 FROM items WHERE author_id IS NOT NULL)),
    (2, 'platform',    EXISTS (SELECT 1 FROM items WHERE platform IS NOT NULL)),
    (3, 'subreddit',   EXISTS (SELECT 1 FROM extra_columns WHERE name = 'subreddit')),
    (4, 'source_file', EXISTS (SELECT 1 FROM items WHERE source_file IS NOT NULL)),
    (5, 'domain',      EXISTS (SELECT 1 FROM items WHERE url IS NOT NULL))
) k(pos, kind, present)
WHERE present
ORDER BY pos;

-- name: group_items
-- The items of one group (dashboard drill-down): $group_kind, $group_key, $group_platform
-- (the author's platform; NULL for the other kinds).
SELECT item_id FROM ({report.group_keys})
WHERE group_key = $group_key::VARCHAR
  AND group_platform IS NOT DISTINCT FROM $group_platform::VARCHAR;

-- name: kpi_groups
-- The top $limit groups of kind $group_kind with at least $min_items items, by flagged share
-- (flagged items / items), then size, then key (rank 1 = most exposed). Per group: items, flagged and excluded items,
-- the 3 rules that flag most of its items, and the group-level evidence of aggregate rules
-- that group by this kind's field (the label starts "<group_by> <key>: "; it repeats only the
-- key and the rule's own words, never an item's value). groups_total: groups before LIMIT.
-- Streams over items (nothing per item is held but the flagged items' hash table): the group
-- key is computed twice, once for the counts and once for the shown groups' flags only,
-- which costs less than keeping every item's key (at 10^7 items, ~2 GB held per kind).
WITH per_item AS (
    SELECT item_id, bool_or(action = 'exclude') AS excluded
    FROM flags WHERE run_id = $run_id GROUP BY item_id
), stats AS (
    SELECT g.group_key, g.group_platform, any_value(g.group_by) AS group_by,
           count(*)                                AS items,
           count(f.item_id)                        AS flagged_items,
           count(*) FILTER (WHERE f.excluded)      AS excluded_items
    FROM ({report.group_keys}) g LEFT JOIN per_item f USING (item_id)
    WHERE g.group_key IS NOT NULL
    GROUP BY g.group_key, g.group_platform
    HAVING count(*) >= $min_items
), ranked AS (
    SELECT *, flagged_items / items AS flagged_share, count(*) OVER () AS groups_total,
           row_number() OVER (ORDER BY flagged_items / items DESC, items DESC, group_key,
                              group_platform NULLS FIRST) AS rank
    FROM stats
), top AS MATERIALIZED (
    SELECT * FROM ranked WHERE rank <= $limit
), shown AS NOT MATERIALIZED (
    -- the shown groups' items (a join against at most $limit keys: no item is held)
    SELECT t.group_key, t.group_platform, t.group_by, g.item_id
    FROM ({report.group_keys}) g
    JOIN top t ON g.group_key = t.group_key AND g.group_platform IS NOT DISTINCT FROM t.group_platform
), rule_hits AS (
    -- the shown groups' flags, without their evidence (at few, large groups that is most flags)
    SELECT group_key, group_platform,
           list({'rule_id': rule_id, 'items': n} ORDER BY n DESC, rule_id)[1:3] AS top_rules
    FROM (SELECT s.group_key, s.group_platform, fl.rule_id, count(DISTINCT fl.item_id) AS n
          FROM shown s JOIN flags fl ON fl.item_id = s.item_id AND fl.run_id = $run_id
          GROUP BY ALL)
    GROUP BY ALL
), labels AS (
    -- only evidence that can hold such a label is read and parsed: group_by is a plain name,
    -- written unescaped in the JSON text (NULL, so nothing, for kinds no rule groups by)
    SELECT group_key, group_platform, list(DISTINCT label ORDER BY label)[1:3] AS evidence
    FROM (SELECT s.group_key, s.group_platform, s.group_by,
                 unnest(json_extract_string(fl.evidence, '$.conditions[*]')) AS label
          FROM shown s
          JOIN (SELECT item_id, evidence FROM flags
                WHERE run_id = $run_id
                  AND contains(evidence::VARCHAR, (SELECT any_value(group_by) FROM top) || ' ')
               ) fl ON fl.item_id = s.item_id)
    WHERE starts_with(label, group_by || ' ' || group_key || ': ')
    GROUP BY ALL
)
SELECT t.rank, t.group_key, t.group_platform AS platform, t.items, t.flagged_items, t.flagged_share,
       t.excluded_items,
       coalesce(r.top_rules, []) AS top_rules,
       coalesce(l.evidence, []::VARCHAR[]) AS evidence,
       t.groups_total
FROM top t
LEFT JOIN rule_hits r
  ON r.group_key = t.group_key AND r.group_platform IS NOT DISTINCT FROM t.group_platform
LEFT JOIN labels l
  ON l.group_key = t.group_key AND l.group_platform IS NOT DISTINCT FROM t.group_platform
ORDER BY t.rank;

-- name: rule_checks
-- Each rule's thresholds measured against this corpus (audit/rules/check.py), in rule order.
SELECT rule_id, path, words, population, reaching, dead
FROM rule_checks WHERE run_id = $run_id
ORDER BY rule_id, rowid;

-- name: kpi_requests
-- The consent registry as this run applied it: per request, the items it covers in all and by
-- each way, when it was first honoured (the earliest complete run — or this one — in which
-- it covered an item), whether it is new or changed since the previous complete run, and
-- "matched nothing" for requests a reviewer must look at. Subjects are never shown.
WITH req AS (SELECT * FROM registry_requests WHERE run_id = $run_id),
prev_run AS (
    SELECT run_id FROM runs
    WHERE status = 'complete' AND run_id <> $run_id
      AND started_at <= (SELECT coalesce(max(started_at), now()::TIMESTAMP) FROM runs WHERE run_id = $run_id)
      AND run_id IN (SELECT run_id FROM registry_requests)
    ORDER BY started_at DESC, run_id DESC LIMIT 1
), prev AS (SELECT * FROM registry_requests WHERE run_id IN (SELECT run_id FROM prev_run)),
m AS (
    SELECT request_id, count(DISTINCT item_id) AS items,
           count(DISTINCT item_id) FILTER (WHERE method = 'author') AS by_author,
           count(DISTINCT item_id) FILTER (WHERE method = 'url') AS by_url,
           count(DISTINCT item_id) FILTER (WHERE method = 'domain') AS by_domain,
           count(DISTINCT item_id) FILTER (WHERE method = 'email') AS by_email,
           count(DISTINCT item_id) FILTER (WHERE method = 'image') AS by_image,
           count(DISTINCT item_id) FILTER (WHERE method = 'face') AS by_face
    FROM registry_matches WHERE run_id = $run_id GROUP BY request_id
), honoured AS (
    SELECT x.request_id, min(r.started_at) AS first_honoured
    FROM (SELECT DISTINCT run_id, request_id FROM registry_matches) x JOIN runs r USING (run_id)
    WHERE r.status = 'complete' OR r.run_id = $run_id
    GROUP BY x.request_id
)
SELECT req.request_id, req.kind, req.subject_type, req.platform_key AS platform,
       req.received_at, req.source_file, req.source_line,
       coalesce(m.items, 0) AS items, coalesce(m.by_author, 0) AS by_author,
       coalesce(m.by_url, 0) AS by_url, coalesce(m.by_domain, 0) AS by_domain,
       coalesce(m.by_email, 0) AS by_email, coalesce(m.by_image, 0) AS by_image,
       coalesce(m.by_face, 0) AS by_face,
       CASE WHEN coalesce(m.items, 0) > 0 THEN h.first_honoured END AS first_honoured,
       CASE WHEN coalesce(m.items, 0) = 0 THEN 'matched nothing' ELSE 'honoured' END AS status,
       CASE WHEN NOT EXISTS (SELECT 1 FROM prev_run) THEN 'first registry'
            WHEN p.request_id IS NULL THEN 'new'
            WHEN p.kind IS DISTINCT FROM req.kind OR p.subject_key IS DISTINCT FROM req.subject_key
                 OR p.platform_key IS DISTINCT FROM req.platform_key THEN 'changed'
            ELSE 'unchanged' END AS since_last_scan
FROM req
LEFT JOIN m USING (request_id)
LEFT JOIN honoured h USING (request_id)
LEFT JOIN prev p USING (request_id)
ORDER BY coalesce(m.items, 0) = 0 DESC, req.request_id;

-- name: kpi_requests_removed
-- Requests of the previous complete registry that this run no longer has.
WITH prev_run AS (
    SELECT run_id FROM runs
    WHERE status = 'complete' AND run_id <> $run_id
      AND started_at <= (SELECT coalesce(max(started_at), now()::TIMESTAMP) FROM runs WHERE run_id = $run_id)
      AND run_id IN (SELECT run_id FROM registry_requests)
    ORDER BY started_at DESC, run_id DESC LIMIT 1
)
SELECT request_id, kind, subject_type FROM registry_requests
WHERE run_id IN (SELECT run_id FROM prev_run)
  AND request_id NOT IN (SELECT request_id FROM registry_requests WHERE run_id = $run_id)
ORDER BY request_id;
