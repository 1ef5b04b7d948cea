-- Inspections recorded in [start, end) for facilities of a province's communes, per commune. The inspection
-- table is append-only, so these counts never change after the period.
SELECT f.commune_code, count(*) AS inspections, count(DISTINCT i.facility_id) AS facilities
  FROM inspection i
  JOIN facility f ON f.id = i.facility_id
  JOIN commune c ON c.code = f.commune_code
 WHERE c.province_code = :province AND i.inspected_at >= :start AND i.inspected_at < :end
   AND i.withdrawn_at IS NULL  -- an undone or corrected inspection counts once, as its correction
 GROUP BY f.commune_code
