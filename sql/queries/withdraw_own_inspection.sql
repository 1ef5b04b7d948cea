-- Withdraw one inspection its inspector saved in the app since :since (an undo within minutes, or a correction
-- the same day); nothing when it is another's, older, loaded from a file or withdrawn before. Audited (0010).
UPDATE inspection
   SET withdrawn_at = now(), withdrawn_by = :inspector
 WHERE id = :id AND inspector = :inspector AND source = 'app' AND withdrawn_at IS NULL AND recorded_at >= :since
RETURNING id, facility_id, inspected_at, note, photo IS NOT NULL AS has_photo;
