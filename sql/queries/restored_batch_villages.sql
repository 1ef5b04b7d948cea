-- Undo a villages load (issue 21): the villages it updated take back the row they had before it (from the audit
-- log's "before"; the geometry from its GeoJSON); each update audited by the row trigger, its communes marked
-- stale by 0007's trigger. Their communes before and after the undo (both are recomputed).
WITH old AS (
    SELECT (x->>'id')::bigint AS id, x AS before
      FROM jsonb_array_elements(CAST(:befores AS jsonb)) AS x
), moved AS (
    SELECT v.id, v.commune_code AS was FROM village v JOIN old ON old.id = v.id
)
UPDATE village v
   SET external_id = r.external_id, commune_code = r.commune_code, name = r.name, name_folded = r.name_folded,
       kind = r.kind, geom = ST_SetSRID(ST_GeomFromGeoJSON(old.before->>'geom'), 4326),
       population = r.population, households = r.households, synthetic = r.synthetic, batch_id = r.batch_id,
       updated_at = now()
  FROM old
 CROSS JOIN LATERAL jsonb_populate_record(NULL::village, old.before - 'geom') AS r
  JOIN moved ON moved.id = old.id
 WHERE v.id = old.id AND v.batch_id = :batch
RETURNING v.commune_code, moved.was;
