-- One audit row for a boundaries load: version/level and its counts.
INSERT INTO audit_log ("user", action, entity, entity_id, after) VALUES (audit_actor(), 'load_boundaries', 'admin_unit', :v || '/' || :l, CAST(:after AS jsonb))
