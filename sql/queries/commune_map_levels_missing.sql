-- The zoom levels of :levels at which some commune has no simplified outline yet (commune_map_geometry,
-- migration 0040): what app/outlines_ahead.py fills. ~2 ms on 3,321 communes.
SELECT zoom
  FROM unnest(CAST(:levels AS integer[])) AS zoom
 WHERE (SELECT count(*) FROM commune_map_geometry m WHERE m.zoom_level = zoom) < (SELECT count(*) FROM commune)
 ORDER BY zoom
