-- The mean longitude of the communes a survey names (which VN-2000 zone it was in).
SELECT avg(ST_X(ST_PointOnSurface(geom))) FROM commune WHERE name_folded = ANY(:names)
