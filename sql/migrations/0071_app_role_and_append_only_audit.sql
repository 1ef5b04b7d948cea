-- The web app's own database role, phusong_app, with the least rights it needs, and an append-only audit_log
-- (issue 14). `phusong serve` connects as phusong_app when the database is the embedded one (app/commands/serve.py);
-- README says how to do the same on another server.
--
-- phusong_app may SELECT, INSERT, UPDATE and DELETE rows of the app's tables and use their sequences. It owns
-- nothing, so it cannot drop, alter or truncate a table, disable a trigger or change a grant. On audit_log it may
-- only SELECT (the admin page shows it) and INSERT.
--
-- Tables and sequences created LATER by the role that runs the migrations (every migration after this one, in
-- any number range) get the same rights automatically through ALTER DEFAULT PRIVILEGES below: a new migration
-- needs no GRANT of its own. A table that must be append-only like audit_log has to REVOKE UPDATE, DELETE itself.
--
-- Roles belong to the whole PostgreSQL server, not to one database: the role is created once and kept. A
-- migrating user who may not create roles (a non-superuser without CREATEROLE on a foreign server) gets one
-- warning and the migration goes on without the role; the database owner then runs the app as they choose.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'phusong_app') THEN
        BEGIN
            -- LOGIN without a password: the embedded cluster trusts loopback; elsewhere the DBA sets one.
            CREATE ROLE phusong_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'phusong: the database user % may not create the role phusong_app, so the app keeps '
                          'connecting as %; ask the server''s administrator to run CREATE ROLE phusong_app LOGIN '
                          'and then `phusong db migrate` again (see README).', current_user, current_user;
        END;
    END IF;
END $$;

-- The grants need the role; without it (see above) there is nothing to grant.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'phusong_app') THEN
        RETURN;
    END IF;
    BEGIN  -- PUBLIC has both by default; only the database's owner may grant them explicitly
        EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO phusong_app', current_database());
    EXCEPTION WHEN insufficient_privilege THEN
        NULL;
    END;
    GRANT USAGE ON SCHEMA public TO phusong_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO phusong_app;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO phusong_app;
    -- Future tables and sequences of the migrating role (later migrations): the same rights, with no GRANT.
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO phusong_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO phusong_app;
    -- Append-only, and the ledger of migrations is not the app's to touch.
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM phusong_app;
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM phusong_app;
    -- A bulk survey load sets the facility indexes aside and rebuilds them (0015), which only the tables' owner
    -- may do: these two functions run with their owner's rights, and only phusong_app (and the owner) call them.
    ALTER FUNCTION set_aside_indexes(regclass) SECURITY DEFINER SET search_path = public, pg_temp;
    ALTER FUNCTION restore_indexes(regclass) SECURITY DEFINER SET search_path = public, pg_temp;
    REVOKE EXECUTE ON FUNCTION set_aside_indexes(regclass), restore_indexes(regclass) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION set_aside_indexes(regclass), restore_indexes(regclass) TO phusong_app;
END $$;

-- Whatever the grants: no one but the table's owner updates, deletes or truncates audit rows (a superuser who
-- is not the owner included; the owner keeps the right for maintenance such as archiving old rows).
CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_user <> (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID) THEN
        RAISE EXCEPTION 'audit_log is append-only: % by % refused', TG_OP, current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
