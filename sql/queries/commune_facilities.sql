-- The facilities of one commune, stations first, for the map's panel.
SELECT f.id, f.type, f.technology, f.name, f.status, f.last_inspected_at, f.n_horns, f.watts
FROM facility f
WHERE f.commune_code = :code
ORDER BY f.type <> 'commune_radio_station', f.type, f.name NULLS LAST, f.id;
