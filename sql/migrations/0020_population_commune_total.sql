-- People per commune in a population raster (cells counted by their centre, as analysis/population.py does),
-- kept per raster so a recompute of coverage does not re-read every commune's whole area: the totals change only
-- with the raster or the boundaries. Rows of a raster are dropped with it.
CREATE TABLE IF NOT EXISTS population_commune_total (
    raster_id    bigint NOT NULL REFERENCES population_raster (id) ON DELETE CASCADE,
    commune_code text NOT NULL,
    pop_total    double precision NOT NULL CHECK (pop_total >= 0),
    method       text NOT NULL DEFAULT 'cell centres',
    computed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (raster_id, commune_code)
);

-- Boundaries changed: the cached totals of those communes are no longer right.
CREATE OR REPLACE FUNCTION drop_population_totals_of_changed_communes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM population_commune_total p USING new_rows n
     WHERE n.version = '2025' AND n.level = 'commune' AND p.commune_code = n.code;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS admin_unit_population_totals_upd ON admin_unit;
CREATE TRIGGER admin_unit_population_totals_upd AFTER UPDATE ON admin_unit REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION drop_population_totals_of_changed_communes();
