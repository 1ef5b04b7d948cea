-- A commune as a form writes it: its code, or its name compared on the folded form (no diacritics, no "Xã").
SELECT code, name, province_code FROM commune WHERE code = :code
UNION
SELECT code, name, province_code FROM commune WHERE name_folded = :folded
 AND NOT EXISTS (SELECT 1 FROM commune WHERE code = :code)
