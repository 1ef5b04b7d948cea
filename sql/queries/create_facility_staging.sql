-- Staging for a facility survey: the rows that passed the checks in Python, COPYed in one go. lon/lat are
-- EPSG:4326 degrees; commune_code / swap_code are the communes etl.facilities placed the points in; the
-- *_folded columns hold the typed place names folded as etl.names.fold_place_name does.
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
    source_crs      text,
    attributes      jsonb,
    lon             double precision NOT NULL,
    lat             double precision NOT NULL,
    swap_candidate  boolean NOT NULL,
    commune_typed   text,
    commune_folded  text,
    province_folded text,
    village_folded  text,
    commune_code    text,                  -- the commune the point lies in (not for swap candidates)
    swap_code       text,                  -- swap candidates: the commune of the swapped point
    ord             integer NOT NULL       -- insert order: by commune, then spatially (etl.facilities)
) ON COMMIT DROP;
