-- The first of :n facility ids taken at once for a bulk insert (migration 0265: only while the load holds the
-- facility table's lock, after its indexes were set aside); the rest follow it without a gap.
SELECT reserve_facility_ids(:n)
