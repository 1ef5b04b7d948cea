-- Staged inspections of facilities outside the inspector's communes, left unlinked.
UPDATE etl_inspection_stage SET facility_id = NULL WHERE n = ANY(:n)
