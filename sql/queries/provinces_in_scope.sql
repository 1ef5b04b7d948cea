-- The 2025 provinces a user may look at: all of them, those named in the scope, or those holding a scoped commune.
SELECT p.code, p.name
FROM admin_unit p
WHERE p.version = '2025' AND p.level = 'province'
  AND (:whole_country OR p.code = ANY(CAST(:scope AS text[]))
       OR EXISTS (SELECT 1 FROM commune c WHERE c.province_code = p.code AND c.code = ANY(CAST(:scope AS text[]))))
ORDER BY p.name;
