-- PostGIS for geometry types, spatial indexes and functions. The migrate module checks first that the server
-- has the extension available, so a missing package gives one clear sentence instead of this statement's error.
CREATE EXTENSION IF NOT EXISTS postgis;
