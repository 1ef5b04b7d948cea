-- A village belongs to the 2025 commune that holds a point of it (its point, or a point on its surface, so a
-- village drawn across a border goes where most of it visibly is in the usual case). Then each row finds the
-- stored village it updates: same external id, else the same folded name in the same commune.
UPDATE etl_village_stage s
   SET commune_code = (SELECT c.code FROM commune c
                        WHERE ST_Intersects(c.geom, ST_PointOnSurface(s.geom)) ORDER BY c.code LIMIT 1);

UPDATE etl_village_stage s
   SET match_id = coalesce(
        (SELECT v.id FROM village v WHERE s.external_id IS NOT NULL AND v.external_id = s.external_id),
        (SELECT v.id FROM village v WHERE s.external_id IS NULL AND v.commune_code = s.commune_code
                                      AND v.name_folded = s.name_folded ORDER BY v.id LIMIT 1))
 WHERE s.commune_code IS NOT NULL;
