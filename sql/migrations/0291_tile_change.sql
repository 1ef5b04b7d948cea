-- Issue 22 (mixed load): vector tiles kept until what they show changes, per province. A tile of `communes`,
-- `coverage` or `gaps` shows admin_unit (outlines, names: the 'boundaries' topic of data_change, migration 0255,
-- which remakes every tile) and coverage_commune (class, shares, coverage area), which every recompute writes for
-- a few communes. Each statement writing coverage_commune adds one row here per province of the communes it
-- wrote; a tile is kept with the provinces it shows and their weights when it was made, and made again when one of
-- them moved (app/live_gis/tiles.py). Inserts only, as data_change: writers never queue on a counter row, and a
-- province's version (the sum of its weights a snapshot sees) grows with every commit touching it. A row with no
-- province (a TRUNCATE) moves every tile.
CREATE TABLE IF NOT EXISTS tile_change (
    id            bigserial PRIMARY KEY,
    province_code text,
    weight        bigint NOT NULL DEFAULT 1
);

CREATE OR REPLACE FUNCTION note_tile_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO tile_change (province_code) VALUES (NULL);
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO tile_change (province_code)
        SELECT DISTINCT c.province_code FROM commune c WHERE c.code IN (SELECT commune_code FROM new_rows);
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO tile_change (province_code)
        SELECT DISTINCT c.province_code FROM commune c
         WHERE c.code IN (SELECT commune_code FROM new_rows UNION SELECT commune_code FROM old_rows);
    ELSE
        INSERT INTO tile_change (province_code)
        SELECT DISTINCT c.province_code FROM commune c WHERE c.code IN (SELECT commune_code FROM old_rows);
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS coverage_commune_tile_insert ON coverage_commune;
CREATE TRIGGER coverage_commune_tile_insert AFTER INSERT ON coverage_commune
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION note_tile_change();
DROP TRIGGER IF EXISTS coverage_commune_tile_update ON coverage_commune;
CREATE TRIGGER coverage_commune_tile_update AFTER UPDATE ON coverage_commune
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION note_tile_change();
DROP TRIGGER IF EXISTS coverage_commune_tile_delete ON coverage_commune;
CREATE TRIGGER coverage_commune_tile_delete AFTER DELETE ON coverage_commune
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION note_tile_change();
DROP TRIGGER IF EXISTS coverage_commune_tile_truncate ON coverage_commune;
CREATE TRIGGER coverage_commune_tile_truncate AFTER TRUNCATE ON coverage_commune
    FOR EACH STATEMENT EXECUTE FUNCTION note_tile_change();

-- `phusong worker` folds data_change (migration 0255) with the expired jobs; tile_change the same way, in the
-- same call: one row per province of their summed weight, so no province's version moves.
CREATE OR REPLACE FUNCTION compact_data_change() RETURNS void LANGUAGE sql AS $$
    WITH gone AS (DELETE FROM data_change WHERE (SELECT count(*) FROM data_change) > 3 RETURNING topic, weight)
    INSERT INTO data_change (topic, weight) SELECT topic, sum(weight) FROM gone GROUP BY topic;
    WITH gone AS (DELETE FROM tile_change
                   WHERE (SELECT count(*) > count(DISTINCT province_code) + 1 FROM tile_change)
               RETURNING province_code, weight)
    INSERT INTO tile_change (province_code, weight) SELECT province_code, sum(weight) FROM gone GROUP BY 1;
$$;
