-- Indexes set aside during a bulk insert and built afresh after it, in the same transaction.
--
-- Updating a table's secondary indexes row by row costs far more than building them once over the finished
-- table: for 200,000 facilities, ~3 s of a 3.7 s insert maintained the GiST, commune, type/status and
-- external-id indexes, where building all four afterwards took 0.6-0.9 s (bench/etl.py, 27/11/2026).
-- set_aside_indexes(t) drops the indexes of t that back no constraint (the primary key stays), remembering their
-- definitions for this transaction; restore_indexes(t) builds them again from those definitions. A unique index
-- rebuilt this way still refuses duplicates, at restore time. Dropping an index locks the table (ACCESS
-- EXCLUSIVE) until the transaction ends, so readers wait for the load: etl.facilities does this only for loads
-- that add many rows compared with what is stored. If anything fails in between, the rollback brings the
-- indexes back as they were.
CREATE OR REPLACE FUNCTION set_aside_indexes(target regclass) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    found record;
    n     integer := 0;
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS set_aside_index (target regclass, definition text) ON COMMIT DROP;
    FOR found IN
        SELECT x.indexrelid::regclass AS index_name, pg_get_indexdef(x.indexrelid) AS definition
          FROM pg_index x
         WHERE x.indrelid = target
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
    LOOP
        INSERT INTO set_aside_index (target, definition) VALUES (target, found.definition);
        -- The name comes from the catalog as a regclass, which prints quoted.
        EXECUTE format('DROP INDEX %s', found.index_name);
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;

CREATE OR REPLACE FUNCTION restore_indexes(target regclass) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    found record;
    n     integer := 0;
BEGIN
    IF to_regclass('pg_temp.set_aside_index') IS NULL THEN
        RETURN 0;
    END IF;
    -- The definitions are pg_get_indexdef's, saved by set_aside_indexes in this transaction.
    FOR found IN DELETE FROM pg_temp.set_aside_index s WHERE s.target = restore_indexes.target
                 RETURNING s.definition
    LOOP
        EXECUTE found.definition;
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;
