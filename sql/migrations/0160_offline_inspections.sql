-- Issue 20: inspections recorded offline on the inspector's phone and sent later.
-- client_uuid: made on the phone when the inspection is saved there; the server stores each exactly once,
--   however often a send is repeated or cut (a unique key: INSERT ... ON CONFLICT DO NOTHING).
-- base_version: the facility's version in the area pack the phone worked from. When the facility changed since
--   (another inspector's inspection reached the server first), both inspections are kept, the later inspection
--   decides the status (the trigger of 0006) and conflict_with names the other one, for the label shown to the
--   inspector whose status did not win.
-- accuracy_m: the phone's GPS accuracy of geom_reported, in metres.
ALTER TABLE inspection ADD COLUMN IF NOT EXISTS client_uuid uuid;
ALTER TABLE inspection ADD COLUMN IF NOT EXISTS base_version integer;
ALTER TABLE inspection ADD COLUMN IF NOT EXISTS accuracy_m double precision CHECK (accuracy_m >= 0);
ALTER TABLE inspection ADD COLUMN IF NOT EXISTS conflict_with bigint REFERENCES inspection (id);
CREATE UNIQUE INDEX IF NOT EXISTS inspection_client_uuid_key ON inspection (client_uuid);
CREATE INDEX IF NOT EXISTS inspection_conflict_idx ON inspection (conflict_with) WHERE conflict_with IS NOT NULL;

-- Up to three photos an inspection (the first also in inspection.photo, which the Kiểm tra page and the
-- exports read). Append-only and audited like the inspections (the audit leaves the bytes out).
CREATE TABLE IF NOT EXISTS inspection_photo (
    id            bigserial PRIMARY KEY,
    inspection_id bigint NOT NULL REFERENCES inspection (id),
    position      smallint NOT NULL CHECK (position BETWEEN 1 AND 3),
    photo         bytea NOT NULL,
    photo_mime    text NOT NULL CHECK (photo_mime IN ('image/jpeg', 'image/png')),
    UNIQUE (inspection_id, position)
);
DROP TRIGGER IF EXISTS inspection_photo_append_only ON inspection_photo;
CREATE TRIGGER inspection_photo_append_only BEFORE UPDATE OR DELETE ON inspection_photo
    FOR EACH ROW EXECUTE FUNCTION inspection_is_append_only();
DROP TRIGGER IF EXISTS inspection_photo_audit_ins ON inspection_photo;
CREATE TRIGGER inspection_photo_audit_ins AFTER INSERT ON inspection_photo REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('id');
