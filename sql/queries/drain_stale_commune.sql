-- Take one commune off the stale list; a row back means this caller must recompute it. Run after
-- pg_advisory_xact_lock for the commune (lock_commune_coverage.sql): when another request already drained it
-- after our change was committed, its recomputation read our change, and nothing is left to do.
DELETE FROM coverage_stale WHERE commune_code = :code RETURNING commune_code;
