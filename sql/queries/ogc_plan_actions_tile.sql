-- One vector tile (layer `plan-actions`) of tile :z/:x/:y: the actions of the scenarios the user may read (the
-- rule of ogc_plan_actions_items.sql).
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096), 4326) AS area
), readable AS (
    SELECT s.id, s.name
    FROM scenario s
    WHERE :whole_country OR NOT EXISTS (
        SELECT 1 FROM scenario_action a LEFT JOIN commune c ON c.code = a.commune_code
        WHERE a.scenario_id = s.id
          AND NOT coalesce(c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])), false))
)
SELECT ST_AsMVT(t, 'plan-actions', 4096, 'geom')
FROM (
    SELECT ST_AsMVTGeom(ST_Transform(a.geom, 3857), b.tile, 4096, 64, true) AS geom,
           a.id, r.name AS scenario, a.action, a.commune_code, a.cost_vnd, a.added_population
    FROM scenario_action a
    CROSS JOIN bounds b
    JOIN readable r ON r.id = a.scenario_id
    WHERE a.geom && b.area
    OFFSET 0  -- kept whole: pulled up, `geom IS NOT NULL` ran ST_AsMVTGeom a second time per row
) t
WHERE t.geom IS NOT NULL;
