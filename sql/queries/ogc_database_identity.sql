-- Which database a connection reaches (app/live_gis/tile_versions.py): the cluster's system identifier (shared by
-- its streaming replicas) and the database's oid. A database made again under the same URL (a demo loaded
-- afresh, a restore) starts its tile versions from zero again and must not find the tiles of the one before it
-- in the machine's tile cache: the kept tiles' stamps hold these too. Read once per connection.
SELECT '#cluster' AS province, system_identifier AS version FROM pg_control_system()
UNION ALL
SELECT '#database', oid::bigint FROM pg_database WHERE datname = current_database()
