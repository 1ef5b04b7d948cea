-- Issue 22 (mixed load): what PostgreSQL spends its CPU on, statement by statement. pg_stat_statements' view is
-- made where its library is loaded (the embedded cluster preloads it, sql/cluster.py; a managed server where its
-- operator did) and the migrating role may create it; skipped otherwise, and nothing of phusong depends on it.
-- Read: SELECT calls, total_exec_time, query FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 20;
DO $$
BEGIN
    IF current_setting('shared_preload_libraries', true) LIKE '%pg_stat_statements%' THEN
        CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
    END IF;
EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
    RAISE NOTICE 'pg_stat_statements not created: %', SQLERRM;
END $$;
