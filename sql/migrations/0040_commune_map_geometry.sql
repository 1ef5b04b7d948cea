-- Commune outlines simplified once per map zoom level (half a screen pixel at that zoom, app/components), so
-- the national coverage map does not simplify 3,321 polygons on every request (1.5 s of the 2 s budget:
-- bench/map_paint.py). Filled on first use by the app (fill_commune_map_geometry.sql); a change to a commune's
-- boundary drops its rows, and the next map request fills them again.
CREATE TABLE IF NOT EXISTS commune_map_geometry (
    code       text NOT NULL,
    zoom_level integer NOT NULL CHECK (zoom_level BETWEEN 0 AND 22),
    geom       geometry(Geometry, 4326) NOT NULL,
    PRIMARY KEY (zoom_level, code)
);
CREATE INDEX IF NOT EXISTS commune_map_geometry_geom_gix ON commune_map_geometry USING gist (geom);

CREATE OR REPLACE FUNCTION drop_commune_map_geometry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM commune_map_geometry m USING old_rows o
         WHERE o.version = '2025' AND o.level = 'commune' AND m.code = o.code;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        DELETE FROM commune_map_geometry m USING new_rows n
         WHERE n.version = '2025' AND n.level = 'commune' AND m.code = n.code;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS admin_unit_map_geometry_ins ON admin_unit;
DROP TRIGGER IF EXISTS admin_unit_map_geometry_upd ON admin_unit;
DROP TRIGGER IF EXISTS admin_unit_map_geometry_del ON admin_unit;
CREATE TRIGGER admin_unit_map_geometry_ins AFTER INSERT ON admin_unit REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION drop_commune_map_geometry();
CREATE TRIGGER admin_unit_map_geometry_upd AFTER UPDATE ON admin_unit
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION drop_commune_map_geometry();
CREATE TRIGGER admin_unit_map_geometry_del AFTER DELETE ON admin_unit REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION drop_commune_map_geometry();
