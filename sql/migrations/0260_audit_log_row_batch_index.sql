-- Undoing a load (etl/load_undo.py, sql/queries/loaded_rows_of_batch.sql) finds the load's per-row inserts and
-- updates in audit_log by (entity, after->>'batch_id'). Only its bulk insert had an index (0013): on an audit log
-- of 3.05 million rows (1.2 GB) the lookup read the whole table twice (parallel seq scans, 2.4 s). Partial: only
-- audited inserts and updates of rows that carry a batch (facilities, villages), so logins, token uses and the
-- other events add nothing to it. The query's `after->>'batch_id' = ...` implies the IS NOT NULL (strict), and
-- its `action = 'insert'` / 'update' the IN list, so the planner uses it whatever the bound values.
CREATE INDEX IF NOT EXISTS audit_log_row_batch_idx ON audit_log (entity, (after->>'batch_id'))
    WHERE action IN ('insert', 'update') AND (after->>'batch_id') IS NOT NULL;
