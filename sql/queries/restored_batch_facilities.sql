-- Undo a load (issue 21): the facilities it updated take back the row they had before it (from the audit log's
-- "before"; the position from its GeoJSON), as a new version; each update audited by the row trigger.
-- Their communes before and after the undo (both are recomputed).
WITH old AS (
    SELECT (x->>'id')::bigint AS id, x AS before
      FROM jsonb_array_elements(CAST(:befores AS jsonb)) AS x
), moved AS (
    SELECT f.id, f.commune_code AS was FROM facility f JOIN old ON old.id = f.id
)
UPDATE facility f
   SET name = r.name, type = r.type, technology = r.technology, commune_code = r.commune_code,
       village_id = r.village_id, geom = ST_SetSRID(ST_GeomFromGeoJSON(old.before->>'geom'), 4326),
       status = r.status, installed_year = r.installed_year, n_horns = r.n_horns, watts = r.watts,
       radius_m = r.radius_m, note = r.note, source_crs = r.source_crs, attributes = r.attributes,
       batch_id = r.batch_id, version = f.version + 1, updated_at = now()
  FROM old
 CROSS JOIN LATERAL jsonb_populate_record(NULL::facility, old.before - 'geom') AS r
  JOIN moved ON moved.id = old.id
 WHERE f.id = old.id AND f.batch_id = :batch
RETURNING f.commune_code, moved.was;
