-- Saved scenarios a user may read, for the pickers of the planning and export pages, newest first: those of a
-- province in the user's scope (province codes), every one for a whole-country user (:whole_country). A scenario
-- of the whole country (province_code NULL) is for whole-country users only.
SELECT id, name, owner, budget_vnd, province_code, created_by, created_at
FROM scenario
WHERE CAST(:whole_country AS boolean)
   OR province_code = ANY(CAST(:scope AS text[]))
ORDER BY created_at DESC, name, id;
