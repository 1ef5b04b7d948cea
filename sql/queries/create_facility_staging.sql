-- Staging for a facility survey: the rows that passed every check in Python (placed in their 2025 commune,
-- swapped lon/lat already fixed), COPYed in one go in insert order. lon/lat are EPSG:4326 degrees;
-- village_folded is the typed thôn/bản folded as etl.names.fold_place_name does. match_id and village_id are
-- filled by match_staged_facilities.sql.
CREATE TEMP TABLE etl_facility_stage (
    n               integer NOT NULL,      -- spreadsheet row number (unique: one row each; no index to keep)
    external_id     text,
    name            text,
    type            text NOT NULL,
    technology      text,
    status          text NOT NULL,
    installed_year  integer,
    n_horns         integer,
    watts           double precision,
    radius_m        double precision,
    note            text,
    attributes      jsonb,
    lon             double precision NOT NULL,
    lat             double precision NOT NULL,
    commune_code    text NOT NULL,
    village_folded  text,
    match_id        bigint,
    village_id      bigint,
    -- insert order: by commune, then spatially (etl.facilities sends the rows in that order)
    ord             integer GENERATED ALWAYS AS IDENTITY
) ON COMMIT DROP;
