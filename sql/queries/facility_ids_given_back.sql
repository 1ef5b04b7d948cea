-- Give back the end of a bulk insert's reserved id range it did not use (migration 0330): :used of the
-- :reserved ids from :first went to rows sent; the sequence goes back to the last one used.
SELECT give_back_facility_ids(:first, :reserved, :used)
