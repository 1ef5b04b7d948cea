-- Lock these communes for recompute, waiting for each in the order given (code order): the caller works inside
-- its own transaction, where it may not give locks back; every refresher takes locks in code order or only
-- tries them, so waiting cannot deadlock.
SELECT code, pg_advisory_xact_lock(hashtext('phusong.coverage.' || code)) AS locked
  FROM unnest(CAST(:commune_codes AS text[])) WITH ORDINALITY AS t (code, n)
 ORDER BY n
