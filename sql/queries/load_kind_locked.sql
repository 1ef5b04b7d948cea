-- A transaction lock per kind of load: two loads of the same kind run one after the other.
SELECT pg_advisory_xact_lock(hashtext('phusong.load.' || :kind))
