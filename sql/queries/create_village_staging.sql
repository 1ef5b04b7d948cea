-- Staging for a village file: points or polygons (EPSG:4326, hex EWKB) that passed the checks in Python.
CREATE TEMP TABLE etl_village_stage (
    n            integer PRIMARY KEY,   -- spreadsheet row or feature number
    external_id  text,
    name         text NOT NULL,
    name_folded  text NOT NULL,
    kind         text NOT NULL,
    geom         geometry(Geometry, 4326) NOT NULL,
    population   integer,
    households   integer,
    attributes   jsonb,
    commune_code text,
    match_id     bigint
) ON COMMIT DROP;
