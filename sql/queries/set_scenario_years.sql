-- The years a phased scenario spans (issue 23); a one-year scenario keeps NULL.
UPDATE scenario SET first_year = :first_year, last_year = :last_year WHERE id = :id;
