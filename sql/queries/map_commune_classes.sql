-- Each analysed commune of the user's scope (whole_country, scope) with its service class and share of people
-- reached, as the coverage map colours it (app/components/map_answers.py).
SELECT cc.commune_code AS code, cc.class, round(cc.pop_covered_share::numeric, 3)::float8 AS share
  FROM coverage_commune cc
  JOIN commune c ON c.code = cc.commune_code
 WHERE (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
