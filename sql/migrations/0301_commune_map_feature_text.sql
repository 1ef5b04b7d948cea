-- Session 31: the coverage map's outlines answer without building GeoJSON. Each simplified outline of
-- commune_map_geometry (migration 0040) keeps its whole GeoJSON Feature as text (geometry at the decimals the map
-- sends at that zoom, app/components/common.py map_binds; code, name and province as properties), so
-- map_commune_outlines_geojson.sql joins stored text instead of running ST_AsGeoJSON and json_build_object over
-- 3,321 outlines per ask. A commune whose row changes loses its rows (drop_commune_map_geometry), so the text
-- never outlives its name or outline. Filled ahead by `phusong worker` and `phusong demo` (app/outlines_ahead.py)
-- for zoom 4-10 (the map's levels and the vector tiles' overview levels), no longer on a user's first ask.
ALTER TABLE commune_map_geometry ADD COLUMN IF NOT EXISTS decimals smallint;
ALTER TABLE commune_map_geometry ADD COLUMN IF NOT EXISTS feature text;

UPDATE commune_map_geometry m
   SET decimals = CASE WHEN m.zoom_level <= 6 THEN 3 WHEN m.zoom_level <= 9 THEN 4 ELSE 5 END,
       feature = json_build_object(
           'type', 'Feature',
           'geometry', ST_AsGeoJSON(m.geom, CASE WHEN m.zoom_level <= 6 THEN 3 WHEN m.zoom_level <= 9 THEN 4 ELSE 5 END)::json,
           'properties', json_build_object('code', c.code, 'name', c.name, 'province_code', c.province_code))::text
  FROM commune c
 WHERE c.code = m.code AND m.feature IS NULL;
