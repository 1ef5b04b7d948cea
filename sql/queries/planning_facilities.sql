-- Loudspeaker clusters and cultural houses of the given communes, as lon/lat (EPSG:4326) points: the clusters
-- give today's coverage (working ones) and the repair candidates (broken and degraded ones); cultural houses
-- are candidate sites for new clusters (villagers gather there, DESIGN.md §6).
SELECT f.id, f.type, f.technology, f.status, f.commune_code, f.radius_m, f.n_horns, f.watts,
       ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat
FROM facility f
WHERE f.type IN ('loudspeaker_cluster', 'cultural_house')
  AND f.commune_code = ANY(CAST(:commune_codes AS text[]))
ORDER BY f.id;
