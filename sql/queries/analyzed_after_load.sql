-- Whether the table a load wrote was analyzed now (migration 0090: when the rows written are what autovacuum
-- would analyze it for), so that queries after the load, in its transaction or not, plan with its new rows.
SELECT analyze_after_load(CAST(:table_name AS regclass), :rows_written)
