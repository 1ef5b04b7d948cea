-- Store a checked rule set, replacing one of the same name (audited by the rule_set triggers).
INSERT INTO rule_set (name, content, sha256)
VALUES (:name, :content, :sha256)
ON CONFLICT (name) DO UPDATE
   SET content = EXCLUDED.content, sha256 = EXCLUDED.sha256, added_by = audit_actor(), added_at = now()
 WHERE rule_set.sha256 IS DISTINCT FROM EXCLUDED.sha256
