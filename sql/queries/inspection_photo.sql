-- One inspection's photo with its facility's commune (the scope check before it is served). Binds: :id.
SELECT i.photo, i.photo_mime, f.commune_code
  FROM inspection i
  JOIN facility f ON f.id = i.facility_id
 WHERE i.id = :id AND i.photo IS NOT NULL;
