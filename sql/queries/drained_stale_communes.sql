-- Take the communes whose coverage is out of date; SKIP LOCKED lets two writers drain in parallel without
-- waiting on each other (each recomputes the communes it took).
DELETE FROM coverage_stale
 WHERE commune_code IN (SELECT commune_code FROM coverage_stale FOR UPDATE SKIP LOCKED)
RETURNING commune_code
