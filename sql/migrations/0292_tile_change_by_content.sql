-- Issue 22 (mixed load): a recompute stores every commune it computes again (DELETE, then COPY) whether or not
-- what the tiles show of it changed, so with migration 0291's counting weights every pass of the worker made the
-- province's tiles again — the zoom 6–8 tiles over a province where inspectors save all day were made for nearly
-- every request (45 ms of PostgreSQL each at zoom 6). Now a row's weight is a 48-bit hash of what the tiles of
-- `communes`, `coverage` and `gaps` show of it (code, class, shares, the 8.3 verdict, the reason, the coverage
-- outline), added for every row a statement writes and subtracted for every row it removes: a province's version
-- is the sum of the hashes of its rows as they are, so a DELETE and COPY of the same values leaves it where it was,
-- and any change of a shown value moves it (two changes cancelling by chance: one in 2^48). Sums of at most 3,321
-- such hashes stay within bigint. A TRUNCATE still moves every tile (a row of no province, weight 1).
CREATE OR REPLACE FUNCTION tile_shown_hash(code text, class text, pop_share float8, ntm_8_3 boolean,
                                           area_share float8, reason text, geom geometry) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ('x' || left(md5(format('%s|%s|%s|%s|%s|%s|%s', code, class, pop_share, ntm_8_3, area_share, reason,
                                   md5(ST_AsEWKB(geom)))), 12))::bit(48)::bigint
$$;

CREATE OR REPLACE FUNCTION note_tile_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO tile_change (province_code) VALUES (NULL);
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO tile_change (province_code, weight)
        SELECT c.province_code, -sum(tile_shown_hash(o.commune_code, o.class, o.pop_covered_share, o.ntm_8_3,
                                                     o.covered_area_share, o.reason, o.geom))
          FROM old_rows o JOIN commune c ON c.code = o.commune_code
         GROUP BY c.province_code;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO tile_change (province_code, weight)
        SELECT c.province_code, sum(tile_shown_hash(n.commune_code, n.class, n.pop_covered_share, n.ntm_8_3,
                                                    n.covered_area_share, n.reason, n.geom))
          FROM new_rows n JOIN commune c ON c.code = n.commune_code
         GROUP BY c.province_code;
    END IF;
    RETURN NULL;
END $$;

-- The rows counted so far (weights of 1, migration 0291) become the sums of what is stored now, per province.
DELETE FROM tile_change;
INSERT INTO tile_change (province_code, weight)
SELECT c.province_code, sum(tile_shown_hash(cc.commune_code, cc.class, cc.pop_covered_share, cc.ntm_8_3,
                                            cc.covered_area_share, cc.reason, cc.geom))
  FROM coverage_commune cc JOIN commune c ON c.code = cc.commune_code
 GROUP BY c.province_code;
