"""The database layer: settings, engine, migrations, named queries (``queries/*.sql``), bulk COPY in and out,
formula-safe cells, the embedded PostGIS cluster, and ``errors``: PhusongError, the root of every error phusong
raises on purpose, with its branches (input refused, not found, not allowed, conflict, set-up)."""
