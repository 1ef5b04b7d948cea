-- One batch per loaded file; who loaded it is the transaction's actor (sql.bulk.set_actor), as in the audit log.
INSERT INTO load_batch (kind, file, sha256, format, rows, params, loaded_by)
VALUES (:kind, :file, :sha256, :format, :rows, CAST(:params AS jsonb), audit_actor())
RETURNING id;
