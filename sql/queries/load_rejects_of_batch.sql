-- The rejected and warned rows a load kept (migration 0120: the reason's code and values), in file order.
SELECT row, field, value, code, reason_values, severity
  FROM load_reject
 WHERE batch_id = :batch
 ORDER BY severity <> 'reject', row, id;
