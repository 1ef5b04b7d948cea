-- One facility for an inspection sent from the offline page (issue 20), locked until the transaction ends so
-- that two sends of the same facility are judged one after the other: its commune, its version now, and its
-- deciding inspection (the latest by inspection time), to tell a conflict with the version the phone had.
SELECT f.id, f.commune_code, f.version, f.status,
       li.id AS last_id, li.inspector AS last_inspector, li.inspected_at AS last_at
  FROM facility f
  LEFT JOIN LATERAL (SELECT i.id, i.inspector, i.inspected_at
                       FROM inspection i
                      WHERE i.facility_id = f.id
                      ORDER BY i.inspected_at DESC, i.id DESC
                      LIMIT 1) li ON true
 WHERE f.id = :id
   FOR UPDATE OF f;
