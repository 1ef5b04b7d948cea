-- Investment scenarios (DESIGN.md §6): a budget, its parameters and the actions the optimiser chose.
CREATE TABLE IF NOT EXISTS scenario (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    budget_vnd    numeric(18, 0) NOT NULL CHECK (budget_vnd >= 0),
    province_code text,
    params        jsonb NOT NULL DEFAULT '{}'::jsonb,   -- unit costs, options, solver, status, gap, totals
    created_by    text NOT NULL DEFAULT session_user,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS scenario_action (
    id               bigserial PRIMARY KEY,
    scenario_id      bigint NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
    action           text NOT NULL CHECK (action IN ('repair_cluster', 'new_ip_cluster', 'new_fm_cluster',
                                                     'upgrade_station_ip', 'build_station')),
    facility_id      bigint REFERENCES facility (id),
    geom             geometry(Point, 4326),
    commune_code     text,
    cost_vnd         numeric(18, 0) NOT NULL CHECK (cost_vnd >= 0),
    added_population double precision NOT NULL DEFAULT 0,
    added_villages   integer NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS scenario_action_scenario_idx ON scenario_action (scenario_id);
CREATE INDEX IF NOT EXISTS scenario_action_geom_gix ON scenario_action USING gist (geom);
