-- The words of an area pack (issue 20): facility statuses and types with their Vietnamese and English labels.
SELECT 'status' AS kind, code, label_vi, label_en FROM facility_status
UNION ALL
SELECT 'type', code, label_vi, label_en FROM facility_type
ORDER BY 1, 2;
