-- Commune-group files (`phusong load commune-groups`, issue 18) are load batches like every other file.
ALTER TABLE load_batch DROP CONSTRAINT IF EXISTS load_batch_kind_check;
ALTER TABLE load_batch ADD CONSTRAINT load_batch_kind_check
    CHECK (kind IN ('boundaries', 'villages', 'facilities', 'inspections', 'population', 'feedback', 'census',
                    'commune_groups'));
