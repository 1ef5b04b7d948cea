-- Serialise identical export asks until the end of the transaction (reused_or_queued_export_job).
SELECT pg_advisory_xact_lock(hashtext(:ask))
