-- Issue 21, "Hoàn tác lần tải này" for an inspections load (Kobo / ODK / CSV): its inspections are withdrawn like
-- an app inspection (0150), so each one must remember the facility's state before it, whatever its source.
-- 0150 kept status_before for app inspections only; from now on every inspection keeps it. Inside one bulk
-- INSERT every row sees the facility as it was before the statement (the status trigger runs at its end), so
-- all of a load's inspections of one facility remember the status it had before the load.
DROP TRIGGER IF EXISTS inspection_status_before ON inspection;
CREATE TRIGGER inspection_status_before BEFORE INSERT ON inspection
    FOR EACH ROW EXECUTE FUNCTION remember_status_before_inspection();
