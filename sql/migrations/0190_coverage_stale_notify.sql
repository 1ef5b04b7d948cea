-- Issue 22: wake `phusong worker` (app/commands/worker.py) as soon as a commune's coverage becomes stale.
-- A statement that adds communes to coverage_stale (an inspection saved, a load, `phusong analyse`) sends one
-- NOTIFY on channel phusong_coverage_stale when it commits; a worker LISTENing there brings them current at
-- once, and polls every few seconds as well, so a notification lost while no worker listened only waits for the
-- next poll. Per statement, not per row: a national load wakes the workers once, not 3,321 times.
CREATE OR REPLACE FUNCTION notify_coverage_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('phusong_coverage_stale', '');
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS coverage_stale_notify ON coverage_stale;
CREATE TRIGGER coverage_stale_notify AFTER INSERT ON coverage_stale
    FOR EACH STATEMENT EXECUTE FUNCTION notify_coverage_stale();
