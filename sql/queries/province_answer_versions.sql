-- The versions the per-province parts of the coverage map's answers are kept under (app/province_parts.py):
-- per province the sum of the weights of province_answer_change this snapshot sees (migration 0310: the hashes of
-- what the classes and the NTM summary show of its communes' stored coverage; '' for the rows of no province: a
-- TRUNCATE, a rule set or commune group changed), and the boundaries' weight of data_change (migration 0255:
-- which communes a province holds, their names) as '*'. A few dozen rows (the worker folds both tables).
SELECT coalesce(province_code, '') AS province, sum(weight)::bigint AS version
  FROM province_answer_change
 GROUP BY province_code
UNION ALL
SELECT '*', coalesce(sum(weight), 0)::bigint
  FROM data_change
 WHERE topic = 'boundaries'
