-- The file name of one load (its rejected rows are downloaded under it).
SELECT file FROM load_batch WHERE id = :batch;
