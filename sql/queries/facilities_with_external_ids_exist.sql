-- Whether any stored facility carries an external id (if none does, a survey's ids need no lookup).
SELECT EXISTS (SELECT 1 FROM facility WHERE external_id IS NOT NULL);
