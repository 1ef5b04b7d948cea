-- Queue one long export for `phusong worker` (app/exports.py queue_export); its NOTIFY wakes the workers.
INSERT INTO export_job (user_name, kind, fmt, province_code, scenario_id, lang)
VALUES (:user_name, :kind, :fmt, :province_code, :scenario_id, :lang)
RETURNING id;
