-- Wake this connection whenever an export is queued for a worker (trigger of sql/migrations/0240).
LISTEN phusong_export_queued
