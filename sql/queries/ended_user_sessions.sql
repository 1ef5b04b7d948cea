-- End every session of a user (password, role, scope or active flag changed; `users sessions NAME --end`),
-- and clear away sessions of anyone that expired or idled out.
DELETE FROM sessions
 WHERE user_name = :user_name
    OR expires_at <= now()
    OR last_seen_at <= now() - make_interval(secs => :idle_s)
RETURNING user_name;
