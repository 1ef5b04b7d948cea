-- How many facilities are stored (whether a bulk insert rebuilds the indexes).
SELECT count(*) FROM facility
