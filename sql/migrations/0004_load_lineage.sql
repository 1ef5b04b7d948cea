-- Lineage of every loaded file: one batch per file, every rejected or warned row with its reason.
CREATE TABLE IF NOT EXISTS load_batch (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('boundaries', 'villages', 'facilities', 'inspections',
                                             'population', 'feedback', 'census')),
    file       text NOT NULL,
    sha256     text NOT NULL,
    format     text,
    rows       integer NOT NULL DEFAULT 0,
    loaded     integer NOT NULL DEFAULT 0,
    updated    integer NOT NULL DEFAULT 0,
    unchanged  integer NOT NULL DEFAULT 0,
    warned     integer NOT NULL DEFAULT 0,
    rejected   integer NOT NULL DEFAULT 0,
    params     jsonb NOT NULL DEFAULT '{}'::jsonb,
    loaded_by  text NOT NULL DEFAULT session_user,
    loaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS load_batch_sha_idx ON load_batch (kind, sha256);

CREATE TABLE IF NOT EXISTS load_reject (
    id        bigserial PRIMARY KEY,
    batch_id  bigint NOT NULL REFERENCES load_batch (id) ON DELETE CASCADE,
    row       integer,            -- spreadsheet row number: the header is row 1
    field     text,
    value     text,
    reason    text NOT NULL,
    severity  text NOT NULL DEFAULT 'reject' CHECK (severity IN ('reject', 'warning'))
);
CREATE INDEX IF NOT EXISTS load_reject_batch_idx ON load_reject (batch_id);
