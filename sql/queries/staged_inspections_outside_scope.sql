-- Staged inspections of facilities outside a scope (:scope, commune or province codes): an inspector's upload may
-- only record inspections of facilities in their own communes (issue 6); these rows are rejected.
SELECT s.n, s.facility_ref, c.name AS commune_name
  FROM etl_inspection_stage s
  JOIN facility f ON f.id = s.facility_id
  JOIN commune c ON c.code = f.commune_code
 WHERE NOT (c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
 ORDER BY s.n;
