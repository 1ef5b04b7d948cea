-- Rebuild admin_crosswalk: each pre-2025 commune polygon -> the 2025 communes it overlaps, with the share of its
-- area in each. Shares use planar areas in degrees: within one commune cos(latitude) is constant to 1e-4, so the
-- ratio equals the geodesic one and costs far less. Slivers under :sliver of the old area are dropped and the
-- remaining shares renormalised to sum to 1. Returns the number of pairs. The caller empties the table first.
WITH pieces AS (
    SELECT o.code AS old_code, n.code AS new_code,
           ST_Area(ST_Intersection(o.geom, n.geom)) AS piece_area
      FROM admin_unit o
      JOIN admin_unit n ON n.version = '2025' AND n.level = 'commune' AND ST_Intersects(o.geom, n.geom)
     WHERE o.version = 'pre2025' AND o.level = 'commune'
), shares AS (
    SELECT old_code, new_code, piece_area / NULLIF(sum(piece_area) OVER (PARTITION BY old_code), 0) AS share
      FROM pieces
), kept AS (
    SELECT old_code, new_code, share FROM shares WHERE share >= :sliver
), inserted AS (
    INSERT INTO admin_crosswalk (old_code, new_code, area_share, method)
    SELECT old_code, new_code, share / sum(share) OVER (PARTITION BY old_code), 'area_overlay'
      FROM kept
    RETURNING 1
)
SELECT count(*) FROM inserted;
