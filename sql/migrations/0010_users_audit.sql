-- Users with a role and a scope (province or commune codes; empty = whole country), and the audit log.
CREATE TABLE IF NOT EXISTS app_user (
    name            text PRIMARY KEY,
    password_hash   text NOT NULL,
    role            text NOT NULL CHECK (role IN ('planner', 'inspector', 'budget', 'admin')),
    scope_codes     text[] NOT NULL DEFAULT '{}',
    active          boolean NOT NULL DEFAULT true,
    failed_logins   integer NOT NULL DEFAULT 0,
    last_failed_at  timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS audit_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    "user"    text NOT NULL,
    action    text NOT NULL,
    entity    text NOT NULL,
    entity_id text,
    before    jsonb,
    after     jsonb
);
CREATE INDEX IF NOT EXISTS audit_log_entity_idx ON audit_log (entity, entity_id);
CREATE INDEX IF NOT EXISTS audit_log_at_idx ON audit_log (at DESC);

-- Who is writing: the app and the CLI set phusong.user for their transaction (set_config(..., true));
-- anything else is recorded under the database login.
CREATE OR REPLACE FUNCTION audit_actor() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('phusong.user', true), ''), session_user::text)
$$;

-- One statement-level trigger function for every audited table: set-based, so a bulk load of 200,000 rows
-- costs one INSERT ... SELECT, not 200,000 trigger calls. TG_ARGV[0] names the key column. Geometry is kept
-- as GeoJSON and photos are left out (they stay in their own table).
CREATE OR REPLACE FUNCTION audit_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    key text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO audit_log ("user", action, entity, entity_id, before, after)
        SELECT audit_actor(), 'insert', TG_TABLE_NAME, j->>key, NULL, j
          FROM (SELECT to_jsonb(n) - 'photo' - 'password_hash' AS j FROM new_rows n) s;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO audit_log ("user", action, entity, entity_id, before, after)
        SELECT audit_actor(), 'update', TG_TABLE_NAME, o.j->>key, o.j, n.j
          FROM (SELECT to_jsonb(x) - 'photo' - 'password_hash' AS j FROM old_rows x) o
          JOIN (SELECT to_jsonb(x) - 'photo' - 'password_hash' AS j FROM new_rows x) n
            ON o.j->>key = n.j->>key
         WHERE o.j IS DISTINCT FROM n.j;
    ELSE
        INSERT INTO audit_log ("user", action, entity, entity_id, before, after)
        SELECT audit_actor(), 'delete', TG_TABLE_NAME, j->>key, j, NULL
          FROM (SELECT to_jsonb(o) - 'photo' - 'password_hash' AS j FROM old_rows o) s;
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('facility', 'id'), ('village', 'id'), ('inspection', 'id'),
                                   ('feedback', 'id'), ('scenario', 'id'), ('app_user', 'name'))
                         AS v(tbl, key)
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
