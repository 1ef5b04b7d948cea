-- The global alarm: when the failed logins of the last window, across every address, reach the threshold,
-- write one 'login_alarm' row (at most one per window), naming how many failures and addresses.
INSERT INTO audit_log ("user", action, entity, entity_id, after, address)
SELECT 'login', 'login_alarm', 'login', NULL,
       jsonb_build_object('failures', recent.failures, 'addresses', recent.addresses, 'window_s', :window_s),
       NULL
  FROM (SELECT count(*) AS failures, count(DISTINCT address) AS addresses
          FROM audit_log
         WHERE action = 'login_failed' AND at > now() - make_interval(secs => :window_s)) AS recent
 WHERE recent.failures >= :threshold
   AND NOT EXISTS (SELECT 1 FROM audit_log
                    WHERE action = 'login_alarm' AND at > now() - make_interval(secs => :window_s))
RETURNING after;
