-- facility.village_id is checked once per statement too, like the type, technology, status and batch (0014).
--
-- 0014 kept this foreign key on the belief that a NULL key costs nothing. It costs a queued trigger event per
-- inserted row all the same (the check itself returns at once): 0.07-0.10 s of a COPY of 200,000 facilities,
-- none of which names a village (bench/etl.py, 27/11/2026). The same guarantee, set-based:
-- - after each INSERT or UPDATE statement on facility, the distinct village ids of its new rows are looked up
--   once and locked FOR KEY SHARE, as the foreign key did; an unknown id fails the statement (SQLSTATE 23503);
-- - deleting villages sets the village_id of their facilities to NULL (what ON DELETE SET NULL did), in one
--   UPDATE per statement;
-- - a village's id cannot change while facilities name it (the foreign key's NO ACTION on update).
ALTER TABLE facility DROP CONSTRAINT IF EXISTS facility_village_id_fkey;

CREATE OR REPLACE FUNCTION check_facility_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    types    text[];
    techs    text[];
    statuses text[];
    batches  bigint[];
    villages bigint[];
    bad      record;
BEGIN
    -- One pass over the statement's rows: their few distinct combinations (repeats in the arrays are harmless).
    SELECT array_agg(type), array_agg(technology), array_agg(status), array_agg(batch_id), array_agg(village_id)
      INTO types, techs, statuses, batches, villages
      FROM (SELECT DISTINCT type, technology, status, batch_id, village_id FROM new_rows) combos;

    -- Locked as a foreign key locks them: a concurrent delete of a code waits for this transaction, then sees
    -- the rows that use it (refuse_referenced_delete, release_deleted_villages).
    PERFORM 1 FROM facility_type WHERE code = ANY (types) FOR KEY SHARE;
    PERFORM 1 FROM technology WHERE code = ANY (techs) FOR KEY SHARE;
    PERFORM 1 FROM facility_status WHERE code = ANY (statuses) FOR KEY SHARE;
    PERFORM 1 FROM load_batch WHERE id = ANY (batches) FOR KEY SHARE;
    PERFORM 1 FROM village WHERE id = ANY (villages) FOR KEY SHARE;

    SELECT field, value, vocabulary INTO bad FROM (
        SELECT 'type' AS field, v AS value, 'facility_type' AS vocabulary FROM unnest(types) v
         WHERE NOT EXISTS (SELECT 1 FROM facility_type t WHERE t.code = v)
        UNION ALL
        SELECT 'technology', v, 'technology' FROM unnest(techs) v
         WHERE v IS NOT NULL AND NOT EXISTS (SELECT 1 FROM technology t WHERE t.code = v)
        UNION ALL
        SELECT 'status', v, 'facility_status' FROM unnest(statuses) v
         WHERE NOT EXISTS (SELECT 1 FROM facility_status s WHERE s.code = v)
        UNION ALL
        SELECT 'batch_id', v::text, 'load_batch' FROM unnest(batches) v
         WHERE v IS NOT NULL AND NOT EXISTS (SELECT 1 FROM load_batch b WHERE b.id = v)
        UNION ALL
        SELECT 'village_id', v::text, 'village' FROM unnest(villages) v
         WHERE v IS NOT NULL AND NOT EXISTS (SELECT 1 FROM village w WHERE w.id = v)
    ) unknown
    ORDER BY field, value
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'facility.% = % is not in %', bad.field, quote_literal(bad.value), bad.vocabulary
            USING ERRCODE = 'foreign_key_violation', TABLE = 'facility', COLUMN = bad.field;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION release_deleted_villages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE facility SET village_id = NULL WHERE village_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS village_release_facilities ON village;
CREATE TRIGGER village_release_facilities AFTER DELETE ON village
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION release_deleted_villages();
DROP TRIGGER IF EXISTS village_id_in_use_by_facility ON village;
CREATE TRIGGER village_id_in_use_by_facility BEFORE UPDATE OF id ON village
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_delete('village_id', 'id');
