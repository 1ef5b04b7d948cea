-- Issue 21 (inspector): an inspection saved in the app can be withdrawn by its inspector (an undo within a few
-- minutes, or a correction the same day, which appends the corrected inspection with corrects_id). Inspections
-- stay append-only otherwise: the only change allowed is setting withdrawn_at/withdrawn_by once, audited like
-- every write. A withdrawn inspection no longer decides the facility's status: the latest remaining inspection
-- does, or the status the facility had before the withdrawn one was saved (kept in status_before at insert).
ALTER TABLE inspection ADD COLUMN IF NOT EXISTS withdrawn_at timestamptz;
ALTER TABLE inspection ADD COLUMN IF NOT EXISTS withdrawn_by text;
ALTER TABLE inspection ADD COLUMN IF NOT EXISTS corrects_id bigint REFERENCES inspection (id);
ALTER TABLE inspection ADD COLUMN IF NOT EXISTS status_before text;
ALTER TABLE inspection ADD COLUMN IF NOT EXISTS last_inspected_before timestamptz;
CREATE INDEX IF NOT EXISTS inspection_inspector_recorded_idx ON inspection (inspector, recorded_at DESC);

-- The facility's state before an app inspection (bulk loads are not withdrawn: the WHEN clause skips them).
CREATE OR REPLACE FUNCTION remember_status_before_inspection() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT status, last_inspected_at INTO NEW.status_before, NEW.last_inspected_before
      FROM facility WHERE id = NEW.facility_id;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS inspection_status_before ON inspection;
CREATE TRIGGER inspection_status_before BEFORE INSERT ON inspection
    FOR EACH ROW WHEN (NEW.source = 'app') EXECUTE FUNCTION remember_status_before_inspection();

CREATE OR REPLACE FUNCTION inspection_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.withdrawn_at IS NULL AND NEW.withdrawn_at IS NOT NULL
       AND NEW.withdrawn_by IS NOT NULL
       AND (to_jsonb(NEW) - 'withdrawn_at' - 'withdrawn_by') = (to_jsonb(OLD) - 'withdrawn_at' - 'withdrawn_by') THEN
        RETURN NEW;  -- the one change allowed: withdrawn, once
    END IF;
    RAISE EXCEPTION 'inspections are append-only: % of inspection % refused', TG_OP, OLD.id;
END $$;

CREATE OR REPLACE FUNCTION apply_inspection_withdrawal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    latest record;
BEGIN
    SELECT status_found, inspected_at INTO latest
      FROM inspection
     WHERE facility_id = NEW.facility_id AND withdrawn_at IS NULL
     ORDER BY inspected_at DESC, id DESC LIMIT 1;
    IF latest.inspected_at IS NOT NULL
       AND (NEW.last_inspected_before IS NULL OR latest.inspected_at >= NEW.last_inspected_before) THEN
        UPDATE facility SET status = latest.status_found, last_inspected_at = latest.inspected_at,
                            updated_at = now(), version = version + 1
         WHERE id = NEW.facility_id
           AND (status IS DISTINCT FROM latest.status_found OR last_inspected_at IS DISTINCT FROM latest.inspected_at);
    ELSIF NEW.status_before IS NOT NULL THEN
        UPDATE facility SET status = NEW.status_before, last_inspected_at = NEW.last_inspected_before,
                            updated_at = now(), version = version + 1
         WHERE id = NEW.facility_id
           AND (status IS DISTINCT FROM NEW.status_before
                OR last_inspected_at IS DISTINCT FROM NEW.last_inspected_before);
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS inspection_withdrawal_applies ON inspection;
CREATE TRIGGER inspection_withdrawal_applies AFTER UPDATE OF withdrawn_at ON inspection
    FOR EACH ROW WHEN (OLD.withdrawn_at IS NULL AND NEW.withdrawn_at IS NOT NULL)
    EXECUTE FUNCTION apply_inspection_withdrawal();
