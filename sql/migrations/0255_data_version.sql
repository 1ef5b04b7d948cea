-- Issue 22 (mixed load): versions of the data that the coverage map and the exports show, so that answers made
-- once (the map's outlines for a scope and view, the communes' classes and verdicts, an export's file) can be
-- kept in a cache the web processes share and never served once the data changed.
--
-- Every statement that writes what they show adds one row to data_change, under its topic: 'boundaries' (2025
-- commune outlines and names), 'coverage' (stored coverage, rule sets, commune groups), 'scenarios'. Inserts only,
-- so writers never wait on each other (no counter row to lock), and a topic's version is the sum of the weights a
-- reader's snapshot sees: it grows with every commit, in whatever order the writers commit, and a reader that
-- takes the version before the data it keys never keeps older data under a newer version. Topics keep the
-- outlines (costly to make, rarely changed) apart from the classes (changed by every recompute).
-- compact_data_change() (run by `phusong worker`) replaces the rows it sees by one row per topic of their summed
-- weight in one transaction, so no version moves.
CREATE TABLE IF NOT EXISTS data_change (
    id     bigserial PRIMARY KEY,
    topic  text NOT NULL CHECK (topic IN ('boundaries', 'coverage', 'scenarios')),
    weight bigint NOT NULL DEFAULT 1
);

CREATE OR REPLACE FUNCTION note_data_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_change (topic) VALUES (TG_ARGV[0]);
    RETURN NULL;
END $$;

DO $$
DECLARE
    pair text[];
BEGIN
    FOREACH pair SLICE 1 IN ARRAY ARRAY[['admin_unit', 'boundaries'], ['coverage_commune', 'coverage'],
                                        ['rule_set', 'coverage'], ['commune_group', 'coverage'],
                                        ['scenario', 'scenarios'], ['scenario_action', 'scenarios'],
                                        ['scenario_budget', 'scenarios']] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', pair[1] || '_data_change', pair[1]);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION note_data_change(%L)',
                       pair[1] || '_data_change', pair[1], pair[2]);
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION compact_data_change() RETURNS void LANGUAGE sql AS $$
    WITH gone AS (DELETE FROM data_change WHERE (SELECT count(*) FROM data_change) > 3 RETURNING topic, weight)
    INSERT INTO data_change (topic, weight) SELECT topic, sum(weight) FROM gone GROUP BY topic;
$$;

-- The same export asked again (same user, kind, format, province, scenario, language, scope and data version)
-- is the same job: made once by the worker, its file sent to every such ask (app/exports.py queue_export).
ALTER TABLE export_job ADD COLUMN IF NOT EXISTS data_version text;
CREATE INDEX IF NOT EXISTS export_job_reuse ON export_job (user_name, kind, fmt, data_version);
