-- How many communes each boundary version holds.
SELECT version, count(*) FROM admin_unit WHERE level = 'commune' GROUP BY version
