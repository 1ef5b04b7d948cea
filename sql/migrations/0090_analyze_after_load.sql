-- Planner statistics refreshed by the load that changed much of a table, in its own transaction (issue 24).
--
-- Right after a bulk load the planner knew nothing of the new rows until autovacuum came by (a minute or more
-- later): on a fresh database admin_unit and facility had no statistics at all, so the 2025 communes
-- (version = '2025' AND level = 'commune') were guessed to be 1 row instead of 3,321. The coverage read then ran
-- as nested loops: the communes joined to themselves row by row (5.5 million rows filtered away) and every
-- commune's facilities found through a bitmap of all 200,000 facilities of the wanted types, 3,321 times: the
-- read phase of the first national recompute took 84 s where the same queries with statistics take 3 s
-- (bench/coverage.py; EXPLAIN (ANALYZE, BUFFERS) in bench/README.md). The pages were all in shared buffers: not
-- hint bits nor the visibility map (setting the hint bits on the first read costs ~10 % of the facility scan).
--
-- analyze_after_load(t, n) runs ANALYZE t when n rows written is what autovacuum would analyze the table for
-- (autovacuum_analyze_threshold + autovacuum_analyze_scale_factor x the rows the planner knows of), so a big
-- load leaves statistics behind and a small one costs nothing. ANALYZE counts the rows this transaction wrote
-- and its statistics commit (or roll back) with the load; a recompute in the same transaction plans with them.
--
-- The sample is 3,000 rows (statistics target 10) instead of 30,000: 0.04 s of backend CPU for 200,000
-- facilities instead of 0.35 s, which the load pays inside its time budget (bench/etl.py). That is enough to
-- choose joins and scans (row counts, the few types and statuses, the distinct communes); it is not the last
-- word: ANALYZE does not forget the load's own rows (they are counted as changes when it commits), so
-- autovacuum still analyzes the table afterwards with the full target.
CREATE OR REPLACE FUNCTION analyze_after_load(target regclass, rows_written bigint) RETURNS boolean
LANGUAGE plpgsql
SET default_statistics_target = 10
AS $$
DECLARE
    known double precision;
BEGIN
    SELECT greatest(c.reltuples, 0) INTO known FROM pg_class c WHERE c.oid = target;
    IF rows_written <= current_setting('autovacuum_analyze_threshold')::double precision
                       + current_setting('autovacuum_analyze_scale_factor')::double precision * known THEN
        RETURN false;
    END IF;
    -- The name comes from the catalog as a regclass, which prints quoted.
    EXECUTE format('ANALYZE %s', target);
    RETURN true;
END $$;

-- The web app loads surveys as phusong_app (0071), which does not own the tables and so may not ANALYZE them:
-- the function runs with its owner's rights, and only phusong_app (and the owner) may call it.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'phusong_app') THEN
        ALTER FUNCTION analyze_after_load(regclass, bigint) SECURITY DEFINER SET search_path = public, pg_temp;
        REVOKE EXECUTE ON FUNCTION analyze_after_load(regclass, bigint) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION analyze_after_load(regclass, bigint) TO phusong_app;
    END IF;
END $$;
