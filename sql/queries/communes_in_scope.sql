-- Which of :codes are 2025 communes inside a scope (commune or province codes; an empty scope means the whole
-- country and is handled by the caller). Used by every role/scope check on the server.
SELECT c.code
FROM commune c
WHERE c.code = ANY(CAST(:codes AS text[]))
  AND (c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])));
