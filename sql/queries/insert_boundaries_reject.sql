-- A rejected or warned unit of a boundaries batch (no row number: a GIS feature).
INSERT INTO load_reject (batch_id, reason, severity) VALUES (:b, :r, :s)
