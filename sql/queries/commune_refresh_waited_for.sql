-- Wait until the process recomputing this commune has committed (its advisory lock, see
-- communes_locked_for_refresh.sql). Run in a transaction that holds no other lock: it cannot deadlock.
SELECT pg_advisory_xact_lock(hashtext('phusong.coverage.' || :code))
