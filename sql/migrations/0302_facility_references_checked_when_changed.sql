-- Session 31: an UPDATE of facility checks (and locks FOR KEY SHARE) only the references it changed, as a
-- foreign key does (PostgreSQL's RI triggers skip an update that leaves the key alone). Every saved inspection
-- updates its facility's status and last inspection (apply_inspection_to_facility), and the check of 0014/0017
-- key-share-locked the facility's type, technology, load batch and village rows as well: the same few hot rows
-- (every loudspeaker cluster's type row, the demo's batch) locked by each concurrent save, a MultiXact and a
-- dirtied page each time. An unchanged value needs no lock: while the facility row exists with it, the value
-- can be neither deleted nor renamed (refuse_referenced_delete sees the row; release_deleted_villages waits for
-- this transaction's row lock). INSERT keeps checking every value.
CREATE OR REPLACE FUNCTION check_facility_reference_values(types text[], techs text[], statuses text[],
                                                           batches bigint[], villages bigint[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
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
END $$;

CREATE OR REPLACE FUNCTION check_facility_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    types    text[];
    techs    text[];
    statuses text[];
    batches  bigint[];
    villages bigint[];
BEGIN
    -- One pass over the statement's rows: their few distinct combinations (repeats in the arrays are harmless).
    SELECT array_agg(type), array_agg(technology), array_agg(status), array_agg(batch_id), array_agg(village_id)
      INTO types, techs, statuses, batches, villages
      FROM (SELECT DISTINCT type, technology, status, batch_id, village_id FROM new_rows) combos;
    PERFORM check_facility_reference_values(types, techs, statuses, batches, villages);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION check_changed_facility_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    types    text[];
    techs    text[];
    statuses text[];
    batches  bigint[];
    villages bigint[];
BEGIN
    -- The values each row changed (a row whose id changed counts as new: all its values).
    SELECT array_agg(DISTINCT n.type) FILTER (WHERE o.id IS NULL OR n.type IS DISTINCT FROM o.type),
           array_agg(DISTINCT n.technology) FILTER (WHERE o.id IS NULL OR n.technology IS DISTINCT FROM o.technology),
           array_agg(DISTINCT n.status) FILTER (WHERE o.id IS NULL OR n.status IS DISTINCT FROM o.status),
           array_agg(DISTINCT n.batch_id) FILTER (WHERE o.id IS NULL OR n.batch_id IS DISTINCT FROM o.batch_id),
           array_agg(DISTINCT n.village_id) FILTER (WHERE o.id IS NULL OR n.village_id IS DISTINCT FROM o.village_id)
      INTO types, techs, statuses, batches, villages
      FROM new_rows n
      LEFT JOIN old_rows o ON o.id = n.id;
    IF types IS NOT NULL OR techs IS NOT NULL OR statuses IS NOT NULL OR batches IS NOT NULL
       OR villages IS NOT NULL THEN
        PERFORM check_facility_reference_values(types, techs, statuses, batches, villages);
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS facility_references_upd ON facility;
CREATE TRIGGER facility_references_upd AFTER UPDATE ON facility
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION check_changed_facility_references();
