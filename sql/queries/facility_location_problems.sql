-- Staged facilities that need a decision: in no commune, swapped lon/lat, or a typed commune name that is not
-- the name of the commune the point lies in. Everything else is fine as it is (the usual case: no rows).
SELECT n, lon, lat, swap_candidate, commune_code, commune_name, commune_name_folded, swap_code, swap_name,
       swap_name_folded, swap_province_folded, commune_typed, commune_folded, province_folded
  FROM etl_facility_located
 WHERE commune_code IS NULL
    OR (commune_folded IS NOT NULL AND commune_folded <> commune_name_folded)
 ORDER BY n;
