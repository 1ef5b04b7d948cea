-- Rename one scenario (issue 21); the caller has checked that the user may change it. A name its owner already
-- uses for another scenario breaks scenario_owner_name_key (the caller turns that into a refusal first).
UPDATE scenario SET name = :name WHERE id = :id
RETURNING id;
