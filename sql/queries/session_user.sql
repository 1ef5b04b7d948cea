-- The user of a live session, read afresh on every request (role, scope and active as stored now). A session
-- is live until its absolute expiry and while it was seen within the idle limit. last_seen_at is written at
-- most once a minute, so the many callbacks of one page view do not each write a row.
WITH live AS (
    SELECT s.id_hash, s.user_name, s.last_seen_at
      FROM sessions s
     WHERE s.id_hash = :id_hash
       AND s.expires_at > now()
       AND s.last_seen_at > now() - make_interval(secs => :idle_s)
), touched AS (
    UPDATE sessions s SET last_seen_at = now()
      FROM live
     WHERE s.id_hash = live.id_hash AND live.last_seen_at < now() - interval '1 minute'
)
SELECT u.name, u.role, u.scope_codes, u.active, u.must_change_password
  FROM live JOIN app_user u ON u.name = live.user_name;
