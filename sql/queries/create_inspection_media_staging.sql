-- Staging for the photos that come with a Kobo/ODK export (etl/inspection_media.py): row number -> photo. Always
-- created (empty for a CSV or XLSX without attachments): insert_inspections_from_staging.sql joins it.
DROP TABLE IF EXISTS etl_inspection_media;
CREATE TEMP TABLE etl_inspection_media (
    n          integer PRIMARY KEY,     -- spreadsheet row number, as in etl_inspection_stage
    photo      bytea NOT NULL,
    photo_mime text NOT NULL CHECK (photo_mime IN ('image/jpeg', 'image/png'))
) ON COMMIT DROP;
