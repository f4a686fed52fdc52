-- Review samples, reviewers' answers and the inputs of the assurance estimates
-- (audit/assurance/*.py; docs/ASSURANCE.md). Every value is a bound parameter.

-- name: population
-- The items of population $population ('kept' | 'excluded' | 'flagged' | 'all') of run $run_id,
-- each with its stratum under $stratify ('' = one stratum '(all)'; keys: vocabulary.REVIEW_STRATA).
-- "kept" is what `audit export` keeps: items without an exclude flag.
-- A temp table (works on read-only connections) that the draw reads.
CREATE OR REPLACE TEMP TABLE review_population AS
WITH per_item AS (
    SELECT item_id,
           bool_or(action = 'exclude') AS excluded,
           min(list_position(['critical', 'high', 'medium', 'low', 'info'], severity)) AS worst_pos,
           -- the most severe flag's rule (ties: the first rule id)
           min({'pos': list_position(['critical', 'high', 'medium', 'low', 'info'], severity),
                'rule_id': rule_id}) AS top
    FROM flags WHERE run_id = $run_id
    GROUP BY item_id
)
SELECT i.item_id,
       CASE $stratify::VARCHAR
           WHEN ''            THEN '(all)'
           WHEN 'platform'    THEN coalesce(i.platform, '(unknown)')
           WHEN 'rule'        THEN coalesce(p.top.rule_id, '(none)')
           WHEN 'severity'    THEN coalesce(['critical', 'high', 'medium', 'low', 'info'][p.worst_pos], 'none')
           WHEN 'visibility'  THEN coalesce(i.visibility, 'unknown')
           WHEN 'source_file' THEN coalesce(i.source_file, '(unknown)')
       END AS stratum
FROM items i
LEFT JOIN per_item p USING (item_id)
WHERE CASE $population::VARCHAR
          WHEN 'all'      THEN true
          WHEN 'kept'     THEN NOT coalesce(p.excluded, false)
          WHEN 'excluded' THEN coalesce(p.excluded, false)
          WHEN 'flagged'  THEN p.item_id IS NOT NULL
      END;

-- name: strata_sizes
-- N_h of every stratum of the population just built.
SELECT stratum, count(*) AS population FROM review_population GROUP BY stratum ORDER BY stratum;

-- name: draw
-- The first n_h items of each stratum in a seeded random order: md5(seed:item_id) orders the
-- items as a random permutation would, independently of row order, machine and DuckDB
-- version, so the same seed over the same population draws the same items. The allocation
-- is passed as two parallel lists ($strata, $sizes).
WITH alloc AS (
    SELECT unnest($strata::VARCHAR[]) AS stratum, unnest($sizes::INTEGER[]) AS sampled
)
SELECT p.item_id, p.stratum,
       row_number() OVER (PARTITION BY p.stratum
                          ORDER BY md5($seed::VARCHAR || ':' || p.item_id), p.item_id) AS draw_rank,
       a.sampled
FROM review_population p JOIN alloc a USING (stratum)
QUALIFY draw_rank <= a.sampled
ORDER BY p.stratum, draw_rank;

-- name: sample_exists
SELECT count(*) FROM review_samples WHERE sample_id = $sample_id;

-- name: insert_sample
INSERT INTO review_samples (sample_id, run_id, population, stratify, seed, n, population_size, created_at)
VALUES ($sample_id, $run_id, $population, $stratify, $seed, $n, $population_size, $created_at);

-- name: insert_stratum
INSERT INTO review_sample_strata VALUES ($sample_id, $stratum, $population, $sampled);

-- name: insert_sample_item
INSERT INTO review_sample_items VALUES ($sample_id, $item_id, $stratum, $draw_rank);

-- name: sample_rows
-- What a reviewer needs per drawn item (text is masked in Python, audit.report.masking).
-- No author id or URL: both can name the person.
WITH fl AS (
    SELECT item_id, list(DISTINCT rule_id ORDER BY rule_id) AS rules,
           list(DISTINCT action ORDER BY action) AS actions
    FROM flags WHERE run_id = $run_id GROUP BY item_id
)
SELECT s.item_id, s.stratum, i.platform, i.created_at, i.visibility, i.author_age_at_post,
       array_to_string(coalesce(fl.rules, []), ' ') AS rules,
       array_to_string(coalesce(fl.actions, []), ' ') AS actions,
       i.media_path, i.text
FROM review_sample_items s
JOIN items i USING (item_id)
LEFT JOIN fl USING (item_id)
WHERE s.sample_id = $sample_id
ORDER BY s.stratum, s.draw_rank;

-- name: item_text_findings
-- Findings with text offsets of the given items (masking keeps those of the detectors that
-- declare their spans personal data).
SELECT item_id, detector, entity_type, "start", "end"
FROM findings
WHERE list_contains($item_ids, item_id) AND "start" IS NOT NULL;

-- name: samples
-- Every sample of run $run_id (NULL = any run), newest first.
SELECT sample_id, run_id, population, stratify, seed, n, population_size, created_at
FROM review_samples
WHERE $run_id::VARCHAR IS NULL OR run_id = $run_id::VARCHAR
ORDER BY created_at DESC, sample_id DESC;

-- name: sample_strata
SELECT stratum, population, sampled FROM review_sample_strata
WHERE sample_id = $sample_id ORDER BY stratum;

-- name: known_items
-- Which of $item_ids are items of the store.
SELECT item_id FROM items WHERE list_contains($item_ids, item_id);

-- name: insert_answer
INSERT INTO review_answers (item_id, category, present, reviewer, source, answered_at)
VALUES ($item_id, $category, $present, $reviewer, $source, $answered_at);

-- name: latest_answers
-- The current answer per (item, category): answers are append-only, the newest row wins.
SELECT item_id, category, present, reviewer, answered_at
FROM review_answers
QUALIFY row_number() OVER (PARTITION BY item_id, category
                           ORDER BY answered_at DESC, answer_id DESC) = 1;

-- name: sample_item_answers
-- Every drawn item of $sample_id with its current answer per category (absent = not
-- answered), the entity types each detector found in it and its rules in run $run_id. Only
-- the sample's items are read from answers, findings and flags.
WITH drawn AS (
    SELECT item_id, stratum, draw_rank FROM review_sample_items WHERE sample_id = $sample_id
), latest AS (
    SELECT item_id, category, present FROM review_answers
    WHERE item_id IN (SELECT item_id FROM drawn)
    QUALIFY row_number() OVER (PARTITION BY item_id, category
                               ORDER BY answered_at DESC, answer_id DESC) = 1
), answers AS (
    SELECT item_id, map_from_entries(list((category, present))) AS answers
    FROM latest GROUP BY item_id
), found AS (
    SELECT item_id, map_from_entries(list((detector, types))) AS found
    FROM (SELECT item_id, detector, list(DISTINCT entity_type) AS types
          FROM findings WHERE item_id IN (SELECT item_id FROM drawn)
          GROUP BY item_id, detector)
    GROUP BY item_id
), fl AS (
    SELECT item_id, list(DISTINCT rule_id) AS rules
    FROM flags WHERE run_id = $run_id AND item_id IN (SELECT item_id FROM drawn)
    GROUP BY item_id
)
SELECT d.item_id, d.stratum, st.population, st.sampled,
       coalesce(a.answers, MAP {}::MAP(VARCHAR, BOOLEAN)) AS answers,
       coalesce(f.found, MAP {}::MAP(VARCHAR, VARCHAR[])) AS found,
       coalesce(fl.rules, []::VARCHAR[]) AS rules
FROM drawn d
JOIN review_sample_strata st ON st.sample_id = $sample_id AND st.stratum = d.stratum
LEFT JOIN answers a USING (item_id)
LEFT JOIN found f USING (item_id)
LEFT JOIN fl USING (item_id)
ORDER BY d.stratum, d.draw_rank;

-- name: answers_outside_samples
-- Items answered that no sample of run $run_id drew (kept, but not used by the estimates).
SELECT count(DISTINCT item_id) AS items FROM review_answers
WHERE item_id NOT IN (SELECT si.item_id FROM review_sample_items si
                      JOIN review_samples s USING (sample_id) WHERE s.run_id = $run_id);

-- name: rule_decisions
-- Per rule of run $run_id: flagged items and the current decision on each (the newest of the
-- rule's own decisions and the item's whole-item decisions; needs_legal is no verdict).
WITH pairs AS (
    SELECT DISTINCT rule_id, item_id FROM flags WHERE run_id = $run_id
), verdict AS (
    SELECT p.rule_id, p.item_id, d.decision
    FROM pairs p
    JOIN decisions d ON d.item_id = p.item_id AND (d.rule_id = p.rule_id OR d.rule_id IS NULL)
    QUALIFY row_number() OVER (PARTITION BY p.rule_id, p.item_id
                               ORDER BY d.decided_at DESC, d.decision_id DESC) = 1
), flagged AS (
    SELECT rule_id, count(*) AS flagged FROM pairs GROUP BY rule_id
)
SELECT c.rule_id, c.title, c.category, c.action, c.match_json,
       coalesce(f.flagged, 0) AS flagged,
       count(v.item_id) FILTER (WHERE v.decision = 'confirmed')      AS confirmed,
       count(v.item_id) FILTER (WHERE v.decision = 'false_positive') AS false_positive,
       count(v.item_id) FILTER (WHERE v.decision = 'needs_legal')    AS needs_legal
FROM rule_catalog c
LEFT JOIN flagged f USING (rule_id)
LEFT JOIN verdict v USING (rule_id)
WHERE c.run_id = $run_id
GROUP BY ALL
ORDER BY list_position(['critical', 'high', 'medium', 'low', 'info'], any_value(c.severity)), c.rule_id;

-- name: detectors_run
-- Detectors that analysed anything in this store (a miss rate is only measured for them).
SELECT DISTINCT detector FROM analysed ORDER BY detector;

-- name: sample_queue
-- The drawn items of $sample_id in draw order with how many categories have a current answer
-- ($categories: how many there are), for the dashboard's review queue.
WITH answered AS (
    SELECT item_id, count(DISTINCT category) AS answered FROM review_answers GROUP BY item_id
)
SELECT s.item_id, s.stratum, s.draw_rank, coalesce(a.answered, 0) AS answered,
       coalesce(a.answered, 0) >= $categories AS done
FROM review_sample_items s LEFT JOIN answered a USING (item_id)
WHERE s.sample_id = $sample_id
ORDER BY s.stratum, s.draw_rank;

-- name: item_answers
-- The current answer of each category for one item.
SELECT category, present, reviewer, answered_at FROM review_answers
WHERE item_id = $item_id
QUALIFY row_number() OVER (PARTITION BY category ORDER BY answered_at DESC, answer_id DESC) = 1;

-- name: answers_version
-- Grows with every appended answer or drawn sample: part of the dashboard's cache keys.
SELECT (SELECT coalesce(max(answer_id), 0) FROM review_answers)
       + (SELECT count(*) FROM review_samples) AS v;
