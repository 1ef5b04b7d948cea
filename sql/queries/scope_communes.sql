-- The communes a user may see (whole_country, or scope: commune or province codes), by name: the inspectors'
-- commune filter.
SELECT c.code, c.name
FROM commune c
WHERE (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
ORDER BY c.name, c.code;
