-- One recomputation of a commune's coverage at a time (transaction-scoped advisory lock on the commune code):
-- two saves in one commune never write its coverage rows concurrently.
SELECT pg_advisory_xact_lock(hashtext('phusong.coverage.' || :code));
