-- Upsert the rows of staging_admin_unit into admin_unit by (version, level, code); returns how many rows were
-- inserted and how many changed. Rows identical to what is stored are left alone, so loading the same file
-- twice changes nothing. Areas are geodesic (geography cast) so they are true km² at any latitude.
WITH upserted AS (
    INSERT INTO admin_unit AS a (version, level, code, name, name_folded, unit_type, parent_code, province_code,
                                 geom, area_km2, attributes, batch_id, loaded_at)
    SELECT version, level, code, name, name_folded, unit_type, parent_code, province_code,
           ST_Multi(geom), ST_Area(geom::geography) / 1e6, attributes, :batch_id, now()
      FROM staging_admin_unit
    ON CONFLICT (version, level, code) DO UPDATE
       SET name = EXCLUDED.name, name_folded = EXCLUDED.name_folded, unit_type = EXCLUDED.unit_type,
           parent_code = EXCLUDED.parent_code, province_code = EXCLUDED.province_code, geom = EXCLUDED.geom,
           area_km2 = EXCLUDED.area_km2, attributes = EXCLUDED.attributes, batch_id = EXCLUDED.batch_id,
           loaded_at = now()
     WHERE (a.name, a.name_folded, a.unit_type, a.parent_code, a.province_code, a.attributes)
               IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.name_folded, EXCLUDED.unit_type, EXCLUDED.parent_code,
                                 EXCLUDED.province_code,
                                 EXCLUDED.attributes)
        OR ST_AsBinary(a.geom) IS DISTINCT FROM ST_AsBinary(EXCLUDED.geom)   -- exact, and cheap
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated
  FROM upserted;
