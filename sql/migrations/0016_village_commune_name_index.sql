-- Villages are looked up by commune and folded name: a changed village file is matched to the stored villages
-- that way (locate_and_match_staged_villages.sql), and a facility survey finds the thôn/bản a row names
-- (villages_named_in_communes.sql). With only the commune indexed, re-loading 58,667 villages of one province
-- (about a thousand per commune) took 26 s in that match, each row reading its whole commune. The two-column
-- index serves both, and every query by commune alone, so it replaces the one-column index.
CREATE INDEX IF NOT EXISTS village_commune_name_idx ON village (commune_code, name_folded);
DROP INDEX IF EXISTS village_commune_idx;
