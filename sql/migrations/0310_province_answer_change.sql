-- Issue 22 (mixed load): a version per province of what the coverage map's answers for a scope show — the classes
-- JSON (class, share reached, the NTM verdicts) and the NTM summary above the map (the measures NTM rule sets
-- judge) — so an answer for a scope is assembled from per-province parts, each kept under its own province's
-- version (app/province_parts.py): a recompute in one province remakes that province's part, not the country's.
-- The national 'coverage' topic of data_change (migration 0255) moved ~1.3 times a second under bench.mixed_load
-- (every save recomputed at once, all in one province), and every answer keyed on it was made again at each ask.
--
-- As tile_change (migration 0292), which hashes what the tiles show but not the judged measures: each statement
-- writing coverage_commune adds, per province, the sum of a 48-bit hash of each written row's shown values and
-- subtracts those of the rows it removes, so a province's version (the sum a snapshot sees) is the sum of the
-- hashes of its rows as they are: storing the same values again leaves it, any change of a shown value moves it.
-- Rows of no province (weight 1) move every province: a TRUNCATE, and any write to rule_set or commune_group
-- (the rule sets and groups the verdicts come from): their sum only grows (a commune of no province is in no
-- part: its rows are not counted). Inserts only: writers never queue on a counter row.
CREATE TABLE IF NOT EXISTS province_answer_change (
    id            bigserial PRIMARY KEY,
    province_code text,
    weight        bigint NOT NULL DEFAULT 1
);

CREATE OR REPLACE FUNCTION province_answer_hash(r coverage_commune) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ('x' || left(md5(format('%s|%s|%s|%s|%s|%s|%s|%s|%s', r.commune_code, r.class, r.pop_covered_share,
                                   r.station_operational, r.villages_total, r.villages_reached,
                                   r.commune_culture_houses, r.ntm_6_3_share, r.commune_group)), 12))::bit(48)::bigint
$$;

CREATE OR REPLACE FUNCTION note_province_answer_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' OR TG_TABLE_NAME <> 'coverage_commune' THEN
        INSERT INTO province_answer_change (province_code) VALUES (NULL);
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO province_answer_change (province_code, weight)
        SELECT c.province_code, -sum(province_answer_hash(o))
          FROM old_rows o JOIN commune c ON c.code = o.commune_code
         WHERE c.province_code IS NOT NULL
         GROUP BY c.province_code;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO province_answer_change (province_code, weight)
        SELECT c.province_code, sum(province_answer_hash(n))
          FROM new_rows n JOIN commune c ON c.code = n.commune_code
         WHERE c.province_code IS NOT NULL
         GROUP BY c.province_code;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS coverage_commune_answer_insert ON coverage_commune;
CREATE TRIGGER coverage_commune_answer_insert AFTER INSERT ON coverage_commune
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION note_province_answer_change();
DROP TRIGGER IF EXISTS coverage_commune_answer_update ON coverage_commune;
CREATE TRIGGER coverage_commune_answer_update AFTER UPDATE ON coverage_commune
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION note_province_answer_change();
DROP TRIGGER IF EXISTS coverage_commune_answer_delete ON coverage_commune;
CREATE TRIGGER coverage_commune_answer_delete AFTER DELETE ON coverage_commune
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION note_province_answer_change();
DROP TRIGGER IF EXISTS coverage_commune_answer_truncate ON coverage_commune;
CREATE TRIGGER coverage_commune_answer_truncate AFTER TRUNCATE ON coverage_commune
    FOR EACH STATEMENT EXECUTE FUNCTION note_province_answer_change();
DROP TRIGGER IF EXISTS rule_set_answer_change ON rule_set;
CREATE TRIGGER rule_set_answer_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rule_set
    FOR EACH STATEMENT EXECUTE FUNCTION note_province_answer_change();
DROP TRIGGER IF EXISTS commune_group_answer_change ON commune_group;
CREATE TRIGGER commune_group_answer_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commune_group
    FOR EACH STATEMENT EXECUTE FUNCTION note_province_answer_change();

-- Folded by `phusong worker` with data_change (sql/queries/compacted_data_change.sql): one row per province of
-- the summed weight, so no version moves.
CREATE OR REPLACE FUNCTION compact_province_answer_change() RETURNS void LANGUAGE sql AS $$
    WITH gone AS (DELETE FROM province_answer_change
                   WHERE (SELECT count(*) > count(DISTINCT province_code) + 1 FROM province_answer_change)
               RETURNING province_code, weight)
    INSERT INTO province_answer_change (province_code, weight) SELECT province_code, sum(weight) FROM gone GROUP BY 1;
$$;

-- What is stored now, per province.
DELETE FROM province_answer_change;
INSERT INTO province_answer_change (province_code, weight)
SELECT c.province_code, sum(province_answer_hash(cc))
  FROM coverage_commune cc JOIN commune c ON c.code = cc.commune_code
 WHERE c.province_code IS NOT NULL
 GROUP BY c.province_code;
