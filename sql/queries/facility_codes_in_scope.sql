-- The facilities an inspector may inspect offline (the Kobo/ODK form's choices): those with a survey code in
-- their scope, by commune then name. Binds: :whole_country, :scope text[], :limit.
SELECT f.external_id, f.name, f.type, c.name AS commune_name, f.commune_code
  FROM facility f
  JOIN commune c ON c.code = f.commune_code
 WHERE (:whole_country OR c.code = ANY (CAST(:scope AS text[])) OR c.province_code = ANY (CAST(:scope AS text[])))
   AND f.external_id IS NOT NULL AND f.status <> 'decommissioned'
 ORDER BY c.name, f.name, f.external_id
 LIMIT :limit;
