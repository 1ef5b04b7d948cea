-- Issue 23: inspection plans (kế hoạch kiểm tra, giám sát). A plan is one province's period (a quarter, month or
-- year in Viet Nam time); its assignments say which facility is due, who checks it, by when, and whether it was
-- done. analysis/inspection_plans.py proposes them; planners and admins edit them in the app (reassign, remove).
--
-- period_start / period_end are the first and the LAST day of the period (inclusive), Viet Nam dates.
CREATE TABLE IF NOT EXISTS inspection_plan (
    id            bigserial PRIMARY KEY,
    province_code text NOT NULL,
    period        text NOT NULL,                 -- '2027-Q1', '2027-01' or '2027' (analysis.reports.parse_period)
    period_start  date NOT NULL,
    period_end    date NOT NULL CHECK (period_end >= period_start),
    every_days    integer NOT NULL CHECK (every_days > 0),
    types         text[],                        -- NULL: every facility type
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (province_code, period)
);

-- One row per facility of a plan. inspector NULL: nobody's scope holds it (unassigned_reason says why).
-- status: open -> done (an inspection in the period, set by the triggers below) or removed (by a planner);
-- a withdrawn inspection (0150) reopens a done one. priority: 0 open citizen feedback, 1 reported broken, 2 other.
CREATE TABLE IF NOT EXISTS inspection_assignment (
    id                bigserial PRIMARY KEY,
    plan_id           bigint NOT NULL REFERENCES inspection_plan (id) ON DELETE CASCADE,
    facility_id       bigint NOT NULL REFERENCES facility (id),
    commune_code      text NOT NULL,
    inspector         text REFERENCES app_user (name),
    unassigned_reason text,
    priority          smallint NOT NULL DEFAULT 2 CHECK (priority BETWEEN 0 AND 2),
    due_date          date NOT NULL,
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'removed')),
    inspection_id     bigint REFERENCES inspection (id),
    done_at           timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (plan_id, facility_id),
    CHECK ((status = 'done') = (inspection_id IS NOT NULL)),
    CHECK (inspector IS NOT NULL OR unassigned_reason IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS inspection_assignment_facility_idx ON inspection_assignment (facility_id)
    WHERE status = 'open';
CREATE INDEX IF NOT EXISTS inspection_assignment_inspector_idx ON inspection_assignment (inspector, status);
CREATE INDEX IF NOT EXISTS inspection_assignment_inspection_idx ON inspection_assignment (inspection_id)
    WHERE inspection_id IS NOT NULL;

-- Audited like every write (the statement-level audit_rows of 0010: one INSERT ... SELECT for a whole plan).
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('inspection_plan', 'id'), ('inspection_assignment', 'id')) AS v(tbl, key)
    LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t.tbl || '_audit_ins', t.tbl);
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t.tbl || '_audit_upd', t.tbl);
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t.tbl || '_audit_del', t.tbl);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(%L)', t.tbl || '_audit_ins', t.tbl, t.key);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(%L)', t.tbl || '_audit_upd', t.tbl, t.key);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(%L)', t.tbl || '_audit_del', t.tbl, t.key);
    END LOOP;
END $$;

-- The Viet Nam date of a moment: periods and due dates are the province's calendar days.
CREATE OR REPLACE FUNCTION vn_date(at timestamptz) RETURNS date LANGUAGE sql IMMUTABLE AS $$
    SELECT (at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
$$;

-- An inspection recorded in a plan's period completes the facility's open assignment, whichever way it came
-- (the app's save, the offline page's sync, a Kobo/ODK/CSV upload): one trigger on inspection, so no write path
-- can forget it. Set-based (a transition table) so a bulk upload costs one UPDATE. The earliest inspection of
-- the period is the one that completes it.
CREATE OR REPLACE FUNCTION complete_inspection_assignments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE inspection_assignment a
       SET status = 'done', inspection_id = m.inspection_id, done_at = m.inspected_at, updated_at = now()
      FROM (SELECT DISTINCT ON (a2.id) a2.id AS assignment_id, n.id AS inspection_id, n.inspected_at
              FROM new_rows n
              JOIN inspection_assignment a2 ON a2.facility_id = n.facility_id AND a2.status = 'open'
              JOIN inspection_plan p ON p.id = a2.plan_id
             WHERE n.withdrawn_at IS NULL
               AND vn_date(n.inspected_at) BETWEEN p.period_start AND p.period_end
             ORDER BY a2.id, n.inspected_at, n.id) m
     WHERE a.id = m.assignment_id;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS inspection_completes_assignment ON inspection;
CREATE TRIGGER inspection_completes_assignment AFTER INSERT ON inspection REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION complete_inspection_assignments();

-- A withdrawn inspection (an undo or a correction, 0150) no longer completes anything: its assignment passes to
-- another inspection of the facility in the period, or opens again.
CREATE OR REPLACE FUNCTION reopen_inspection_assignments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE inspection_assignment a
       SET status = CASE WHEN other.id IS NULL THEN 'open' ELSE 'done' END,
           inspection_id = other.id, done_at = other.inspected_at, updated_at = now()
      FROM inspection_plan p
      LEFT JOIN LATERAL (
          SELECT i.id, i.inspected_at FROM inspection i
           WHERE i.facility_id = NEW.facility_id AND i.withdrawn_at IS NULL AND i.id <> NEW.id
             AND vn_date(i.inspected_at) BETWEEN p.period_start AND p.period_end
           ORDER BY i.inspected_at, i.id LIMIT 1) other ON true
     WHERE a.inspection_id = NEW.id AND p.id = a.plan_id;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS inspection_withdrawal_reopens_assignment ON inspection;
CREATE TRIGGER inspection_withdrawal_reopens_assignment AFTER UPDATE OF withdrawn_at ON inspection
    FOR EACH ROW WHEN (OLD.withdrawn_at IS NULL AND NEW.withdrawn_at IS NOT NULL)
    EXECUTE FUNCTION reopen_inspection_assignments();
