-- Coverage snapshots by reporting period (issue 7): a copy of every commune's coverage figures and facility
-- counts, taken at a date and kept, so that a report "as of 30/9/2026" gives the same numbers after later
-- inspections have changed coverage_commune. Period keys: '2026-07' (month), '2026-Q3' (quarter), '2026' (year).
CREATE TABLE IF NOT EXISTS coverage_snapshot (
    period       text NOT NULL CHECK (period ~ '^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$'),
    taken_at     timestamptz NOT NULL DEFAULT now(),
    taken_by     text NOT NULL DEFAULT audit_actor(),
    communes     integer NOT NULL,
    run_ids      bigint[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (period)
);

CREATE TABLE IF NOT EXISTS coverage_snapshot_commune (
    period              text NOT NULL REFERENCES coverage_snapshot (period) ON DELETE CASCADE,
    commune_code        text NOT NULL,
    province_code       text,
    name                text,
    class               text NOT NULL,
    reason              text NOT NULL,
    ntm_8_3             boolean NOT NULL,
    station_operational boolean NOT NULL,
    pop_total           double precision,
    pop_covered         double precision,
    pop_covered_share   double precision,
    villages_total      integer NOT NULL,
    villages_reached    integer NOT NULL,
    clusters_working    integer NOT NULL,
    clusters_broken     integer NOT NULL,
    covered_area_km2    double precision NOT NULL,
    rule_version        text NOT NULL,
    run_id              bigint,
    data_date           date,
    PRIMARY KEY (period, commune_code)
);
CREATE INDEX IF NOT EXISTS coverage_snapshot_commune_prov_idx ON coverage_snapshot_commune (period, province_code);

-- Facilities counted by type, technology and status at snapshot time (NULL technology kept as '').
CREATE TABLE IF NOT EXISTS coverage_snapshot_facility (
    period       text NOT NULL REFERENCES coverage_snapshot (period) ON DELETE CASCADE,
    commune_code text NOT NULL,
    type         text NOT NULL,
    technology   text NOT NULL,
    status       text NOT NULL,
    n            integer NOT NULL CHECK (n > 0),
    PRIMARY KEY (period, commune_code, type, technology, status)
);
