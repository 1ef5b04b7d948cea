-- Saving a scenario under a name that exists replaces it (its actions go with it: ON DELETE CASCADE).
DELETE FROM scenario WHERE name = :name;
