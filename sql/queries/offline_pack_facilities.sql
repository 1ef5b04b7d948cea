-- The facilities of an area pack (issue 20): every facility of the communes asked for, with what the offline
-- page shows and sends back: status, version (for conflicts), last inspection (who, when), survey code, point.
-- conflict_by / conflict_at: this user's latest inspection of the facility met another inspector's later one
-- (either was sent against an older version of the facility): that one decided the status, and the page says so.
SELECT f.id, f.external_id, f.type, f.name, f.status, f.version, f.commune_code, f.village_id,
       round(ST_X(f.geom)::numeric, 6) AS lon, round(ST_Y(f.geom)::numeric, 6) AS lat,
       f.last_inspected_at, li.inspector AS last_inspector, cf.inspector AS conflict_by,
       cf.inspected_at AS conflict_at
  FROM facility f
  LEFT JOIN LATERAL (SELECT i.id, i.inspector FROM inspection i WHERE i.facility_id = f.id
                      ORDER BY i.inspected_at DESC, i.id DESC LIMIT 1) li ON true
  LEFT JOIN LATERAL (SELECT m.id, m.inspected_at FROM inspection m
                      WHERE m.facility_id = f.id AND m.inspector = :user
                      ORDER BY m.inspected_at DESC, m.id DESC LIMIT 1) mine ON true
  LEFT JOIN LATERAL (SELECT o.inspector, o.inspected_at FROM inspection o
                      WHERE o.facility_id = f.id AND o.inspector <> :user AND o.inspected_at > mine.inspected_at
                        AND (o.conflict_with = mine.id
                             OR o.id = (SELECT m2.conflict_with FROM inspection m2 WHERE m2.id = mine.id))
                      ORDER BY o.inspected_at DESC LIMIT 1) cf ON true
 WHERE f.commune_code = ANY (CAST(:codes AS text[]))
   AND f.status <> 'decommissioned'
 ORDER BY f.id;
