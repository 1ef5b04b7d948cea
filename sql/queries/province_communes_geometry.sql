-- A province's 2025 communes, simplified for a report map (≈ 50 m tolerance is below a printed pixel).
SELECT code, name, ST_AsBinary(ST_SimplifyPreserveTopology(geom, :tolerance)) AS wkb
  FROM commune WHERE province_code = :province ORDER BY code
