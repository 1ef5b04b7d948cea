-- The villages of these communes with these folded names (the first by id where a commune has two of a name):
-- a survey row's typed thôn/bản names its village in the commune the row lies in.
SELECT commune_code, name_folded, min(id) AS id
  FROM village
 WHERE commune_code = ANY (:codes) AND name_folded = ANY (:names)
 GROUP BY commune_code, name_folded;
