-- Undo an inspections load (issue 21): every inspection it inserted is withdrawn (0150: the one change an
-- inspection allows, audited by the row trigger; nothing is deleted). The triggers then give each facility back
-- its latest remaining inspection's status, or the one it had before the load (status_before, 0187), which marks
-- its commune stale, and reopen the plan assignments those inspections had completed (0200).
-- The facilities' communes.
WITH withdrawn AS (
    UPDATE inspection SET withdrawn_at = now(), withdrawn_by = :actor
     WHERE batch_id = :batch AND withdrawn_at IS NULL
    RETURNING facility_id
)
SELECT DISTINCT f.commune_code FROM withdrawn w JOIN facility f ON f.id = w.facility_id;
