-- Villages (thôn/bản/ấp/tổ dân phố) and grassroots information facilities. Storage in EPSG:4326; metric work
-- happens in a projected CRS in analysis/. commune_code always means a 2025 commune (admin_unit version '2025').
CREATE TABLE IF NOT EXISTS village (
    id           bigserial PRIMARY KEY,
    external_id  text,
    commune_code text NOT NULL,
    name         text NOT NULL,
    name_folded  text NOT NULL DEFAULT '',
    kind         text NOT NULL DEFAULT 'thon' CHECK (kind IN ('thon', 'ban', 'ap', 'to_dan_pho', 'other')),
    geom         geometry(Geometry, 4326) NOT NULL
                 CHECK (GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')),
    population   integer CHECK (population >= 0),
    households   integer CHECK (households >= 0),
    synthetic    boolean NOT NULL DEFAULT false,   -- made by our demo generator, not surveyed
    batch_id     bigint REFERENCES load_batch (id),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS village_geom_gix ON village USING gist (geom);
CREATE INDEX IF NOT EXISTS village_commune_idx ON village (commune_code);
CREATE UNIQUE INDEX IF NOT EXISTS village_external_id_key ON village (external_id) WHERE external_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS facility (
    id                bigserial PRIMARY KEY,
    external_id       text,
    type              text NOT NULL REFERENCES facility_type (code),
    technology        text REFERENCES technology (code),
    name              text,
    commune_code      text NOT NULL,
    village_id        bigint REFERENCES village (id) ON DELETE SET NULL,
    geom              geometry(Point, 4326) NOT NULL,
    status            text NOT NULL DEFAULT 'operational' REFERENCES facility_status (code),
    installed_year    integer CHECK (installed_year BETWEEN 1945 AND 2100),
    n_horns           integer CHECK (n_horns >= 0),
    watts             double precision CHECK (watts >= 0),
    radius_m          double precision CHECK (radius_m >= 0),
    note              text,
    source_crs        text,                       -- CRS the coordinates came in (per record: DOMAIN.md §5.4)
    synthetic         boolean NOT NULL DEFAULT false,
    batch_id          bigint REFERENCES load_batch (id),
    version           integer NOT NULL DEFAULT 1, -- bumped on every change: optimistic concurrency in the app
    last_inspected_at timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    attributes        jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS facility_geom_gix ON facility USING gist (geom);
CREATE INDEX IF NOT EXISTS facility_commune_idx ON facility (commune_code);
CREATE INDEX IF NOT EXISTS facility_type_status_idx ON facility (type, status);
CREATE UNIQUE INDEX IF NOT EXISTS facility_external_id_key ON facility (external_id) WHERE external_id IS NOT NULL;
