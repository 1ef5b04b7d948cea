-- One facility for its page (app/pages/facility.py): what it is, where, its status, and its commune (the scope
-- check). Binds: :id.
SELECT f.id, f.external_id, f.type, f.technology, f.name, f.status, f.commune_code, c.name AS commune_name,
       c.province_code, f.last_inspected_at, f.installed_year, f.n_horns, f.radius_m, f.note,
       ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat
  FROM facility f
  JOIN commune c ON c.code = f.commune_code
 WHERE f.id = :id;
