-- Issue 18: NTM rule sets as data, commune groups (QĐ 51/2025/QĐ-TTg), and the Công văn 271 planner actions.

-- Rule sets a province added (`phusong rules add FILE`): the checked YAML text as given. A stored set with the
-- name of a shipped one (analysis/rules/*.yaml) replaces it everywhere (analysis, exports, the app).
CREATE TABLE IF NOT EXISTS rule_set (
    name     text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$'),
    content  text NOT NULL,
    sha256   text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    added_by text NOT NULL DEFAULT audit_actor(),
    added_at timestamptz NOT NULL DEFAULT now()
);

-- The group of each commune under QĐ 51/2025/QĐ-TTg (1, 2 or 3) and the decision that set it
-- (`phusong load commune-groups FILE`). A commune without a row is judged as group 2 and outputs say
-- "nhóm chưa xác định". No foreign key to commune: the loader checks the codes against the 2025 units.
CREATE TABLE IF NOT EXISTS commune_group (
    commune_code text PRIMARY KEY,
    commune_group integer NOT NULL CHECK (commune_group BETWEEN 1 AND 3),
    decision     text NOT NULL,
    batch_id     bigint REFERENCES load_batch (id),
    loaded_at    timestamptz NOT NULL DEFAULT now()
);

-- Results say which set judged them (its name and the sha256 of its text), the group used, and whether any
-- threshold of the set is provisional; commune_culture_houses is the measure of the culture-house indicator
-- (working cultural houses not tied to a village). Earlier rows keep NULL: they were judged by QĐ 318.
ALTER TABLE coverage_run ADD COLUMN IF NOT EXISTS rules_name text;
ALTER TABLE coverage_run ADD COLUMN IF NOT EXISTS rules_hash text;
ALTER TABLE coverage_commune ADD COLUMN IF NOT EXISTS commune_culture_houses integer;
ALTER TABLE coverage_commune ADD COLUMN IF NOT EXISTS commune_group integer;
ALTER TABLE coverage_commune ADD COLUMN IF NOT EXISTS rules_name text;
ALTER TABLE coverage_commune ADD COLUMN IF NOT EXISTS rules_hash text;
ALTER TABLE coverage_commune ADD COLUMN IF NOT EXISTS rules_provisional boolean;

-- Công văn 271/TTCSTTĐN-TTCS (19/5/2025): integration of a merged commune's stations, IP replacement of a
-- worn-out wired/FM cluster; each planned action says which rule proposed it.
ALTER TABLE scenario_action DROP CONSTRAINT IF EXISTS scenario_action_action_check;
ALTER TABLE scenario_action ADD CONSTRAINT scenario_action_action_check
    CHECK (action IN ('repair_cluster', 'new_ip_cluster', 'new_fm_cluster', 'upgrade_station_ip', 'build_station',
                      'integration', 'replace_cluster_ip'));
ALTER TABLE scenario_action ADD COLUMN IF NOT EXISTS reason text;

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('rule_set', 'name'), ('commune_group', 'commune_code')) AS v(tbl, key)
    LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t.tbl || '_audit_ins', t.tbl);
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t.tbl || '_audit_upd', t.tbl);
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t.tbl || '_audit_del', t.tbl);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(%L)', t.tbl || '_audit_ins', t.tbl, t.key);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(%L)', t.tbl || '_audit_upd', t.tbl, t.key);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(%L)', t.tbl || '_audit_del', t.tbl, t.key);
    END LOOP;
END $$;
