-- Reports of a province's communes relevant to a period: received in it, or still unanswered at its start.
-- Only dates are read, so the figures of a past period stay the same whatever happens to the reports later.
SELECT f.id, f.commune_code, f.category, f.received_at, f.answered_at
  FROM feedback f
  JOIN commune c ON c.code = f.commune_code
 WHERE c.province_code = :province AND f.received_at < :end
   AND (f.received_at >= :start OR f.answered_at IS NULL OR f.answered_at >= :start)
