-- Staging for an inspection file (Kobo, ODK or CSV): rows that passed the checks in Python.
CREATE TEMP TABLE etl_inspection_stage (
    n             integer PRIMARY KEY,    -- spreadsheet row number
    facility_ref  text NOT NULL,          -- the facility's external id, or phusong's own id
    inspector     text NOT NULL,
    inspected_at  timestamptz NOT NULL,
    status_found  text NOT NULL,
    note          text,
    submission_id text,
    lon           double precision,
    lat           double precision,
    facility_id   bigint
) ON COMMIT DROP;
