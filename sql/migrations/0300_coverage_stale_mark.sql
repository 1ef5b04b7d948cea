-- Session 31: an inspection saved while `phusong worker` recomputes its commune no longer waits for that
-- recompute. The refresh used to DELETE the communes' coverage_stale rows when it took them and commit at the
-- end, so the save's `INSERT INTO coverage_stale ... ON CONFLICT DO NOTHING` (trigger on facility) met a row
-- deleted by a transaction in progress and waited for it (Lock/transactionid in pg_stat_activity: 79 ms a save
-- under the full mixed load). Now a row stays while its commune is recomputed and carries a mark, bumped by
-- every change that marks the commune again; the refresh reads the marks when it takes the communes and, last
-- thing before it commits, deletes only the rows whose mark is still the one it read and that no transaction in
-- progress is re-marking (sql/queries/cleared_stale_communes.sql, FOR UPDATE SKIP LOCKED). A change made during
-- the recompute therefore leaves its commune stale (and NOTIFYs the worker, migration 0190), as before, and no
-- writer waits for the worker nor the worker for a writer.
CREATE SEQUENCE IF NOT EXISTS coverage_stale_mark_seq;
ALTER TABLE coverage_stale ADD COLUMN IF NOT EXISTS mark bigint NOT NULL DEFAULT nextval('coverage_stale_mark_seq');

CREATE OR REPLACE FUNCTION mark_coverage_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Code order, as every other marker: two statements marking the same communes never deadlock.
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO coverage_stale (commune_code)
        SELECT DISTINCT commune_code FROM old_rows ORDER BY commune_code
        ON CONFLICT (commune_code) DO UPDATE SET mark = nextval('coverage_stale_mark_seq');
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO coverage_stale (commune_code)
        SELECT DISTINCT commune_code FROM new_rows ORDER BY commune_code
        ON CONFLICT (commune_code) DO UPDATE SET mark = nextval('coverage_stale_mark_seq');
    ELSIF TG_OP = 'UPDATE' THEN
        -- The communes rows moved to (those they left are marked above, once).
        INSERT INTO coverage_stale (commune_code)
        SELECT DISTINCT n.commune_code FROM new_rows n
         WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.commune_code = n.commune_code)
         ORDER BY n.commune_code
        ON CONFLICT (commune_code) DO UPDATE SET mark = nextval('coverage_stale_mark_seq');
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION mark_commune_coverage_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO coverage_stale (commune_code)
        SELECT code FROM new_rows WHERE version = '2025' AND level = 'commune' ORDER BY code
        ON CONFLICT (commune_code) DO UPDATE SET mark = nextval('coverage_stale_mark_seq');
    ELSE
        -- Only what coverage reads: an unchanged row rewritten (same name, new batch) stays current.
        INSERT INTO coverage_stale (commune_code)
        SELECT n.code
          FROM new_rows n
          JOIN old_rows o USING (version, level, code)
         WHERE n.version = '2025' AND n.level = 'commune'
           AND (o.population IS DISTINCT FROM n.population
                OR o.province_code IS DISTINCT FROM n.province_code
                OR o.area_km2 IS DISTINCT FROM n.area_km2
                OR ST_AsBinary(o.geom) IS DISTINCT FROM ST_AsBinary(n.geom))
         ORDER BY n.code
        ON CONFLICT (commune_code) DO UPDATE SET mark = nextval('coverage_stale_mark_seq');
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION mark_all_coverage_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO coverage_stale (commune_code)
    SELECT code FROM commune ORDER BY code
    ON CONFLICT (commune_code) DO UPDATE SET mark = nextval('coverage_stale_mark_seq');
    RETURN NULL;
END $$;
