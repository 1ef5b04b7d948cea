-- The facility and commune of one inspection (the scope check before it is undone or corrected).
SELECT i.id, i.inspector, i.facility_id, f.commune_code, f.name AS facility_name
  FROM inspection i
  JOIN facility f ON f.id = i.facility_id
 WHERE i.id = :id;
