"""The database layer: settings, engine, migrations, named queries and the embedded PostGIS cluster."""
