-- Set the group of each commune (one row per commune; the latest file's group and decision win) and mark those
-- communes' coverage stale, so their verdicts are judged again under their new group.
WITH rows AS (
    SELECT * FROM unnest(CAST(:codes AS text[]), CAST(:groups AS integer[]), CAST(:decisions AS text[]))
             AS r(commune_code, commune_group, decision)
), written AS (
    INSERT INTO commune_group (commune_code, commune_group, decision, batch_id)
    SELECT commune_code, commune_group, decision, :batch_id FROM rows
    ON CONFLICT (commune_code) DO UPDATE
       SET commune_group = EXCLUDED.commune_group, decision = EXCLUDED.decision, batch_id = EXCLUDED.batch_id,
           loaded_at = now()
    RETURNING commune_code
)
INSERT INTO coverage_stale (commune_code) SELECT commune_code FROM written ORDER BY commune_code
ON CONFLICT (commune_code) DO UPDATE SET mark = nextval('coverage_stale_mark_seq')  -- migration 0300
