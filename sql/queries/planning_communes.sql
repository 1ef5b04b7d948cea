-- Communes of one province (or all, when :province_code is NULL) with what the planner needs to know about
-- their commune radio station: the best working one (IP before FM before wired: the newest technology decides
-- which clusters can be added) and, when none works, a non-working one a new station would replace.
-- Geometry as WKB in EPSG:4326; the planner projects it to a metric CRS itself.
WITH stations AS (
    SELECT f.commune_code, f.id, f.technology, f.status, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat,
           s.is_working,
           row_number() OVER (PARTITION BY f.commune_code
                              ORDER BY s.is_working DESC,
                                       CASE f.technology WHEN 'ip' THEN 0 WHEN 'fm_wireless' THEN 1 ELSE 2 END,
                                       f.id) AS rank
    FROM facility f JOIN facility_status s ON s.code = f.status
    WHERE f.type = 'commune_radio_station'
)
SELECT c.code, c.name, c.province_code, c.population,
       ST_AsBinary(c.geom) AS geom_wkb,
       st.id AS station_id, st.technology AS station_technology,
       coalesce(st.is_working, false) AS station_working, st.lon AS station_lon, st.lat AS station_lat
FROM commune c
LEFT JOIN stations st ON st.commune_code = c.code AND st.rank = 1
WHERE CAST(:province_code AS text) IS NULL OR c.province_code = CAST(:province_code AS text)
ORDER BY c.code;
