-- Issue 15: coverage is never stale.
-- 1. A doubtful survey status ('ok?', 'không rõ') loaded with --doubtful-as unknown is kept as 'unknown': it
--    counts as not working (no disc, no station) and the inspectors' queue lists it first, to be looked at.
INSERT INTO facility_status (code, label_vi, label_en, is_working) VALUES
    ('unknown', 'Chưa rõ', 'Unknown', false)
ON CONFLICT (code) DO UPDATE SET label_vi = EXCLUDED.label_vi, label_en = EXCLUDED.label_en,
                                 is_working = EXCLUDED.is_working;

-- 2. A 2025 commune whose polygon, province or census population changes (or that is new) needs its coverage
--    recomputed, like a facility or village change (0007): boundary and census loads mark it stale here, so
--    the one drain (analysis/refresh.py) brings it current. Pre-2025 units and provinces change no coverage.
CREATE OR REPLACE FUNCTION mark_commune_coverage_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO coverage_stale (commune_code)
        SELECT code FROM new_rows WHERE version = '2025' AND level = 'commune'
        ON CONFLICT DO NOTHING;
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
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS admin_unit_stale_ins ON admin_unit;
DROP TRIGGER IF EXISTS admin_unit_stale_upd ON admin_unit;
CREATE TRIGGER admin_unit_stale_ins AFTER INSERT ON admin_unit REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mark_commune_coverage_stale();
CREATE TRIGGER admin_unit_stale_upd AFTER UPDATE ON admin_unit REFERENCING OLD TABLE AS old_rows
    NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_commune_coverage_stale();

-- 3. A new active population raster changes every commune's people reached (CLI load, app upload or
--    `population build`): mark them all stale in the same statement that activates it.
CREATE OR REPLACE FUNCTION mark_all_coverage_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO coverage_stale (commune_code)
    SELECT code FROM commune ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS population_raster_stale ON population_raster;
CREATE TRIGGER population_raster_stale AFTER INSERT ON population_raster
    FOR EACH STATEMENT EXECUTE FUNCTION mark_all_coverage_stale();

-- 4. Communes loaded before this migration and never analysed have no figures: stale since now.
INSERT INTO coverage_stale (commune_code)
SELECT c.code FROM commune c
 WHERE NOT EXISTS (SELECT 1 FROM coverage_commune cc WHERE cc.commune_code = c.code)
ON CONFLICT DO NOTHING;
