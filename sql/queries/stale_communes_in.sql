-- Communes waiting for their coverage to be recomputed, in code order (the order every refresher locks them
-- in), all of them or those of :commune_codes.
SELECT commune_code
  FROM coverage_stale
 WHERE CAST(:commune_codes AS text[]) IS NULL OR commune_code = ANY(CAST(:commune_codes AS text[]))
 ORDER BY commune_code
