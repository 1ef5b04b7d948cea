-- How many reports in a user's scope are overdue as of :as_of (see feedback_is_overdue in 0060).
SELECT count(*)
  FROM feedback f
 WHERE (:whole_country OR (cardinality(CAST(:scope_codes AS text[])) > 0
                           AND commune_in_scope(f.commune_code, CAST(:scope_codes AS text[]))))
   AND feedback_is_overdue(f.status, f.received_at, f.answered_at, :as_of, :overdue_days)
