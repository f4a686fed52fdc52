-- corpus-audit store schema. Idempotent: every statement may run on an existing store.
-- Bump SCHEMA_VERSION in audit/store.py when a table changes shape.

CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

-- One row per corpus item, canonical schema (audit/schema.py) + provenance (until an ingest).
CREATE TABLE IF NOT EXISTS items (
    item_id            VARCHAR NOT NULL,
    platform           VARCHAR,
    author_id          VARCHAR,
    created_at         TIMESTAMP,
    text               VARCHAR,
    media_path         VARCHAR,
    url                VARCHAR,
    visibility         VARCHAR,
    author_birth_date  DATE,
    author_age_at_post INTEGER,
    opt_out            BOOLEAN,
    noai               BOOLEAN,
    license            VARCHAR,
    deleted            BOOLEAN,
    source_file        VARCHAR,
    source_row         BIGINT,
    media_uri          VARCHAR,
    text_sha256        VARCHAR,
    extra              JSON,
    source_domain      VARCHAR,
    community          VARCHAR,
    visibility_basis   VARCHAR,
    edited_at          TIMESTAMP
);
-- After an ingest, `items` is a view over `item_rows` instead (audit/item_rows.py); stores made
-- before the provenance columns get them there (item_rows.sql upgrade_items_table).

-- Names and types of the extra source columns kept in items.extra (rules may name them).
CREATE TABLE IF NOT EXISTS extra_columns (
    name      VARCHAR PRIMARY KEY,
    duck_type VARCHAR
);

-- Every media file referenced by an item, hashed by the detect stage.
CREATE TABLE IF NOT EXISTS media_files (
    media_uri      VARCHAR PRIMARY KEY,
    content_sha256 VARCHAR,
    size_bytes     BIGINT,
    status         VARCHAR,   -- ok | missing | unreadable | outside_corpus
    error          VARCHAR,
    checked_at     TIMESTAMP
);

-- Detector cache: one row per (detector, version, content) that was analysed.
CREATE TABLE IF NOT EXISTS analysed (
    detector       VARCHAR NOT NULL,
    version        VARCHAR NOT NULL,
    content_sha256 VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,  -- ok | error
    error          VARCHAR,
    n_findings     INTEGER,
    analysed_at    TIMESTAMP,
    PRIMARY KEY (detector, version, content_sha256)
);

-- Detector cache: the findings of each analysed content.
CREATE TABLE IF NOT EXISTS cached_findings (
    detector       VARCHAR NOT NULL,
    version        VARCHAR NOT NULL,
    content_sha256 VARCHAR NOT NULL,
    entity_type    VARCHAR NOT NULL,
    score          DOUBLE,
    "start"        INTEGER,
    "end"          INTEGER,
    bbox           INTEGER[],        -- [top, right, bottom, left] in original image pixels
    recognizer     VARCHAR,
    attributes     JSON,
    embedding      FLOAT[]           -- 128-d face encoding, faces detector only
);

-- Findings per item for the current detector versions (rebuilt by the detect stage).
CREATE TABLE IF NOT EXISTS findings (
    item_id          VARCHAR NOT NULL,
    detector         VARCHAR NOT NULL,
    detector_version VARCHAR,
    content_sha256   VARCHAR,
    entity_type      VARCHAR NOT NULL,
    score            DOUBLE,
    "start"          INTEGER,
    "end"            INTEGER,
    bbox             INTEGER[],
    recognizer       VARCHAR,
    attributes       JSON
);

-- Explicit, reported problems: rejected input rows, items not fully analysed, bad rules.
CREATE TABLE IF NOT EXISTS errors (
    run_id      VARCHAR,
    stage       VARCHAR NOT NULL,    -- ingest | detect | rules | report
    item_id     VARCHAR,
    source_file VARCHAR,
    source_row  BIGINT,
    detector    VARCHAR,
    code        VARCHAR NOT NULL,    -- short machine reason, e.g. bad_timestamp, duplicate_id
    message     VARCHAR,
    rejected    BOOLEAN DEFAULT false, -- true when the input row did not become an item
    created_at  TIMESTAMP DEFAULT current_timestamp
);

-- Rule metadata as evaluated in a run (report and dashboard read it).
CREATE TABLE IF NOT EXISTS rule_catalog (
    run_id      VARCHAR NOT NULL,
    rule_id     VARCHAR NOT NULL,
    title       VARCHAR,
    category    VARCHAR,
    status      VARCHAR,
    severity    VARCHAR,
    action      VARCHAR,
    description VARCHAR,
    rationale   VARCHAR,
    "references" VARCHAR[],
    tags        VARCHAR[],
    source_file VARCHAR,
    sha256      VARCHAR,
    match_json  JSON,
    sql_text    VARCHAR,
    skip_reason VARCHAR,  -- why the rule was not evaluated in this run (NULL: it was)
    partial_reason VARCHAR -- "evaluated without …": conditions this corpus cannot answer
);
-- databases scanned before skip reasons were recorded
ALTER TABLE rule_catalog ADD COLUMN IF NOT EXISTS skip_reason VARCHAR;
ALTER TABLE rule_catalog ADD COLUMN IF NOT EXISTS partial_reason VARCHAR;

-- Each rule's thresholds measured against the corpus in a run (audit/rules/check.py):
-- "min_score 0.5: 0 of 314 PHONE_NUMBER findings reach it"; dead = nothing reaches it.
CREATE TABLE IF NOT EXISTS rule_checks (
    run_id     VARCHAR NOT NULL,
    rule_id    VARCHAR NOT NULL,
    path       VARCHAR,   -- where in the rule file: match.all[1].min_score
    words      VARCHAR,
    population BIGINT,
    reaching   BIGINT,
    dead       BOOLEAN
);

-- One row per (run, item, rule) that matched.
CREATE TABLE IF NOT EXISTS flags (
    run_id   VARCHAR NOT NULL,
    item_id  VARCHAR NOT NULL,
    rule_id  VARCHAR NOT NULL,
    severity VARCHAR,
    action   VARCHAR,
    evidence JSON
);

CREATE TABLE IF NOT EXISTS runs (
    run_id      VARCHAR PRIMARY KEY,
    started_at  TIMESTAMP,
    finished_at TIMESTAMP,
    status      VARCHAR,   -- running | complete | failed
    command     VARCHAR,
    manifest    JSON
);

-- Reviewer decisions: append-only history (never updated or deleted).
CREATE SEQUENCE IF NOT EXISTS decision_seq;
CREATE TABLE IF NOT EXISTS decisions (
    decision_id BIGINT DEFAULT nextval('decision_seq'),
    item_id     VARCHAR NOT NULL,
    rule_id     VARCHAR,
    decision    VARCHAR NOT NULL,   -- confirmed | false_positive | needs_legal
    reviewer    VARCHAR NOT NULL,
    comment     VARCHAR,
    decided_at  TIMESTAMP DEFAULT current_timestamp
);

-- Rule packs whose own test cases passed, by a key of the pack's content and the engine that
-- ran them (audit/rules/selftest_cache.py): a re-scan with the same pack skips its self-tests.
CREATE TABLE IF NOT EXISTS rule_selftest_passes (
    pack_key  VARCHAR PRIMARY KEY,
    passed_at TIMESTAMP DEFAULT current_timestamp
);

-- Reviewer access to sensitive values (revealed PII, unblurred faces): append-only.
CREATE TABLE IF NOT EXISTS access_log (
    item_id     VARCHAR NOT NULL,
    action      VARCHAR NOT NULL,   -- reveal_text | unblur_image | export_lookup
    reviewer    VARCHAR NOT NULL,
    accessed_at TIMESTAMP DEFAULT current_timestamp
);

-- Consent registry (audit/registry/, docs/REGISTRY.md). Every version a scan loaded is kept:
-- one copy of the requests per run, so what changed since the last scan is a query.
CREATE TABLE IF NOT EXISTS registry_requests (
    run_id         VARCHAR NOT NULL,
    source_file    VARCHAR,
    source_line    BIGINT,
    request_id     VARCHAR NOT NULL,
    kind           VARCHAR,   -- opt_out | erasure | objection
    subject_type   VARCHAR,   -- author | url | domain | email | image | face
    subject        VARCHAR,   -- as written (image/face: the path, relative to the file)
    platform       VARCHAR,
    received_at    TIMESTAMP,
    platform_key   VARCHAR,   -- normalised platform
    subject_key    VARCHAR,   -- normalised subject (image/face: the file's sha256)
    subject_sha256 VARCHAR
);

-- Items each request covers, per run, with how (author, url, domain, email, image, face).
CREATE TABLE IF NOT EXISTS registry_matches (
    run_id       VARCHAR NOT NULL,
    request_id   VARCHAR NOT NULL,
    item_id      VARCHAR NOT NULL,
    kind         VARCHAR,
    subject_type VARCHAR,
    method       VARCHAR,
    distance     DOUBLE,    -- PDQ bits or face-encoding distance; NULL for exact matches
    detail       VARCHAR    -- evidence words; never the subject itself
);

-- Cache of the registry's reference images and photos, by content: PDQ hashes of each
-- variant (crops, mirror) and face encodings.
CREATE TABLE IF NOT EXISTS registry_subjects (
    content_sha256 VARCHAR NOT NULL,
    method         VARCHAR NOT NULL,   -- pdq | face
    method_version VARCHAR NOT NULL,
    variant        VARCHAR NOT NULL,
    h0 UBIGINT, h1 UBIGINT, h2 UBIGINT, h3 UBIGINT,
    quality        INTEGER,
    embedding      FLOAT[],
    created_at     TIMESTAMP DEFAULT current_timestamp
);

-- Image contents that are perceptual copies of each other (both directions), rebuilt by
-- every scan from the image_hash detector's PDQ hashes.
CREATE TABLE IF NOT EXISTS image_copies (
    content_sha256  VARCHAR NOT NULL,
    original_sha256 VARCHAR NOT NULL,
    distance        INTEGER
);

-- Review samples for assurance (audit review sample; docs/ASSURANCE.md): the design of each
-- draw, so that the estimator knows every item's inclusion probability (n_h / N_h).
CREATE TABLE IF NOT EXISTS review_samples (
    sample_id   VARCHAR PRIMARY KEY,
    run_id      VARCHAR NOT NULL,   -- the run whose flags define the population
    population  VARCHAR NOT NULL,   -- kept | excluded | flagged | all
    stratify    VARCHAR,            -- NULL = simple random sample; else the stratum key
    seed        BIGINT NOT NULL,
    n           INTEGER NOT NULL,   -- items drawn (sum of the strata's)
    population_size BIGINT NOT NULL,
    created_at  TIMESTAMP DEFAULT current_timestamp
);

-- One row per stratum of a sample (a simple random sample has one, stratum '(all)').
CREATE TABLE IF NOT EXISTS review_sample_strata (
    sample_id   VARCHAR NOT NULL,
    stratum     VARCHAR NOT NULL,
    population  BIGINT NOT NULL,    -- N_h
    sampled     INTEGER NOT NULL    -- n_h
);

-- The items drawn, in draw order within their stratum.
CREATE TABLE IF NOT EXISTS review_sample_items (
    sample_id   VARCHAR NOT NULL,
    item_id     VARCHAR NOT NULL,
    stratum     VARCHAR NOT NULL,
    draw_rank   INTEGER NOT NULL
);

-- Reviewers' answers per item and category: append-only (the newest row per item and
-- category is the current answer). source: 'FILE.csv:LINE' of an import, or 'dashboard'.
CREATE SEQUENCE IF NOT EXISTS review_answer_seq;
CREATE TABLE IF NOT EXISTS review_answers (
    answer_id   BIGINT DEFAULT nextval('review_answer_seq'),
    item_id     VARCHAR NOT NULL,
    category    VARCHAR NOT NULL,
    present     BOOLEAN NOT NULL,
    reviewer    VARCHAR NOT NULL,
    source      VARCHAR,
    answered_at TIMESTAMP DEFAULT current_timestamp
);
