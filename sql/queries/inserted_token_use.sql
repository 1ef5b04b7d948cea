-- Audit one use of a token: who, which service and collection, when (to the minute). At most one row per
-- token, collection and minute: the caller remembers what it wrote, and this skips a row another server process
-- wrote for the same minute.
INSERT INTO audit_log ("user", action, entity, entity_id, after)
SELECT :user_name, 'token_use', 'api_token', CAST(:token_id AS text),
       json_build_object('service', :service, 'collection', :collection, 'token', :token_name,
                         'minute', date_trunc('minute', now()))::jsonb
WHERE NOT EXISTS (
    SELECT 1 FROM audit_log l
    WHERE l.entity = 'api_token' AND l.entity_id = CAST(:token_id AS text) AND l.action = 'token_use'
      AND l.at >= date_trunc('minute', now())
      AND l.after ->> 'service' = :service AND l.after ->> 'collection' = :collection);
