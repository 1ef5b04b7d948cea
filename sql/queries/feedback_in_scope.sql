-- Reports a user may see, newest first, with days open and the overdue flag as of :as_of.
-- reporter_contact leaves the database only for an admin (:show_contact): the citizen's phone number is private
-- (issue 7), and filtering here means no page or export can leak it by forgetting to.
-- Scope: :whole_country, or the report's commune is in :scope_codes (commune or province codes).
SELECT f.id, f.external_ref, f.received_at, f.channel, f.commune_code, c.name AS commune_name, c.province_code,
       p.name AS province_name, f.facility_id, fa.external_id AS facility_code, fa.name AS facility_name,
       f.category, f.text,
       CASE WHEN :show_contact THEN f.reporter_contact END AS reporter_contact,
       f.status, f.assigned_to, f.assigned_at, f.answer, f.answered_at, f.closed_at,
       ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat,
       -- Where the map draws it: the reported point, else a point inside its commune (marked approximate).
       coalesce(ST_X(f.geom), ST_X(ST_PointOnSurface(c.geom))) AS map_lon,
       coalesce(ST_Y(f.geom), ST_Y(ST_PointOnSurface(c.geom))) AS map_lat,
       feedback_days_open(f.received_at, f.closed_at, :as_of) AS days_open,
       feedback_is_overdue(f.status, f.received_at, f.answered_at, :as_of, :overdue_days) AS overdue
  FROM feedback f
  LEFT JOIN commune c ON c.code = f.commune_code
  LEFT JOIN facility fa ON fa.id = f.facility_id
  LEFT JOIN admin_unit p ON p.version = '2025' AND p.level = 'province' AND p.code = c.province_code
 WHERE (:whole_country OR (cardinality(CAST(:scope_codes AS text[])) > 0
                           AND commune_in_scope(f.commune_code, CAST(:scope_codes AS text[]))))
   AND (CAST(:status AS text) IS NULL OR f.status = :status)
   AND (CAST(:category AS text) IS NULL OR f.category = :category)
   AND (CAST(:commune_code AS text) IS NULL OR f.commune_code = :commune_code)
   AND (CAST(:feedback_id AS bigint) IS NULL OR f.id = :feedback_id)
   AND (NOT :overdue_only OR feedback_is_overdue(f.status, f.received_at, f.answered_at, :as_of, :overdue_days))
 ORDER BY f.received_at DESC, f.id DESC
 LIMIT :limit
