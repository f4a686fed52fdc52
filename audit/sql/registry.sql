-- Consent registry (audit/registry/): normalisation, matching and its bookkeeping.
-- The normalisation macros are the one implementation used for both sides: the requests'
-- subjects and the corpus's authors, URLs, domains and e-mail addresses go through the same
-- macros, so "@Alice_W" in a request and "alice_w" in a corpus compare equal by construction.

-- name: macros
-- Platform names as the mapping presets write them ("x" and "twitter.com" are twitter).
CREATE OR REPLACE TEMP MACRO reg_platform(p) AS
    CASE regexp_replace(lower(trim(p)), '^(www\.)|(\.com|\.app|\.social)$', '', 'g')
        WHEN '' THEN NULL
        WHEN 'x' THEN 'twitter' WHEN 'twitter' THEN 'twitter'
        WHEN 'bsky' THEN 'bluesky' WHEN 'bluesky' THEN 'bluesky'
        WHEN 'mastodon' THEN 'mastodon' WHEN 'fediverse' THEN 'mastodon'
        WHEN 'ig' THEN 'instagram'
        ELSE regexp_replace(lower(trim(p)), '^(www\.)|(\.com|\.app|\.social)$', '', 'g') END;
-- A handle or account id, case-folded, without "@", "acct:" or a profile URL around it.
-- Mastodon's "@user@instance" keeps its instance ("user@instance"); "u/name" (Reddit) is
-- "name". NULL when nothing usable is left.
CREATE OR REPLACE TEMP MACRO reg_handle(h) AS
    nullif(regexp_replace(regexp_replace(lower(trim(h)),
        '^(acct:|https?://[^/]+/(@|u/|user/)?|u/|/u/)', ''), '^@|/+$', '', 'g'), '');
-- The author key of an identifier on a platform: "user@instance" on mastodon when the
-- instance is known (from the handle, or else from the post URL's host), else the handle.
CREATE OR REPLACE TEMP MACRO reg_author_key(platform, h, host) AS
    CASE WHEN reg_platform(platform) = 'mastodon' AND NOT contains(reg_handle(h), '@')
              AND host IS NOT NULL AND NOT regexp_matches(reg_handle(h), '^[0-9]+$')
         THEN reg_handle(h) || '@' || host
         ELSE reg_handle(h) END;
-- URL parts: host (lower case, no user info, port, www./m./mobile. prefix, trailing dot;
-- x.com and old./np. reddit folded), path (no trailing slash), query (tracking parameters
-- dropped, the rest sorted); the scheme and the fragment are dropped.
CREATE OR REPLACE TEMP MACRO reg_url_parts(u) AS
    regexp_extract(trim(u), '^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|//)?([^/?#]*)([^?#]*)(?:\?([^#]*))?',
                   ['host', 'path', 'query']);
CREATE OR REPLACE TEMP MACRO reg_host(h) AS
    CASE regexp_replace(regexp_replace(lower(h), '^.*@|:[0-9]*$|\.$', '', 'g'),
                        '^((www[0-9]*|m|mobile|old|np|amp)\.)+', '')
        WHEN 'x.com' THEN 'twitter.com'
        ELSE regexp_replace(regexp_replace(lower(h), '^.*@|:[0-9]*$|\.$', '', 'g'),
                            '^((www[0-9]*|m|mobile|old|np|amp)\.)+', '') END;
CREATE OR REPLACE TEMP MACRO reg_valid_host(h) AS
    regexp_full_match(coalesce(h, ''), '([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]');
CREATE OR REPLACE TEMP MACRO reg_query(q) AS
    array_to_string(list_sort(list_filter(string_split(coalesce(q, ''), '&'), lambda kv:
        kv <> '' AND NOT regexp_full_match(lower(split_part(kv, '=', 1)),
            'utm_.*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|twclid|mc_[ce]id|igshid|igsh|si|s|t|ref|ref_src|ref_url|src|feature|share_id|_ga|_gl|spm|cmpid|hss_channel'))),
        '&');
-- The canonical form of a URL (host + path + ?query), NULL when it has no valid host.
CREATE OR REPLACE TEMP MACRO reg_url(u) AS
    CASE WHEN reg_valid_host(reg_host(reg_url_parts(u)['host']))
         THEN reg_host(reg_url_parts(u)['host'])
              || regexp_replace(reg_url_parts(u)['path'], '/+$', '')
              || CASE WHEN reg_query(reg_url_parts(u)['query']) <> ''
                      THEN '?' || reg_query(reg_url_parts(u)['query']) ELSE '' END
    END;
-- A domain ("Example.com", "*.example.com", "https://www.example.com/x" → "example.com").
CREATE OR REPLACE TEMP MACRO reg_domain(d) AS
    CASE WHEN reg_valid_host(reg_host(reg_url_parts(regexp_replace(trim(d), '^\*\.', ''))['host']))
         THEN reg_host(reg_url_parts(regexp_replace(trim(d), '^\*\.', ''))['host']) END;
-- Every domain a host belongs to: a.b.example.com → [a.b.example.com, b.example.com,
-- example.com, com] (a domain request covers its subdomains: an equi-join on these).
CREATE OR REPLACE TEMP MACRO reg_host_suffixes(h) AS
    list_transform(range(len(string_split(h, '.'))),
                   lambda n: array_to_string(string_split(h, '.')[n + 1:], '.'));
-- An e-mail address in lower case; written-out forms ("ana [at] mail [dot] com", "ana at
-- mail dot com") and "mailto:" are folded. NULL when it is not an address.
CREATE OR REPLACE TEMP MACRO reg_email_folded(e) AS
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(lower(trim(e)), '^mailto:', ''),
        '\s*[\[\(\{<]\s*at\s*[\]\)\}>]\s*|\s+at\s+|\s*@\s*', '@', 'g'),
        '\s*[\[\(\{<]\s*dot\s*[\]\)\}>]\s*|\s+dot\s+', '.', 'g'), '[.,;:!?)>\]]+$', '');
CREATE OR REPLACE TEMP MACRO reg_email(e) AS
    CASE WHEN regexp_full_match(reg_email_folded(e), '[a-z0-9._%+''-]+@([a-z0-9-]+\.)+[a-z]{2,}')
         THEN reg_email_folded(e) END;

-- name: temp_requests
CREATE OR REPLACE TEMP TABLE reg_requests_in (
    source_file VARCHAR, source_line BIGINT, request_id VARCHAR, kind VARCHAR,
    subject_type VARCHAR, subject VARCHAR, platform VARCHAR, received_at TIMESTAMP,
    subject_sha256 VARCHAR);

-- name: insert_requests
INSERT INTO reg_requests_in
SELECT source_file, source_line, request_id, kind, subject_type, subject, platform,
       received_at, subject_sha256
FROM reg_requests_arrow;

-- name: normalised_requests
-- The requests with their normalised subject (subject_key): NULL marks a subject that the
-- macros cannot read (a bad row, reported with its file:line).
CREATE OR REPLACE TEMP TABLE reg_requests AS
SELECT *,
       reg_platform(platform) AS platform_key,
       CASE subject_type
           WHEN 'author' THEN reg_author_key(platform, subject, NULL)
           WHEN 'url' THEN reg_url(subject)
           WHEN 'domain' THEN reg_domain(subject)
           WHEN 'email' THEN reg_email(subject)
           ELSE subject_sha256 END AS subject_key
FROM reg_requests_in;

-- name: bad_subjects
SELECT source_file, source_line, subject_type FROM reg_requests
WHERE subject_key IS NULL ORDER BY source_file, source_line;

-- name: save_version
-- This scan's registry version: every request as loaded (append-only, one copy per run).
INSERT INTO registry_requests
SELECT $run_id, source_file, source_line, request_id, kind, subject_type, subject, platform,
       received_at, platform_key, subject_key, subject_sha256
FROM reg_requests;

-- name: clear_run_matches
DELETE FROM registry_matches WHERE run_id = $run_id;

-- name: clear_run_requests
DELETE FROM registry_requests WHERE run_id = $run_id;

-- name: item_authors
-- Every identifier of an item's author, as an author key: the author id and the handles
-- platforms export beside it (Mastodon's account, Bluesky's author object, Reddit's author
-- name, and the handle columns a generic export may keep).
CREATE OR REPLACE TEMP TABLE reg_item_authors AS
WITH ids AS (
    SELECT item_id, platform, reg_host(reg_url_parts(url)['host']) AS host,
           unnest([author_id,
                   extra ->> 'author_handle', extra ->> 'handle', extra ->> 'username',
                   extra ->> 'acct', extra -> 'account' ->> 'acct',
                   extra -> 'account' ->> 'username', extra -> 'author' ->> 'handle',
                   CASE WHEN json_type(extra -> 'author') = 'VARCHAR'
                        THEN extra ->> 'author' END]) AS ident
    FROM items
)
SELECT DISTINCT item_id, reg_platform(platform) AS platform_key,
       reg_author_key(platform, ident, host) AS author_key
FROM ids
WHERE reg_handle(ident) IS NOT NULL;

-- name: match_authors
-- Author requests: the same account (case, "@", profile-URL and Mastodon instance forms
-- folded) on the request's platform, or on any platform when the request names none; a
-- Mastodon request without an instance covers that user name on every instance. Two
-- equi-joins (an OR in one join condition would be a nested loop).
INSERT INTO registry_matches
SELECT DISTINCT $run_id, request_id, item_id, kind, subject_type, 'author', NULL,
       'author ' || how || ' on ' || coalesce(platform_key, 'an unnamed platform')
FROM (
    SELECT r.request_id, a.item_id, r.kind, r.subject_type, a.platform_key, 'account' AS how
    FROM reg_requests r JOIN reg_item_authors a ON a.author_key = r.subject_key
    WHERE r.subject_type = 'author' AND (r.platform_key IS NULL OR r.platform_key = a.platform_key)
    UNION ALL
    SELECT r.request_id, a.item_id, r.kind, r.subject_type, a.platform_key,
           'user name on ' || split_part(a.author_key, '@', 2)
    FROM reg_requests r
    JOIN reg_item_authors a ON split_part(a.author_key, '@', 1) = r.subject_key
    WHERE r.subject_type = 'author' AND NOT contains(r.subject_key, '@')
      AND a.platform_key = 'mastodon' AND contains(a.author_key, '@')
      AND (r.platform_key IS NULL OR r.platform_key = 'mastodon')
);

-- name: item_urls
-- The item's own URL and its media URL (when remote), canonical.
CREATE OR REPLACE TEMP TABLE reg_item_urls AS
SELECT DISTINCT item_id, which, reg_url(u) AS url_key,
       reg_host(reg_url_parts(u)['host']) AS host
FROM (SELECT item_id, unnest(['url', 'media url']) AS which,
             unnest([url, CASE WHEN regexp_matches(media_path, '^[a-zA-Z][a-zA-Z0-9+.-]*://')
                               THEN media_path END]) AS u
      FROM items)
WHERE u IS NOT NULL AND reg_url(u) IS NOT NULL;

-- name: match_urls
INSERT INTO registry_matches
SELECT DISTINCT $run_id, r.request_id, u.item_id, r.kind, r.subject_type, 'url', NULL,
       'the item''s ' || u.which || ' (canonical form)'
FROM reg_requests r JOIN reg_item_urls u ON u.url_key = r.subject_key
WHERE r.subject_type = 'url';

-- name: match_domains
INSERT INTO registry_matches
SELECT DISTINCT $run_id, r.request_id, d.item_id, r.kind, r.subject_type, 'domain', NULL,
       'the item''s ' || d.which || ' is on ' ||
       CASE WHEN d.host = r.subject_key THEN 'the domain' ELSE 'a subdomain' END
FROM reg_requests r
JOIN (SELECT item_id, which, host, unnest(reg_host_suffixes(host)) AS suffix
      FROM reg_item_urls) d ON d.suffix = r.subject_key
WHERE r.subject_type = 'domain';

-- name: item_emails
-- E-mail addresses of an item: the pii detector's EMAIL_ADDRESS spans (the value is the text
-- between its offsets) and e-mail columns of the author's metadata.
CREATE OR REPLACE TEMP TABLE reg_item_emails AS
SELECT DISTINCT item_id, 'in the text' AS place, email_key
FROM (SELECT f.item_id, reg_email(substr(i.text, f."start" + 1, f."end" - f."start")) AS email_key
      FROM findings f JOIN items i USING (item_id)
      WHERE f.detector = 'pii' AND f.entity_type = 'EMAIL_ADDRESS' AND f."start" IS NOT NULL)
WHERE email_key IS NOT NULL
UNION
SELECT DISTINCT item_id, 'in the author''s metadata', email_key
FROM (SELECT item_id, reg_email(unnest([extra ->> 'email', extra ->> 'author_email',
                                         extra ->> 'contact_email', extra ->> 'user_email',
                                         extra -> 'account' ->> 'email',
                                         extra -> 'author' ->> 'email'])) AS email_key
      FROM items)
WHERE email_key IS NOT NULL;

-- name: match_emails
INSERT INTO registry_matches
SELECT DISTINCT $run_id, r.request_id, e.item_id, r.kind, r.subject_type, 'email', NULL,
       'the e-mail address ' || e.place
FROM reg_requests r JOIN reg_item_emails e ON e.email_key = r.subject_key
WHERE r.subject_type = 'email';

-- name: item_hashes
-- Perceptual hashes (PDQ) of the items' images, from the image_hash detector, as four
-- UBIGINT parts; hashes of too little detail (quality below $min_quality) are left out.
CREATE OR REPLACE TEMP TABLE reg_item_hashes AS
SELECT DISTINCT content_sha256,
       ('0x' || substr(attributes ->> 'pdq', 1, 16))::UBIGINT AS h0,
       ('0x' || substr(attributes ->> 'pdq', 17, 16))::UBIGINT AS h1,
       ('0x' || substr(attributes ->> 'pdq', 33, 16))::UBIGINT AS h2,
       ('0x' || substr(attributes ->> 'pdq', 49, 16))::UBIGINT AS h3
FROM findings
WHERE detector = 'image_hash' AND entity_type = 'PDQ_HASH'
  AND TRY_CAST(attributes ->> 'quality' AS INTEGER) >= $min_quality;

-- name: subject_hashes
-- The registry's image subjects: every variant hash (crops, mirror) of each reference image.
CREATE OR REPLACE TEMP TABLE reg_subject_hashes AS
SELECT r.request_id, r.kind, r.subject_type, s.variant, s.h0, s.h1, s.h2, s.h3
FROM reg_requests r
JOIN registry_subjects s ON s.content_sha256 = r.subject_sha256 AND s.method = 'pdq'
 AND s.method_version = $version
WHERE r.subject_type = 'image';

-- name: pdq_pairs
-- Pairs of hashes within $threshold bits: candidates from LSH bands (a pair shares the value
-- of at least one band of sampled bits), the exact Hamming distance (bit_count of the xor of
-- the four 64-bit parts) computed on each candidate as the band join streams, and only the
-- pairs within the threshold kept (no table of all candidates is ever built). The left and
-- right sides are (id, h0..h3) relations; the band expressions are generated from constants
-- (audit/registry/lsh.py).
WITH l AS (/*LEFT*/), r AS (/*RIGHT*/),
lb AS (SELECT id, h0, h1, h2, h3, unnest(range(/*NBANDS*/)) AS band, unnest([/*BANDS*/]) AS v
       FROM l),
rb AS (SELECT id, h0, h1, h2, h3, unnest(range(/*NBANDS*/)) AS band, unnest([/*BANDS*/]) AS v
       FROM r)
SELECT DISTINCT lb.id AS lid, rb.id AS rid,
       (bit_count(xor(lb.h0, rb.h0)) + bit_count(xor(lb.h1, rb.h1))
        + bit_count(xor(lb.h2, rb.h2)) + bit_count(xor(lb.h3, rb.h3)))::INTEGER AS distance
FROM lb JOIN rb USING (band, v)
WHERE bit_count(xor(lb.h0, rb.h0)) + bit_count(xor(lb.h1, rb.h1))
      + bit_count(xor(lb.h2, rb.h2)) + bit_count(xor(lb.h3, rb.h3)) <= $threshold

-- name: match_images
-- Image requests: items whose image is within the threshold of any variant of the reference.
INSERT INTO registry_matches
SELECT $run_id, s.request_id, i.item_id, any_value(s.kind), 'image', 'image', min(p.distance),
       'the item''s image is a perceptual copy (PDQ distance ' || min(p.distance) || ' of 256)'
FROM reg_image_pairs p
JOIN reg_subject_hashes s ON s.request_id || '#' || s.variant = p.lid
JOIN media_files m ON m.content_sha256 = p.rid AND m.status = 'ok'
JOIN items i ON i.media_uri = m.media_uri
GROUP BY s.request_id, i.item_id;

-- name: match_faces
-- Face requests: items whose image holds a face within $threshold (Euclidean distance of the
-- faces detector's 128-d encodings) of the reference photo's face.
INSERT INTO registry_matches
WITH ref AS (
    SELECT r.request_id, r.kind, s.embedding
    FROM reg_requests r
    JOIN registry_subjects s ON s.content_sha256 = r.subject_sha256 AND s.method = 'face'
     AND s.method_version = $version
    WHERE r.subject_type = 'face'
), hits AS (
    SELECT ref.request_id, ref.kind, c.content_sha256,
           min(list_distance(c.embedding, ref.embedding)) AS distance
    FROM cached_findings c, ref
    WHERE c.detector = 'faces' AND c.version = $faces_version AND c.entity_type = 'FACE'
      AND len(c.embedding) = 128 AND list_distance(c.embedding, ref.embedding) <= $threshold
    GROUP BY ALL
)
SELECT $run_id, h.request_id, i.item_id, any_value(h.kind), 'face', 'face', min(h.distance),
       'a face in the item''s image matches the reference photo (distance '
       || round(min(h.distance), 2) || ')'
FROM hits h
JOIN media_files m ON m.content_sha256 = h.content_sha256 AND m.status = 'ok'
JOIN items i ON i.media_uri = m.media_uri
GROUP BY h.request_id, i.item_id;

-- name: match_counts
SELECT method, count(DISTINCT request_id), count(DISTINCT item_id), count(*)
FROM registry_matches WHERE run_id = $run_id GROUP BY method ORDER BY method;

-- name: clear_copies
DELETE FROM image_copies;

-- name: corpus_hashes
-- Distinct image contents with their hash parts (the left and right side of the copy search).
SELECT content_sha256 AS id, h0, h1, h2, h3 FROM reg_item_hashes

-- name: save_copies
-- Content-level copies: both directions, never a content with itself (identical bytes are
-- the same content; rules pair the items that share one).
INSERT INTO image_copies
SELECT lid, rid, distance FROM reg_copy_pairs WHERE lid <> rid;

-- name: copy_counts
SELECT count(*) FROM image_copies;

-- name: cached_subjects
SELECT DISTINCT content_sha256 FROM registry_subjects WHERE method = $1 AND method_version = $2;

-- name: insert_subject
INSERT INTO registry_subjects (content_sha256, method, method_version, variant, h0, h1, h2, h3,
                               quality, embedding)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- name: has_image_hashes
SELECT EXISTS (SELECT 1 FROM findings WHERE detector = 'image_hash');

-- name: subject_hash_ids
SELECT request_id || '#' || variant AS id, h0, h1, h2, h3 FROM reg_subject_hashes

-- name: run_totals
SELECT count(DISTINCT request_id), count(DISTINCT item_id) FROM registry_matches
WHERE run_id = $run_id;
