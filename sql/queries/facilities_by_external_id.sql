-- The stored facilities that carry one of these external ids (:ids, a JSON array of strings: one parameter
-- however many ids a survey has), for the loader to tell updates from new facilities.
SELECT f.external_id, f.id
  FROM facility f
 WHERE f.external_id IN (SELECT jsonb_array_elements_text(CAST(:ids AS jsonb)));
