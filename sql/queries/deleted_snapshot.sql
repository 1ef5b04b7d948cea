DELETE FROM coverage_snapshot WHERE period = :period
