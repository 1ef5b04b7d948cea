-- The type (pg_type name: text, int8, float8, geometry, ...) of each column of a table on the search path,
-- so binary COPY sends each value in its column's binary form.
SELECT a.attname AS column_name, t.typname AS type_name
  FROM pg_attribute a
  JOIN pg_type t ON t.oid = a.atttypid
 WHERE a.attrelid = CAST(CAST(:table_name AS text) AS regclass) AND a.attnum > 0 AND NOT a.attisdropped
