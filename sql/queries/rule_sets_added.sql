-- Rule sets a province added with `phusong rules add` (they replace shipped sets of the same name).
SELECT name, content, sha256, added_by, added_at FROM rule_set ORDER BY name
