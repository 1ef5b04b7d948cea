-- A bulk insert of facilities gives back the end of its reserved id range that it did not use (issue 22,
-- session 31).
--
-- The ids of a bulk load follow the file's order again (as before session 30): the rows are numbered from the
-- range's first as they are sent, slice by slice, and a row the location checks refuse takes no id. The range
-- (0265) is reserved for every new row before the checks of the slices, so the rows refused leave its end
-- unused; this function sets the sequence back to the last id used, so the next insert follows the load's last
-- row without a gap. Like 0265, only while this transaction holds facility's ACCESS EXCLUSIVE lock (no other
-- session can have taken a value since the reservation), and only when the sequence is still at the range's
-- end (nothing took a value since): otherwise it changes nothing and returns false.
-- SECURITY DEFINER: setval() needs UPDATE on the sequence, which phusong_app (0071) does not have.
CREATE OR REPLACE FUNCTION give_back_facility_ids(first bigint, reserved bigint, used bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    seq  regclass := pg_get_serial_sequence('public.facility', 'id')::regclass;
    last bigint;
BEGIN
    IF first IS NULL OR reserved IS NULL OR used IS NULL OR first < 1 OR used < 0 OR used > reserved THEN
        RAISE EXCEPTION 'give_back_facility_ids: a range of % from % with % used is no range', reserved, first, used
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_locks
                    WHERE locktype = 'relation' AND database = (SELECT oid FROM pg_database
                                                                  WHERE datname = current_database())
                      AND relation = 'public.facility'::regclass AND pid = pg_backend_pid()
                      AND mode = 'AccessExclusiveLock' AND granted) THEN
        RAISE EXCEPTION 'give_back_facility_ids: only inside a bulk insert that holds the facility table''s lock'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    EXECUTE format('SELECT last_value FROM %s', seq) INTO last;
    IF used = reserved OR last <> first + reserved - 1 THEN
        RETURN false;
    END IF;
    IF used = 0 THEN
        PERFORM setval(seq, first, false);  -- the next nextval() gives the range's first again
    ELSE
        PERFORM setval(seq, first + used - 1);
    END IF;
    RETURN true;
END $$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'phusong_app') THEN
        REVOKE EXECUTE ON FUNCTION give_back_facility_ids(bigint, bigint, bigint) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION give_back_facility_ids(bigint, bigint, bigint) TO phusong_app;
    END IF;
END $$;
