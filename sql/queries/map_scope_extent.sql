-- The extent of the communes a user may see, for the map's first view.
SELECT ST_XMin(e) AS xmin, ST_YMin(e) AS ymin, ST_XMax(e) AS xmax, ST_YMax(e) AS ymax
FROM (SELECT ST_Extent(c.geom) AS e
        FROM commune c
       WHERE :whole_country OR c.code = ANY(CAST(:scope AS text[]))
          OR c.province_code = ANY(CAST(:scope AS text[]))) x;
