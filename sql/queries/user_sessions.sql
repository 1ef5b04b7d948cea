-- The live sessions of a user, newest first (`phusong users sessions NAME`); the id itself is never stored.
SELECT left(id_hash, 8) AS ref, created_at, last_seen_at, expires_at, ip, user_agent
  FROM sessions
 WHERE user_name = :user_name
   AND expires_at > now()
   AND last_seen_at > now() - make_interval(secs => :idle_s)
 ORDER BY created_at DESC;
