-- Put every staged facility in the 2025 commune that contains it (the location decides, never the typed name).
-- A row whose lon/lat fall outside Viet Nam but inside it when swapped also gets the commune of the swapped
-- point, so the loader can fix the swap when that commune (or its province) is the one the row declares.
-- Needs etl_commune_piece (subdivide_communes_near_staged_facilities.sql). DISTINCT ON ... ORDER BY code: a point
-- exactly on a shared border goes to one commune, always the same one.
CREATE TEMP TABLE etl_facility_located ON COMMIT DROP AS
WITH placed AS (
    SELECT DISTINCT ON (s.n) s.n, p.code, p.name, p.name_folded
      FROM etl_facility_stage s
      JOIN etl_commune_piece p ON ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326))
     WHERE NOT s.swap_candidate
     ORDER BY s.n, p.code
), swapped AS (
    SELECT DISTINCT ON (s.n) s.n, p.code, p.name, p.name_folded, u.name_folded AS province_folded
      FROM etl_facility_stage s
      JOIN etl_commune_piece p ON ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(s.lat, s.lon), 4326))
      LEFT JOIN admin_unit u ON u.version = '2025' AND u.level = 'province' AND u.code = p.province_code
     WHERE s.swap_candidate
     ORDER BY s.n, p.code
)
SELECT s.*,
       o.code        AS commune_code,
       o.name        AS commune_name,
       o.name_folded AS commune_name_folded,
       w.code        AS swap_code,
       w.name        AS swap_name,
       w.name_folded AS swap_name_folded,
       w.province_folded AS swap_province_folded,
       NULL::bigint  AS match_id,
       NULL::bigint  AS village_id
  FROM etl_facility_stage s
  LEFT JOIN placed o ON o.n = s.n
  LEFT JOIN swapped w ON w.n = s.n;
