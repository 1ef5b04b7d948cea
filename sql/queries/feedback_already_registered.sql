-- The same report from two overlapping exports: same receipt time, commune and text.
SELECT id FROM feedback WHERE received_at = :received_at AND commune_code = :commune_code AND text = :text LIMIT 1
