-- The audit of a bulk load costs less on the database server, and records exactly the same rows (issue 22).
--
-- bench.etl (200,000 facilities, 04/12/2026) timed the server's side of a bulk insert's one audit row (0013):
-- ~0.3 s of backend CPU of the COPY's ~1.6 s on a loaded machine, in two parts:
-- - the list of every inserted key, {"ids": [...]}: jsonb_agg(id ORDER BY id) builds the JSON one element at a
--   time (0.18-0.27 s for 200,000 ids); to_jsonb(array_agg(id ORDER BY id)) gives the same JSON value (same
--   elements, same order, same types: numbers for integer keys, strings for text keys) in 0.11-0.16 s;
-- - storing that value (~2.4 MB) in audit_log: the default TOAST compression (pglz) took 0.08-0.10 s, lz4
--   0.02 s. So audit_log's before and after use lz4 where the server has it (PostgreSQL 14+ built with lz4,
--   as Debian's is); values already stored keep pglz and read as before. A server without lz4 keeps pglz.
-- Nothing else changes: the same rows in audit_log, the same actions, entity ids and JSON (tests/etl/
-- test_audit_migration.py). The function is 0013's with that one expression changed.
CREATE OR REPLACE FUNCTION audit_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    key       text := TG_ARGV[0];
    cols      text;
    declared  text := current_setting('phusong.audit_batch', true);
    batch     bigint;
    n_rows    bigint;
    n_other   bigint;
    ids       jsonb;
BEGIN
    IF TG_OP = 'INSERT' AND declared ~ '^[0-9]{1,18}$' AND EXISTS (
            SELECT 1 FROM pg_attribute
             WHERE attrelid = TG_RELID AND attname = 'batch_id' AND attnum > 0 AND NOT attisdropped) THEN
        batch := declared::bigint;
        EXECUTE format('SELECT count(*), count(*) FILTER (WHERE batch_id IS DISTINCT FROM $1), '
                       'to_jsonb(array_agg(%1$I ORDER BY %1$I)) FROM new_rows', key)
           INTO n_rows, n_other, ids USING batch;
        IF n_other = 0 THEN
            IF n_rows > 0 THEN
                INSERT INTO audit_log ("user", action, entity, entity_id, before, after)
                VALUES (audit_actor(), 'bulk_insert', TG_TABLE_NAME, NULL, NULL,
                        jsonb_build_object('batch_id', batch, 'rows', n_rows, 'ids', ids));
            END IF;
            RETURN NULL;
        END IF;
    END IF;
    -- Identifiers come from the catalog through format(%I / %L); transition tables are visible to EXECUTE.
    cols := audit_row_select_list(TG_RELID);
    IF TG_OP = 'INSERT' THEN
        EXECUTE format(
            'INSERT INTO audit_log ("user", action, entity, entity_id, before, after) '
            'SELECT audit_actor(), ''insert'', %L, j->>%L, NULL, j '
            'FROM (SELECT to_jsonb(x) AS j FROM (SELECT %s FROM new_rows n) x) s',
            TG_TABLE_NAME, key, cols);
    ELSIF TG_OP = 'UPDATE' THEN
        EXECUTE format(
            'INSERT INTO audit_log ("user", action, entity, entity_id, before, after) '
            'SELECT audit_actor(), ''update'', %L, o.j->>%L, o.j, n.j '
            'FROM (SELECT to_jsonb(x) AS j FROM (SELECT %s FROM old_rows n) x) o '
            'JOIN (SELECT to_jsonb(x) AS j FROM (SELECT %s FROM new_rows n) x) n ON o.j->>%L = n.j->>%L '
            'WHERE o.j IS DISTINCT FROM n.j',
            TG_TABLE_NAME, key, cols, cols, key, key);
    ELSE
        EXECUTE format(
            'INSERT INTO audit_log ("user", action, entity, entity_id, before, after) '
            'SELECT audit_actor(), ''delete'', %L, j->>%L, j, NULL '
            'FROM (SELECT to_jsonb(x) AS j FROM (SELECT %s FROM old_rows n) x) s',
            TG_TABLE_NAME, key, cols);
    END IF;
    RETURN NULL;
END $$;

DO $$
BEGIN
    ALTER TABLE audit_log ALTER COLUMN after SET COMPRESSION lz4, ALTER COLUMN before SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'audit_log keeps the default compression: this server has no lz4';
END $$;
