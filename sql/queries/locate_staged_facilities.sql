-- Name the 2025 commune each staged facility lies in (etl.facilities placed the points in Python, in
-- commune_code; the location decides, never the typed name). A row whose lon/lat fall outside Viet Nam but
-- inside it when swapped carries the commune of the swapped point in swap_code, with its province here, so
-- the loader can fix the swap when that commune (or its province) is the one the row declares.
CREATE TEMP TABLE etl_facility_located ON COMMIT DROP AS
SELECT s.*,
       o.name        AS commune_name,
       o.name_folded AS commune_name_folded,
       w.name        AS swap_name,
       w.name_folded AS swap_name_folded,
       u.name_folded AS swap_province_folded,
       NULL::bigint  AS match_id,
       NULL::bigint  AS village_id
  FROM etl_facility_stage s
  LEFT JOIN commune o ON o.code = s.commune_code
  LEFT JOIN commune w ON w.code = s.swap_code
  LEFT JOIN admin_unit u ON u.version = '2025' AND u.level = 'province' AND u.code = w.province_code;
