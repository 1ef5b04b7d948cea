-- A bulk load's inserts are audited as one row for the batch, not one row per inserted record.
--
-- The per-row audit of 0010/0012 turned every row of a 200,000-facility survey into a 200,000-row audit_log
-- insert with a JSON copy of the row (~50 µs a row, a quarter of the load; bench/etl.py), although the rows
-- are already fully traceable: each carries its load_batch (facility.batch_id, checked below for every row), and
-- the batch names the file (name, sha256), who loaded it and when.
--
-- So an INSERT whose every row belongs to the batch the transaction declared (sql.bulk.batch_audit sets
-- phusong.audit_batch for that one statement) writes ONE audit_log row: action 'bulk_insert', entity the
-- table, entity_id NULL, after = {"batch_id": B, "rows": N, "ids": [every inserted key]}. A row of that batch
-- is found from its id (after->'ids' @> to_jsonb(id)) or from its batch_id. Everything else is audited
-- per row exactly as before: updates and deletes always (with before/after), inserts outside a declared
-- batch (the app's single-row edits), and inserts whose rows do not all carry the declared batch.
-- Declaring a batch only changes how an insert is recorded, never whether it is.
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
                       'jsonb_agg(%1$I ORDER BY %1$I) FROM new_rows', key)
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

-- Finding the bulk insert that created a row: by batch (after->>'batch_id') or by id (after->'ids').
CREATE INDEX IF NOT EXISTS audit_log_bulk_batch_idx ON audit_log (entity, ((after->>'batch_id')::bigint))
    WHERE action = 'bulk_insert';
