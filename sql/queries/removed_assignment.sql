-- Take an open assignment out of its plan (kept as 'removed' for the record); returns the row changed.
UPDATE inspection_assignment
   SET status = 'removed', updated_at = now()
 WHERE id = :assignment_id AND plan_id = :plan_id AND status = 'open'
RETURNING id;
