-- Citizen feedback register: received -> assigned -> answered -> closed. reporter_contact is shown to admins only.
CREATE TABLE IF NOT EXISTS feedback (
    id               bigserial PRIMARY KEY,
    received_at      timestamptz NOT NULL,
    channel          text NOT NULL CHECK (channel IN ('hotline', 'zalo', 'web_form', 'meeting', 'source_app')),
    commune_code     text,
    facility_id      bigint REFERENCES facility (id),
    geom             geometry(Point, 4326),
    category         text NOT NULL CHECK (category IN ('loudspeaker_broken', 'inaudible', 'wrong_schedule',
                                                       'content', 'other')),
    text             text NOT NULL,
    reporter_contact text,
    status           text NOT NULL DEFAULT 'received'
                     CHECK (status IN ('received', 'assigned', 'answered', 'closed')),
    assigned_to      text,
    answer           text,
    answered_at      timestamptz,
    closed_at        timestamptz,
    batch_id         bigint REFERENCES load_batch (id),
    created_by       text NOT NULL DEFAULT session_user
);
CREATE INDEX IF NOT EXISTS feedback_commune_idx ON feedback (commune_code, status);
CREATE INDEX IF NOT EXISTS feedback_geom_gix ON feedback USING gist (geom);
