-- Views over the store. Re-created on every open for writing (CREATE OR REPLACE).

-- Per-item summaries of the detector findings (DESIGN.md "Derived per-item columns").
CREATE OR REPLACE VIEW finding_summary AS
SELECT
    item_id,
    list_sort(list_distinct(list(entity_type) FILTER (WHERE detector = 'pii')))  AS pii_types,
    (count(*) FILTER (WHERE detector = 'pii'))::INTEGER                          AS pii_count,
    max(score) FILTER (WHERE detector = 'pii')                                   AS pii_max_score,
    (count(*) FILTER (WHERE detector = 'faces'))::INTEGER                        AS face_count,
    max(greatest(bbox[3] - bbox[1], bbox[2] - bbox[4]))
        FILTER (WHERE detector = 'faces')::INTEGER                               AS largest_face_px,
    list_sort(list_distinct(list(entity_type) FILTER (WHERE detector = 'minor_cues'))) AS minor_cues,
    bool_or(detector = 'media_meta' AND entity_type = 'GPS_LOCATION')           AS has_gps,
    -- strictest reservation declared in the media (IPTC plus:DataMining, C2PA training-mining)
    ['none', 'unspecified', 'allowed', 'constrained', 'prohibited'][1 + max(
        CASE attributes ->> 'reservation'
            WHEN 'unspecified' THEN 1 WHEN 'allowed' THEN 2
            WHEN 'constrained' THEN 3 WHEN 'prohibited' THEN 4 END
    ) FILTER (WHERE detector = 'media_meta' AND entity_type = 'TRAINING_RESERVATION')]
                                                                                 AS media_training_reservation
FROM findings
GROUP BY item_id;

-- Errors per item: ingest problems plus detector failures of its content.
CREATE OR REPLACE VIEW item_errors AS
SELECT item_id, list_sort(list_distinct(list(code))) AS errors
FROM errors
WHERE item_id IS NOT NULL AND NOT rejected
GROUP BY item_id;

-- What rules, reports and the dashboard see: items + derived detector columns.
CREATE OR REPLACE VIEW item_view AS
SELECT
    i.*,
    coalesce(s.pii_types, []::VARCHAR[])     AS pii_types,
    coalesce(s.pii_count, 0)                 AS pii_count,
    s.pii_max_score                          AS pii_max_score,
    coalesce(s.face_count, 0)                AS face_count,
    s.largest_face_px                        AS largest_face_px,
    coalesce(s.minor_cues, []::VARCHAR[])    AS minor_cues,
    coalesce(s.has_gps, false)               AS has_gps,
    coalesce(s.media_training_reservation, 'none') AS media_training_reservation,
    coalesce(e.errors, []::VARCHAR[])        AS errors
FROM items i
LEFT JOIN finding_summary s USING (item_id)
LEFT JOIN item_errors e USING (item_id);
