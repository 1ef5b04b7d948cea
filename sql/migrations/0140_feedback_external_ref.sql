-- Issue 17: the ticket number a citizen was given by the hotline or portal (the imported "Mã phản ánh" / "Số
-- phiếu") is stored, so an export row can be traced back to the citizen's ticket.
ALTER TABLE feedback ADD COLUMN IF NOT EXISTS external_ref text;
CREATE INDEX IF NOT EXISTS feedback_external_ref_idx ON feedback (external_ref) WHERE external_ref IS NOT NULL;
