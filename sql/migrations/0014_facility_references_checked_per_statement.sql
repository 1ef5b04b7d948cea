-- A facility's type, technology, status and load batch are checked once per statement, not once per row.
--
-- The foreign keys of 0005 ran one lookup (with a row lock on the code) per inserted row and per key: 3.4 s of
-- a 7.0 s COPY of 200,000 facilities (bench/etl.py, 27/11/2026), for four columns that take a dozen distinct
-- values in a whole survey. The same guarantee, set-based: after each INSERT or UPDATE statement on facility,
-- the distinct (type, technology, status, batch_id) of its new rows are looked up once, the codes found are
-- locked FOR KEY SHARE as a foreign key would lock them, and an unknown value fails the statement with the
-- foreign-key SQLSTATE (23503), naming the column and the value. The other side: a code or batch that
-- facilities use can be neither deleted nor renamed. village_id keeps its foreign key (ON DELETE SET NULL;
-- surveys seldom fill it, and a NULL key costs no lookup).
ALTER TABLE facility
    DROP CONSTRAINT IF EXISTS facility_type_fkey,
    DROP CONSTRAINT IF EXISTS facility_technology_fkey,
    DROP CONSTRAINT IF EXISTS facility_status_fkey,
    DROP CONSTRAINT IF EXISTS facility_batch_id_fkey;

CREATE OR REPLACE FUNCTION check_facility_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    types    text[];
    techs    text[];
    statuses text[];
    batches  bigint[];
    bad      record;
BEGIN
    -- One pass over the statement's rows: their few distinct combinations (repeats in the arrays are harmless).
    SELECT array_agg(type), array_agg(technology), array_agg(status), array_agg(batch_id)
      INTO types, techs, statuses, batches
      FROM (SELECT DISTINCT type, technology, status, batch_id FROM new_rows) combos;

    -- Locked as a foreign key locks them: a concurrent delete of a code waits for this transaction, then sees
    -- the rows that use it (refuse_referenced_delete below).
    PERFORM 1 FROM facility_type WHERE code = ANY (types) FOR KEY SHARE;
    PERFORM 1 FROM technology WHERE code = ANY (techs) FOR KEY SHARE;
    PERFORM 1 FROM facility_status WHERE code = ANY (statuses) FOR KEY SHARE;
    PERFORM 1 FROM load_batch WHERE id = ANY (batches) FOR KEY SHARE;

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
    ) unknown
    ORDER BY field, value
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'facility.% = % is not in %', bad.field, quote_literal(bad.value), bad.vocabulary
            USING ERRCODE = 'foreign_key_violation', TABLE = 'facility', COLUMN = bad.field;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS facility_references_ins ON facility;
CREATE TRIGGER facility_references_ins AFTER INSERT ON facility
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_facility_references();
DROP TRIGGER IF EXISTS facility_references_upd ON facility;
CREATE TRIGGER facility_references_upd AFTER UPDATE ON facility
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_facility_references();

-- TG_ARGV[0]: the facility column that holds this table's key; TG_ARGV[1]: the key column here.
CREATE OR REPLACE FUNCTION refuse_referenced_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    column_name text := TG_ARGV[0];
    old_key     text := to_jsonb(OLD) ->> TG_ARGV[1];
    used        boolean;
BEGIN
    IF TG_OP = 'UPDATE' AND old_key IS NOT DISTINCT FROM to_jsonb(NEW) ->> TG_ARGV[1] THEN
        RETURN NEW;
    END IF;
    -- The column name comes from the trigger definition below, quoted by format(%I).
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM facility WHERE %I::text = $1)', column_name)
       INTO used USING old_key;
    IF used THEN
        RAISE EXCEPTION '% % is still used by facility.%', TG_TABLE_NAME, quote_literal(old_key), column_name
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

DROP TRIGGER IF EXISTS facility_type_in_use ON facility_type;
CREATE TRIGGER facility_type_in_use BEFORE DELETE OR UPDATE ON facility_type
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_delete('type', 'code');
DROP TRIGGER IF EXISTS technology_in_use ON technology;
CREATE TRIGGER technology_in_use BEFORE DELETE OR UPDATE ON technology
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_delete('technology', 'code');
DROP TRIGGER IF EXISTS facility_status_in_use ON facility_status;
CREATE TRIGGER facility_status_in_use BEFORE DELETE OR UPDATE ON facility_status
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_delete('status', 'code');
DROP TRIGGER IF EXISTS load_batch_in_use_by_facility ON load_batch;
CREATE TRIGGER load_batch_in_use_by_facility BEFORE DELETE OR UPDATE ON load_batch
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_delete('batch_id', 'id');
