-- The provinces whose communes a scope (whole_country false: scope codes of communes or provinces) may hold, as
-- the scope filters of province_answer_rows and coverage_rule_measures read it (app/province_parts.py).
SELECT DISTINCT c.province_code AS code
  FROM commune c
 WHERE c.province_code IS NOT NULL
   AND (c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
