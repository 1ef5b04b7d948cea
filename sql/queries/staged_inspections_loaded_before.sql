-- Staged inspections whose submission was loaded before (skipped).
SELECT s.n, s.submission_id FROM etl_inspection_stage s WHERE s.facility_id IS NOT NULL AND EXISTS (SELECT 1 FROM inspection i WHERE i.submission_id = s.submission_id) ORDER BY s.n
