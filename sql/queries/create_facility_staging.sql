-- Staging for the rows of a facility survey that may be stored facilities already (etl.facilities: their
-- external id is stored, or they have none and stored facilities without one lie near): checked, placed in
-- their 2025 commune and village, COPYed in insert order. lon/lat are EPSG:4326 degrees; match_id is the stored
-- facility a row updates (by external id from the loader, by place from match_staged_facilities.sql).
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
    village_id      bigint,
    match_id        bigint,
    -- insert order: by commune, then spatially (etl.facilities sends the rows in that order)
    ord             integer GENERATED ALWAYS AS IDENTITY
) ON COMMIT DROP;
