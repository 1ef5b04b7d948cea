-- Census rows that reached no pre-2025 polygon (the unmatched report).
SELECT c.code, c.province_name, c.district_name, c.name, c.pop_total FROM census_commune c WHERE NOT EXISTS (SELECT 1 FROM admin_census_link m WHERE m.census_code = c.code) ORDER BY c.code
