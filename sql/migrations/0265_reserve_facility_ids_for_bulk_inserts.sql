-- A bulk insert of facilities takes its ids as one range of facility_id_seq instead of one nextval() per row
-- (issue 22).
--
-- perf of the backend during bench.etl's COPY of 200,000 facilities (04/12/2026): nextval() of the id's default
-- was ~6 % of the COPY's server time (the sequence's buffer lock, its permission check and a WAL record every
-- 32 values, per row), on the load's wall path. The loader now asks reserve_facility_ids(n) for n ids at once
-- and sends them in the COPY (an integer column parsed per row, ~1 % of the COPY).
--
-- Only while this transaction holds facility's ACCESS EXCLUSIVE lock, i.e. during a bulk insert that set the
-- indexes aside (0015): no other session can insert a facility then, so none can take a value between the
-- nextval() and the setval() below (a value taken twice would fail on the primary key, not store twice).
-- Sessions that took values earlier have inserted them already (their rows held the lock off until they ended).
-- Like nextval(), the range is not given back if the load rolls back; ids of rows the loader then does not
-- send (refused by the location checks) stay unused: the sequence has gaps, as it has after any rollback.
-- SECURITY DEFINER: setval() needs UPDATE on the sequence, which phusong_app (0071) does not have.
CREATE OR REPLACE FUNCTION reserve_facility_ids(n bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    seq   regclass := pg_get_serial_sequence('public.facility', 'id')::regclass;
    first bigint;
BEGIN
    IF n IS NULL OR n < 1 THEN
        RAISE EXCEPTION 'reserve_facility_ids: n must be at least 1, not %', n USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_locks
                    WHERE locktype = 'relation' AND database = (SELECT oid FROM pg_database
                                                                  WHERE datname = current_database())
                      AND relation = 'public.facility'::regclass AND pid = pg_backend_pid()
                      AND mode = 'AccessExclusiveLock' AND granted) THEN
        RAISE EXCEPTION 'reserve_facility_ids: only inside a bulk insert that holds the facility table''s lock'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    first := nextval(seq);
    IF n > 1 THEN
        PERFORM setval(seq, first + n - 1);
    END IF;
    RETURN first;
END $$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'phusong_app') THEN
        REVOKE EXECUTE ON FUNCTION reserve_facility_ids(bigint) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION reserve_facility_ids(bigint) TO phusong_app;
    END IF;
END $$;
