-- Tie each staged inspection to its facility: by external id first (what field staff see on the facility's
-- label), else by phusong's own numeric id. Rows left without a facility are rejected by the loader.
UPDATE etl_inspection_stage s
   SET facility_id = coalesce(
        (SELECT f.id FROM facility f WHERE f.external_id = s.facility_ref),
        (SELECT f.id FROM facility f WHERE s.facility_ref ~ '^[0-9]{1,18}$' AND f.id = s.facility_ref::bigint));
