-- Which census commune (2019 code) each pre-2025 polygon stands for. The 2009 polygons carry their own ids, so
-- the link comes from a matching table (crosswalk_commune2009_to_gso2019.csv); kept so that every apportioned
-- figure can be traced back to its census row and cross-checked.
CREATE TABLE IF NOT EXISTS admin_census_link (
    old_code    text PRIMARY KEY,   -- admin_unit code, version 'pre2025', level 'commune'
    census_code text NOT NULL       -- census_commune.code
);
CREATE INDEX IF NOT EXISTS admin_census_link_census_idx ON admin_census_link (census_code);
