-- A facility a report names: its commune places the report when no point is given.
SELECT id, commune_code, type, name, status FROM facility WHERE id = :id
