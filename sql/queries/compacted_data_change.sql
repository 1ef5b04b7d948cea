-- Fold the rows of data_change into one of the same summed weight (migration 0255), and those of
-- province_answer_change into one per province (migration 0310): no version moves.
SELECT compact_data_change(), compact_province_answer_change()
