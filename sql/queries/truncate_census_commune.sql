-- The census 2019 commune table emptied before it is loaded again.
TRUNCATE census_commune
