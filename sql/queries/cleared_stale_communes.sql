-- Take the recomputed communes off the stale list, last thing before the recompute commits: only a row whose
-- mark is still the one read when it was taken (:commune_codes, :marks) and that no transaction in progress is
-- marking again (SKIP LOCKED: that change, made during the recompute, keeps its commune stale and wakes a worker
-- when it commits). Returns the communes cleared.
DELETE FROM coverage_stale s
 USING (SELECT c.commune_code
          FROM coverage_stale c
          JOIN unnest(CAST(:commune_codes AS text[]), CAST(:marks AS bigint[])) AS t (commune_code, mark)
            ON t.commune_code = c.commune_code AND t.mark = c.mark
         ORDER BY c.commune_code
           FOR UPDATE OF c SKIP LOCKED) taken
 WHERE s.commune_code = taken.commune_code
RETURNING s.commune_code
