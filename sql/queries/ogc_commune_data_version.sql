-- A fingerprint of everything the OGC API items of `communes`, `coverage` and `gaps` are made from (admin_unit,
-- which the `commune` view reads, and coverage_commune), for the items page cache (app/live_gis/pages.py): it
-- changes with every committed insert, update or delete of either table, so a page kept under it is never
-- served after its data changed. Each row version carries the transaction that wrote it (xmin): a change adds
-- rows with a new xmin or removes rows, which moves the count or the sum. No trigger, no counter row that
-- writers would queue on; reading the national heaps' row headers takes milliseconds, far less than one page.
SELECT (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM admin_unit)
       || '/' || (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM coverage_commune) AS version;
