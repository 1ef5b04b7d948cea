-- Count a failed login of a (name, client address) pair; a pair quiet for a day starts again from one. Pairs
-- quiet for a day are cleared away on the way, so the table stays small whatever names are tried. The time is
-- the clock's, not the transaction's start: the back-off counts from the failure itself.
WITH stale AS (
    DELETE FROM login_failure WHERE last_failed_at < now() - interval '1 day'
)
INSERT INTO login_failure AS f (user_name, address, failures, last_failed_at)
VALUES (:name, :address, 1, clock_timestamp())
ON CONFLICT (user_name, address) DO UPDATE
   SET failures = CASE WHEN f.last_failed_at < now() - interval '1 day' THEN 1 ELSE f.failures + 1 END,
       last_failed_at = clock_timestamp()
RETURNING failures;
