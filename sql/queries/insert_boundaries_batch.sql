-- The load_batch of a boundaries file (recorded by the current actor); returns its id.
INSERT INTO load_batch (kind, file, sha256, format, rows, params, loaded_by) VALUES ('boundaries', :f, :s, :fmt, :r, CAST(:p AS jsonb), audit_actor()) RETURNING id
