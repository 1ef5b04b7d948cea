-- Issue 16: a rejected or warned row carries a reason code (etl/messages.py) and the values its templates name,
-- so a batch's rejects can be counted by kind and shown in either language; `reason` keeps the English sentence.
ALTER TABLE load_reject ADD COLUMN IF NOT EXISTS code text;
ALTER TABLE load_reject ADD COLUMN IF NOT EXISTS reason_values jsonb;
CREATE INDEX IF NOT EXISTS load_reject_code_idx ON load_reject (code);
