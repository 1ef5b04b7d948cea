-- The links of pre-2025 polygons to census codes, rebuilt on each census load.
DELETE FROM admin_census_link
