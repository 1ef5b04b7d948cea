-- Area of each census commune falling in each 2025 commune (the cross-check's share).
SELECT l.census_code, x.new_code, sum(x.area_share * p.area_km2) FROM admin_census_link l JOIN admin_crosswalk x ON x.old_code = l.old_code JOIN admin_unit p ON p.version = 'pre2025' AND p.level = 'commune' AND p.code = l.old_code GROUP BY 1, 2
