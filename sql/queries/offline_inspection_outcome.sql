-- What became of an inspection sent from the offline page, by its client_uuid: stored (its id), and when it met
-- another inspector's change of the same facility, who made that one, when, and which of the two decides the
-- status (the later inspection).
SELECT i.id, i.facility_id, i.inspected_at, f.status AS facility_status, f.version AS facility_version,
       o.inspector AS other_inspector, o.inspected_at AS other_at, o.status_found AS other_status,
       (o.id IS NOT NULL AND o.inspected_at > i.inspected_at) AS other_decides
  FROM inspection i
  JOIN facility f ON f.id = i.facility_id
  LEFT JOIN inspection o ON o.id = i.conflict_with
 WHERE i.client_uuid = CAST(:client_uuid AS uuid);
