-- Census rows (and people) that reached a pre-2025 polygon.
SELECT count(*), coalesce(sum(c.pop_total), 0) FROM census_commune c WHERE EXISTS (SELECT 1 FROM admin_census_link m WHERE m.census_code = c.code)
