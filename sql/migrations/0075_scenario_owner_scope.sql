-- Scenarios get an owner and a province scope (issue 14 item 4): reading one needs scope over its province,
-- replacing one needs to own it, and names are unique per owner, not across the install (one planner's
-- "Phương án 2027" no longer overwrites another's). Existing rows: the owner is who created them; their scope
-- is the province they were planned for (province_code; NULL = the whole country, readable by whole-country
-- users only).
ALTER TABLE scenario ADD COLUMN IF NOT EXISTS owner text;
UPDATE scenario SET owner = created_by WHERE owner IS NULL;
UPDATE scenario SET province_code = params ->> 'province_code'
 WHERE province_code IS NULL AND params ? 'province_code';
ALTER TABLE scenario ALTER COLUMN owner SET DEFAULT audit_actor();
ALTER TABLE scenario ALTER COLUMN owner SET NOT NULL;
ALTER TABLE scenario DROP CONSTRAINT IF EXISTS scenario_name_key;
CREATE UNIQUE INDEX IF NOT EXISTS scenario_owner_name_key ON scenario (owner, name);
CREATE INDEX IF NOT EXISTS scenario_province_idx ON scenario (province_code);
