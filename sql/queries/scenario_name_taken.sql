-- Whether :owner already has a scenario named :name other than :id (NULL: any), for renaming and duplicating.
SELECT EXISTS (SELECT 1 FROM scenario WHERE owner = :owner AND name = :name
                                        AND (CAST(:id AS bigint) IS NULL OR id <> :id));
