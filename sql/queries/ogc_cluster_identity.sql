-- The cluster's system identifier (shared by its streaming replicas; a cluster made again gets a new one), for the
-- tile versions' identity of the database (sql/queries/ogc_database_identity.sql). pg_control_system() is open to
-- every role on a default PostgreSQL; where a managed server refuses it, the database's oid stands alone.
SELECT '#cluster' AS province, system_identifier AS version FROM pg_control_system()
