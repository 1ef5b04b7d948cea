-- Take up to :limit of these communes for one recompute, skipping those another process is recomputing now:
-- a transaction-scoped advisory lock per commune (released at commit), tried, never waited for, so two
-- refreshers never block each other while holding locks (no deadlock) and never compute a commune twice.
-- The LIMIT stops the scan once :limit locks are held.
SELECT code
  FROM unnest(CAST(:commune_codes AS text[])) AS code
 WHERE pg_try_advisory_xact_lock(hashtext('phusong.coverage.' || code))
 LIMIT :limit
