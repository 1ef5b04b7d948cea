-- A rejected or warned feature of a boundaries batch (``row``: the feature number), with its reason code.
INSERT INTO load_reject (batch_id, row, reason, severity, code, reason_values)
VALUES (:b, :row, :r, :s, :code, CAST(:v AS jsonb))
