-- Citizen feedback workflow (issue 7): received -> assigned -> answered -> closed, guarded here so that the app,
-- the CLI and an import can never put a report into a state the flow does not allow. Each change of status is
-- kept in feedback_status_history, so "what was open on 30/9" can be answered after later work.
ALTER TABLE feedback ADD COLUMN IF NOT EXISTS assigned_at timestamptz;
ALTER TABLE feedback ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS feedback_received_idx ON feedback (received_at);
CREATE INDEX IF NOT EXISTS feedback_facility_idx ON feedback (facility_id) WHERE facility_id IS NOT NULL;

-- The allowed moves. A report may be re-assigned while it is assigned; an answer may be corrected before closing.
CREATE TABLE IF NOT EXISTS feedback_transition (
    from_status text NOT NULL,
    to_status   text NOT NULL,
    PRIMARY KEY (from_status, to_status)
);
INSERT INTO feedback_transition (from_status, to_status) VALUES
    ('received', 'assigned'), ('assigned', 'assigned'), ('assigned', 'answered'),
    ('answered', 'answered'), ('answered', 'closed')
ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS feedback_status_history (
    id          bigserial PRIMARY KEY,
    feedback_id bigint NOT NULL REFERENCES feedback (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    from_status text,
    to_status   text NOT NULL,
    assigned_to text
);
CREATE INDEX IF NOT EXISTS feedback_status_history_fb_idx ON feedback_status_history (feedback_id, at);

CREATE OR REPLACE FUNCTION feedback_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- An insert may carry a report already answered or closed by the hotline (an import): only its dates and
    -- fields are checked. An update that moves the status, the assignee or the answer must be an allowed move;
    -- other edits (a corrected category or commune) pass.
    IF TG_OP = 'UPDATE' AND (NEW.status IS DISTINCT FROM OLD.status OR NEW.assigned_to IS DISTINCT FROM OLD.assigned_to
                             OR NEW.answer IS DISTINCT FROM OLD.answer) THEN
        PERFORM 1 FROM feedback_transition WHERE from_status = OLD.status AND to_status = NEW.status;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'feedback %: cannot go from % to %', OLD.id, OLD.status, NEW.status
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF NEW.status IN ('assigned', 'answered', 'closed') AND NEW.assigned_to IS NULL AND TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'feedback %: % needs an assignee', NEW.id, NEW.status USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status IN ('answered', 'closed') AND (NEW.answer IS NULL OR NEW.answered_at IS NULL) THEN
        RAISE EXCEPTION 'feedback %: % needs an answer and its date', NEW.id, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status = 'closed' AND NEW.closed_at IS NULL THEN
        RAISE EXCEPTION 'feedback %: closed needs its date', NEW.id USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.answered_at < NEW.received_at OR NEW.closed_at < NEW.received_at OR NEW.closed_at < NEW.answered_at THEN
        RAISE EXCEPTION 'feedback %: dates out of order (received %, answered %, closed %)',
            NEW.id, NEW.received_at, NEW.answered_at, NEW.closed_at USING ERRCODE = 'check_violation';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS feedback_transition_guard ON feedback;
CREATE TRIGGER feedback_transition_guard BEFORE INSERT OR UPDATE ON feedback
    FOR EACH ROW EXECUTE FUNCTION feedback_check_transition();

CREATE OR REPLACE FUNCTION feedback_record_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO feedback_status_history (feedback_id, at, actor, from_status, to_status, assigned_to)
        SELECT n.id, n.received_at, audit_actor(), NULL, 'received', NULL FROM new_rows n;
        -- Imported reports that arrive already further along keep their dated steps.
        INSERT INTO feedback_status_history (feedback_id, at, actor, from_status, to_status, assigned_to)
        SELECT n.id, coalesce(n.assigned_at, n.received_at), audit_actor(), 'received', 'assigned', n.assigned_to
          FROM new_rows n WHERE n.status IN ('assigned', 'answered', 'closed') AND n.assigned_to IS NOT NULL;
        INSERT INTO feedback_status_history (feedback_id, at, actor, from_status, to_status, assigned_to)
        SELECT n.id, n.answered_at, audit_actor(), 'assigned', 'answered', n.assigned_to
          FROM new_rows n WHERE n.status IN ('answered', 'closed');
        INSERT INTO feedback_status_history (feedback_id, at, actor, from_status, to_status, assigned_to)
        SELECT n.id, n.closed_at, audit_actor(), 'answered', 'closed', n.assigned_to
          FROM new_rows n WHERE n.status = 'closed';
    ELSE
        INSERT INTO feedback_status_history (feedback_id, actor, from_status, to_status, assigned_to)
        SELECT n.id, audit_actor(), o.status, n.status, n.assigned_to
          FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE n.status IS DISTINCT FROM o.status OR n.assigned_to IS DISTINCT FROM o.assigned_to;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS feedback_history_ins ON feedback;
DROP TRIGGER IF EXISTS feedback_history_upd ON feedback;
CREATE TRIGGER feedback_history_ins AFTER INSERT ON feedback REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION feedback_record_status();
CREATE TRIGGER feedback_history_upd AFTER UPDATE ON feedback REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION feedback_record_status();

-- Days a report has been open: from receipt to closing, or to :as_of while still open (whole days, floor).
CREATE OR REPLACE FUNCTION feedback_days_open(received_at timestamptz, closed_at timestamptz, as_of timestamptz)
RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT floor(extract(epoch FROM (coalesce(least(closed_at, as_of), as_of) - received_at)) / 86400)::integer
$$;

-- Overdue: not yet answered, and received more than limit_days ago. 15 days is the default of issue 7 (the
-- time limit the province gives itself to answer a citizen); an answered report waiting to be closed is not late.
CREATE OR REPLACE FUNCTION feedback_is_overdue(status text, received_at timestamptz, answered_at timestamptz,
                                               as_of timestamptz, limit_days integer DEFAULT 15)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT (answered_at IS NULL OR answered_at > as_of)
       AND received_at <= as_of
       AND as_of - received_at > make_interval(days => limit_days)
$$;

-- Answered on time: the answer came within limit_days of receipt.
CREATE OR REPLACE FUNCTION feedback_answered_on_time(received_at timestamptz, answered_at timestamptz,
                                                     limit_days integer DEFAULT 15)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT answered_at IS NOT NULL AND answered_at - received_at <= make_interval(days => limit_days)
$$;

-- Is a commune (2025 code) inside a scope of province or commune codes? An empty scope means the whole country;
-- callers decide who gets an empty scope (an inspector never does: issue 6).
CREATE OR REPLACE FUNCTION commune_in_scope(code text, scope_codes text[]) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT cardinality(scope_codes) = 0
        OR code = ANY (scope_codes)
        OR EXISTS (SELECT 1 FROM admin_unit a WHERE a.version = '2025' AND a.level = 'commune' AND a.code = $1
                      AND a.province_code = ANY (scope_codes))
$$;
