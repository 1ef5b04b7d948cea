-- The facility type codes (the vocabulary of 0002), to check a plan's --types.
SELECT code FROM facility_type ORDER BY code;
