-- A facility named in a report: by its survey code (external_id), else by phusong's id (:ref_id, NULL when the
-- reference is not a number; computed by the caller since a CAST of a literal would fail at plan time).
SELECT id, commune_code FROM facility
 WHERE external_id = :ref OR id = CAST(:ref_id AS bigint)
 ORDER BY (external_id = :ref) DESC NULLS LAST
 LIMIT 1
