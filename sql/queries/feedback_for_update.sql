-- One report, locked for the rest of the transaction: two people acting on it at once are serialised.
SELECT id, status, commune_code, assigned_to, received_at, answered_at FROM feedback WHERE id = :id FOR UPDATE
