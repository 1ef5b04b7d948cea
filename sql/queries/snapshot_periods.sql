-- The periods that have a coverage snapshot: the choices of the periodic report on the export page.
SELECT period, taken_at FROM coverage_snapshot ORDER BY taken_at DESC, period
