-- Communes whose folded name (no diacritics, no unit word: etl/names.py) contains :folded, within the scope;
-- names that start with it first. "muong nhe" finds "Mường Nhé".
SELECT c.code, c.name, c.unit_type, p.name AS province_name
FROM commune c
LEFT JOIN admin_unit p ON p.version = '2025' AND p.level = 'province' AND p.code = c.province_code
WHERE c.name_folded LIKE '%' || :folded || '%'
  AND (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
ORDER BY c.name_folded NOT LIKE :folded || '%', c.name_folded
LIMIT 10;
