-- One audit row for a census load, with its counts.
INSERT INTO audit_log ("user", action, entity, after) VALUES (audit_actor(), 'load_census', 'admin_unit', CAST(:after AS jsonb))
