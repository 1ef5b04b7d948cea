SELECT period, taken_at, communes FROM coverage_snapshot WHERE period = :period
