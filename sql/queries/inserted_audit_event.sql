-- One audit row for an event that is not a row change: a login, a logout, a refusal, a download.
INSERT INTO audit_log ("user", action, entity, entity_id, after, address)
VALUES (:user, :action, :entity, :entity_id, CAST(:details AS jsonb), :address);
