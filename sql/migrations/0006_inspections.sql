-- Inspections are the status history: append-only. A facility's current status is its latest inspection's
-- (by inspected_at, then id), applied here so that the app and the ETL cannot disagree about it.
CREATE TABLE IF NOT EXISTS inspection (
    id            bigserial PRIMARY KEY,
    facility_id   bigint NOT NULL REFERENCES facility (id),
    inspector     text NOT NULL,
    inspected_at  timestamptz NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    status_found  text NOT NULL REFERENCES facility_status (code),
    note          text,
    photo         bytea,
    photo_mime    text CHECK (photo_mime IN ('image/jpeg', 'image/png')),
    geom_reported geometry(Point, 4326),
    submission_id text,           -- Kobo _uuid / ODK meta-instanceID: a submission seen before is skipped
    source        text NOT NULL DEFAULT 'app' CHECK (source IN ('app', 'kobo', 'odk', 'csv')),
    batch_id      bigint REFERENCES load_batch (id)
);
CREATE INDEX IF NOT EXISTS inspection_facility_idx ON inspection (facility_id, inspected_at DESC);
CREATE INDEX IF NOT EXISTS inspection_geom_gix ON inspection USING gist (geom_reported);
CREATE UNIQUE INDEX IF NOT EXISTS inspection_submission_key ON inspection (submission_id)
    WHERE submission_id IS NOT NULL;

CREATE OR REPLACE FUNCTION inspection_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'inspections are append-only: % of inspection % refused', TG_OP, OLD.id;
END $$;
DROP TRIGGER IF EXISTS inspection_append_only ON inspection;
CREATE TRIGGER inspection_append_only BEFORE UPDATE OR DELETE ON inspection
    FOR EACH ROW EXECUTE FUNCTION inspection_is_append_only();

-- Two inspectors saving the same facility: both rows stay; the later inspection decides the status.
CREATE OR REPLACE FUNCTION apply_inspection_to_facility() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE facility
       SET status = NEW.status_found,
           last_inspected_at = NEW.inspected_at,
           updated_at = now(),
           version = version + 1
     WHERE id = NEW.facility_id
       AND (last_inspected_at IS NULL OR last_inspected_at <= NEW.inspected_at);
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS inspection_applies_status ON inspection;
CREATE TRIGGER inspection_applies_status AFTER INSERT ON inspection
    FOR EACH ROW EXECUTE FUNCTION apply_inspection_to_facility();
