-- Which database a connection reaches (app/live_gis/tile_versions.py): the database's oid, and (a second query,
-- sql/queries/ogc_cluster_identity.sql, where the role may read it) the cluster's system identifier. A database
-- made again under the same URL (a demo loaded afresh, a restore) starts its tile versions from zero again and
-- must not find the tiles of the one before it in the machine's tile cache: the kept tiles' stamps hold these
-- too. Read once per connection.
SELECT '#database' AS province, oid::bigint AS version FROM pg_database WHERE datname = current_database()
