-- Coverage results, with the parameters, rule version and data date that produced them (DESIGN.md §5).
CREATE TABLE IF NOT EXISTS coverage_run (
    id                bigserial PRIMARY KEY,
    computed_at       timestamptz NOT NULL DEFAULT now(),
    scope             text NOT NULL DEFAULT 'all',      -- 'all', a province code, or a commune code
    rule_version      text NOT NULL,
    params            jsonb NOT NULL,
    data_date         date,
    population_source text
);

CREATE TABLE IF NOT EXISTS coverage_commune (
    commune_code        text PRIMARY KEY,
    run_id              bigint REFERENCES coverage_run (id),
    computed_at         timestamptz NOT NULL DEFAULT now(),
    area_km2            double precision NOT NULL,
    covered_area_km2    double precision NOT NULL,
    covered_area_share  double precision NOT NULL CHECK (covered_area_share BETWEEN 0 AND 1),
    pop_total           double precision,
    pop_covered         double precision,
    pop_covered_share   double precision CHECK (pop_covered_share BETWEEN 0 AND 1),
    villages_total      integer NOT NULL DEFAULT 0,
    villages_reached    integer NOT NULL DEFAULT 0,
    clusters_working    integer NOT NULL DEFAULT 0,
    clusters_broken     integer NOT NULL DEFAULT 0,
    station_operational boolean NOT NULL,
    ntm_8_1             boolean,
    ntm_6_3_share       double precision,
    ntm_8_3             boolean NOT NULL,
    class               text NOT NULL CHECK (class IN ('unserved', 'underserved', 'served')),
    reason              text NOT NULL,      -- Vietnamese
    reason_en           text NOT NULL,
    rule_version        text NOT NULL,
    params              jsonb NOT NULL,
    data_date           date,
    geom                geometry(MultiPolygon, 4326)   -- the covered area, clipped to the commune
);
CREATE INDEX IF NOT EXISTS coverage_commune_geom_gix ON coverage_commune USING gist (geom);
CREATE INDEX IF NOT EXISTS coverage_commune_class_idx ON coverage_commune (class);

CREATE TABLE IF NOT EXISTS coverage_village (
    village_id   bigint PRIMARY KEY REFERENCES village (id) ON DELETE CASCADE,
    commune_code text NOT NULL,
    reached      boolean NOT NULL,
    run_id       bigint REFERENCES coverage_run (id),
    computed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS coverage_village_commune_idx ON coverage_village (commune_code);

-- Communes whose coverage no longer matches their facilities: filled by triggers on every facility or village
-- change (from the ETL or the app), drained by the analysis on the write path.
CREATE TABLE IF NOT EXISTS coverage_stale (
    commune_code text PRIMARY KEY,
    since        timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION mark_coverage_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO coverage_stale (commune_code)
        SELECT DISTINCT commune_code FROM old_rows ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO coverage_stale (commune_code)
        SELECT DISTINCT commune_code FROM new_rows ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS facility_stale_ins ON facility;
DROP TRIGGER IF EXISTS facility_stale_upd ON facility;
DROP TRIGGER IF EXISTS facility_stale_del ON facility;
CREATE TRIGGER facility_stale_ins AFTER INSERT ON facility REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mark_coverage_stale();
CREATE TRIGGER facility_stale_upd AFTER UPDATE ON facility REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mark_coverage_stale();
CREATE TRIGGER facility_stale_del AFTER DELETE ON facility REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mark_coverage_stale();

DROP TRIGGER IF EXISTS village_stale_ins ON village;
DROP TRIGGER IF EXISTS village_stale_upd ON village;
DROP TRIGGER IF EXISTS village_stale_del ON village;
CREATE TRIGGER village_stale_ins AFTER INSERT ON village REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mark_coverage_stale();
CREATE TRIGGER village_stale_upd AFTER UPDATE ON village REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mark_coverage_stale();
CREATE TRIGGER village_stale_del AFTER DELETE ON village REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mark_coverage_stale();
