-- End one session (logout); returns its user when it existed.
DELETE FROM sessions WHERE id_hash = :id_hash RETURNING user_name;
