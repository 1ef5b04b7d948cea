-- The versions the kept vector tiles of `communes`, `coverage` and `gaps` are checked against (migration 0291,
-- app/live_gis/tiles.py): per province the sum of the weights of tile_change this snapshot sees (migration 0292:
-- the hashes of what the tiles show of its communes' stored coverage; '' for the rows of no province: every
-- tile), and the boundaries' weight of data_change (migration 0255) as '*'. A few dozen rows
-- (the worker folds both tables); read for every tile request (prepared once per connection: ~0.1 ms of the
-- server), so a changed commune's tiles are made again at the next request and the others stay kept.
SELECT coalesce(province_code, '') AS province, sum(weight)::bigint AS version
  FROM tile_change
 GROUP BY province_code
UNION ALL
SELECT '*', coalesce(sum(weight), 0)::bigint
  FROM data_change
 WHERE topic = 'boundaries'
