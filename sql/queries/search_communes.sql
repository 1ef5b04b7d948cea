-- Communes whose folded name (no diacritics, no unit word: etl/names.py) contains :folded, or starts with :alt
-- (the text without a leading "xa/phuong" typed without diacritics: "xa muong" finds "Mường Nhé"), or whose code
-- starts with :code (digits typed; NULL otherwise), within the scope; exact codes, then names that start with
-- the text first. "muong nhe" and "03160" find "Mường Nhé".
SELECT c.code, c.name, c.unit_type, p.name AS province_name
FROM commune c
LEFT JOIN admin_unit p ON p.version = '2025' AND p.level = 'province' AND p.code = c.province_code
WHERE (c.name_folded LIKE '%' || :folded || '%'
       OR c.name_folded LIKE CAST(:alt AS text) || '%'
       OR c.code LIKE CAST(:code AS text) || '%')
  AND (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
ORDER BY c.code IS DISTINCT FROM CAST(:code AS text), c.name_folded NOT LIKE :folded || '%', c.name_folded
LIMIT 10;
