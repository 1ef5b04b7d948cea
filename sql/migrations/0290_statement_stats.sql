-- Issue 22 (mixed load): what PostgreSQL spends its CPU on, statement by statement. pg_stat_statements' view is
-- made where the extension is installed and the migrating role may create it (the embedded cluster preloads its
-- library, sql/cluster.py, so the view counts from the next start; a managed server where its operator preloads
-- it); skipped otherwise, and nothing of phusong reads it.
-- Read: SELECT calls, total_exec_time, query FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 20;
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_stat_statements not created: %', SQLERRM;
END $$;
