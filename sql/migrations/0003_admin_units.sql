-- Administrative units of both eras side by side. Codes are unique only within a version: most 2025 commune
-- codes reuse a pre-2025 code for another unit (DOMAIN.md §4), so the key is (version, level, code).
CREATE TABLE IF NOT EXISTS admin_unit (
    version           text NOT NULL CHECK (version IN ('2025', 'pre2025')),
    level             text NOT NULL CHECK (level IN ('province', 'district', 'commune')),
    code              text NOT NULL,
    name              text NOT NULL,
    name_folded       text NOT NULL,               -- no diacritics, lower case: for search
    unit_type         text,                        -- Xã / Phường / Đặc khu / Tỉnh / Thành phố ...
    parent_code       text,                        -- province of a 2025 commune; district of a pre-2025 commune
    province_code     text,
    geom              geometry(MultiPolygon, 4326) NOT NULL,
    area_km2          double precision,            -- geodesic area of geom
    population        double precision,            -- census 2019 (2025 communes: apportioned by area share)
    population_source text,
    attributes        jsonb NOT NULL DEFAULT '{}'::jsonb,
    batch_id          bigint,
    loaded_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (version, level, code),
    CONSTRAINT no_districts_after_2025 CHECK (NOT (version = '2025' AND level = 'district'))
);
CREATE INDEX IF NOT EXISTS admin_unit_geom_gix ON admin_unit USING gist (geom);
CREATE INDEX IF NOT EXISTS admin_unit_parent_idx ON admin_unit (version, level, parent_code);
CREATE INDEX IF NOT EXISTS admin_unit_province_idx ON admin_unit (version, level, province_code);
CREATE INDEX IF NOT EXISTS admin_unit_name_folded_idx ON admin_unit (name_folded text_pattern_ops);

-- Old commune -> new communes with the share of the old commune's area that went to each new one; used to
-- re-total pre-2025 statistics (census 2019) on 2025 communes. Shares of one old commune sum to 1.
CREATE TABLE IF NOT EXISTS admin_crosswalk (
    old_code   text NOT NULL,
    new_code   text NOT NULL,
    area_share double precision NOT NULL CHECK (area_share > 0 AND area_share <= 1.000001),
    method     text NOT NULL DEFAULT 'area_overlay',
    PRIMARY KEY (old_code, new_code)
);
CREATE INDEX IF NOT EXISTS admin_crosswalk_new_idx ON admin_crosswalk (new_code);

-- 2019 census rows as published (pre-2025 national codes), kept so every apportioned figure can be traced.
CREATE TABLE IF NOT EXISTS census_commune (
    code          text PRIMARY KEY,       -- ma_xa (5 digits, 2019 scheme)
    district_code text,
    province_code text,
    name          text NOT NULL,
    district_name text,
    province_name text,
    pop_total     double precision NOT NULL CHECK (pop_total >= 0),
    pop_urban     double precision,
    pop_rural     double precision,
    census_year   int NOT NULL DEFAULT 2019
);

-- The one view most code wants: current (2025) communes.
CREATE OR REPLACE VIEW commune AS
SELECT code, name, name_folded, unit_type, province_code, geom, area_km2, population, population_source
FROM admin_unit WHERE version = '2025' AND level = 'commune';
