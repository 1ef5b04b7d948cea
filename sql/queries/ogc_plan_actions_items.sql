-- OGC API items of the `plan-actions` collection: the actions of every saved scenario the user may read. A
-- scenario is readable when each of its actions lies in a commune of the user's scope (the rule of the scenario
-- download, app/exports.py), so a scoped user never sees part of a plan that reaches outside their scope.
-- Binds as in ogc_communes_items.sql; filters :scenario, :province_code, :commune_code, :action (nullable).
WITH readable AS (
    SELECT s.id
    FROM scenario s
    WHERE :whole_country OR NOT EXISTS (
        SELECT 1 FROM scenario_action a LEFT JOIN commune c ON c.code = a.commune_code
        WHERE a.scenario_id = s.id
          AND NOT coalesce(c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])), false))
), matched AS (
    SELECT a.id AS fid
    FROM scenario_action a
    JOIN readable r ON r.id = a.scenario_id
    JOIN scenario s ON s.id = a.scenario_id
    LEFT JOIN commune c ON c.code = a.commune_code
    WHERE a.geom IS NOT NULL
      AND (CAST(:fid AS bigint) IS NULL OR a.id = CAST(:fid AS bigint))
      AND (CAST(:xmin AS float8) IS NULL OR ST_Intersects(a.geom, ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326)))
      AND (CAST(:scenario AS text) IS NULL OR s.name = :scenario)
      AND (CAST(:province_code AS text) IS NULL OR c.province_code = :province_code)
      AND (CAST(:commune_code AS text) IS NULL OR a.commune_code = :commune_code)
      AND (CAST(:action AS text) IS NULL OR a.action = :action)
), page AS (
    SELECT fid FROM matched ORDER BY fid LIMIT :limit OFFSET :offset
)
SELECT (SELECT count(*) FROM matched) AS matched,
       '[' || coalesce((SELECT string_agg(
            '{"type":"Feature","id":' || to_json(a.id)::text
            || ',"geometry":' || ST_AsGeoJSON(a.geom, 6)
            || ',"properties":' || json_build_object(
                'id', a.id, 'scenario', s.name, 'scenario_id', s.id, 'action', a.action,
                'facility_id', a.facility_id, 'commune_code', a.commune_code, 'commune_name', c.name,
                'province_code', c.province_code, 'cost_vnd', a.cost_vnd,
                'added_population', a.added_population, 'added_villages', a.added_villages,
                'budget_vnd', s.budget_vnd, 'created_by', s.created_by, 'created_at', s.created_at)::text || '}', ',')
        FROM page p
        JOIN scenario_action a ON a.id = p.fid
        JOIN scenario s ON s.id = a.scenario_id
        LEFT JOIN commune c ON c.code = a.commune_code), '') || ']' AS features;
