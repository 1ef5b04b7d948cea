-- Put every staged facility in the 2025 commune that contains it (the location decides, never the typed name).
-- A row whose lon/lat fall outside Viet Nam but inside it when swapped also gets the commune of the swapped
-- point, so the loader can fix the swap when that commune (or its province) is the one the row declares.
-- ORDER BY code LIMIT 1: a point exactly on a shared border goes to one commune, always the same one.
CREATE TEMP TABLE etl_facility_located ON COMMIT DROP AS
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
  LEFT JOIN LATERAL (
        SELECT c.code, c.name, c.name_folded
          FROM commune c
         WHERE NOT s.swap_candidate
           AND ST_Intersects(c.geom, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326))
         ORDER BY c.code LIMIT 1) o ON true
  LEFT JOIN LATERAL (
        SELECT c.code, c.name, c.name_folded, p.name_folded AS province_folded
          FROM commune c
          LEFT JOIN admin_unit p ON p.version = '2025' AND p.level = 'province' AND p.code = c.province_code
         WHERE s.swap_candidate
           AND ST_Intersects(c.geom, ST_SetSRID(ST_MakePoint(s.lat, s.lon), 4326))
         ORDER BY c.code LIMIT 1) w ON true;
