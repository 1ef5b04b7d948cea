-- The failed logins of one (name, client address) pair. The transaction first takes a lock on the pair, so
-- parallel tries of one pair wait their turn and none slips past the back-off; always one row.
SELECT f.failures, f.last_failed_at
  FROM (SELECT pg_advisory_xact_lock(hashtextextended('phusong.login ' || :name || ' ' || :address, 0))) AS locked
  LEFT JOIN login_failure f ON f.user_name = :name AND f.address = :address;
