-- The scenarios called :name (one per owner), oldest first: the CLI addresses a scenario by name when only one
-- owner has used it.
SELECT id, name, owner, province_code, created_at
FROM scenario WHERE name = :name
ORDER BY created_at, id;
