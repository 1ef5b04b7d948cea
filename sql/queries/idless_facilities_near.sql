-- Whether any stored facility without an external id lies in (or within 5 m of) this box: only then can a survey
-- row without an id be a stored facility (matched within 5 m by match_staged_facilities.sql).
SELECT EXISTS (
    SELECT 1 FROM facility
     WHERE external_id IS NULL
       AND geom && ST_Expand(ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326), 0.0001)
);
