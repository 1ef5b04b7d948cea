-- Investment over years (issue 23): a scenario may span years (first_year..last_year); each of its actions then
-- has the year it is funded in and the budget line that pays for it, and the scenario keeps the budget it was
-- planned against (scenario_budget: one row per year and line, with what the line may fund). A one-year scenario
-- keeps these NULL / empty, as before.
ALTER TABLE scenario ADD COLUMN IF NOT EXISTS first_year smallint CHECK (first_year BETWEEN 2000 AND 2100);
ALTER TABLE scenario ADD COLUMN IF NOT EXISTS last_year smallint CHECK (last_year BETWEEN 2000 AND 2100);
ALTER TABLE scenario_action ADD COLUMN IF NOT EXISTS year smallint CHECK (year BETWEEN 2000 AND 2100);
-- Budget lines (analysis/planning/budget.py BUDGET_LINES): the NTM programme (QĐ 263/QĐ-TTg), the provincial
-- budget and other sources.
ALTER TABLE scenario_action ADD COLUMN IF NOT EXISTS budget_line text
    CHECK (budget_line IN ('ntm', 'provincial', 'other'));

CREATE TABLE IF NOT EXISTS scenario_budget (
    scenario_id    bigint NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
    year           smallint NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    budget_line    text NOT NULL CHECK (budget_line IN ('ntm', 'provincial', 'other')),
    budget_vnd     numeric(18, 0) NOT NULL CHECK (budget_vnd >= 0),
    actions        text[] NOT NULL DEFAULT '{}',        -- action types the line may fund; empty: every action
    communes       text[] NOT NULL DEFAULT '{}',        -- 2025 commune codes it may fund; empty (and no group): all
    commune_groups integer[] NOT NULL DEFAULT '{}',     -- QĐ 51/2025 commune groups it may fund
    PRIMARY KEY (scenario_id, year, budget_line)
);

-- Audited as the scenario is (0010_users_audit.sql's audit_rows, per statement).
DROP TRIGGER IF EXISTS scenario_budget_audit_ins ON scenario_budget;
DROP TRIGGER IF EXISTS scenario_budget_audit_upd ON scenario_budget;
DROP TRIGGER IF EXISTS scenario_budget_audit_del ON scenario_budget;
CREATE TRIGGER scenario_budget_audit_ins AFTER INSERT ON scenario_budget REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('scenario_id');
CREATE TRIGGER scenario_budget_audit_upd AFTER UPDATE ON scenario_budget
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('scenario_id');
CREATE TRIGGER scenario_budget_audit_del AFTER DELETE ON scenario_budget REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('scenario_id');
