-- Wake this connection whenever a commune's coverage becomes stale (trigger of sql/migrations/0190).
LISTEN phusong_coverage_stale
