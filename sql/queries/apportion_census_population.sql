-- Put census 2019 population on pre-2025 polygons (a census code tied to several polygons is split by their
-- areas) and then on 2025 communes through admin_crosswalk area shares. The link polygon -> census code
-- is admin_census_link. Communes reached by no census row get population 0.
WITH polygon_weight AS (
    SELECT m.old_code, m.census_code,
           ST_Area(a.geom) / sum(ST_Area(a.geom)) OVER (PARTITION BY m.census_code) AS weight
      FROM admin_census_link m
      JOIN admin_unit a ON a.version = 'pre2025' AND a.level = 'commune' AND a.code = m.old_code
), old_population AS (
    SELECT w.old_code, sum(c.pop_total * w.weight) AS population
      FROM polygon_weight w JOIN census_commune c ON c.code = w.census_code
     GROUP BY w.old_code
), set_old AS (
    UPDATE admin_unit a
       SET population = coalesce(o.population, 0),
           population_source = CASE WHEN o.population IS NULL THEN 'census 2019: not matched'
                                    ELSE 'census 2019' END
      FROM admin_unit a2 LEFT JOIN old_population o ON o.old_code = a2.code
     WHERE a.version = 'pre2025' AND a.level = 'commune'
       AND a2.version = a.version AND a2.level = a.level AND a2.code = a.code
    RETURNING 1
), new_population AS (
    SELECT x.new_code, sum(o.population * x.area_share) AS population
      FROM old_population o JOIN admin_crosswalk x ON x.old_code = o.old_code
     GROUP BY x.new_code
)
UPDATE admin_unit a
   SET population = coalesce(n.population, 0),
       population_source = 'census 2019, apportioned by area share'
  FROM admin_unit a2 LEFT JOIN new_population n ON n.new_code = a2.code
 WHERE a.version = '2025' AND a.level = 'commune'
   AND a2.version = a.version AND a2.level = a.level AND a2.code = a.code;
