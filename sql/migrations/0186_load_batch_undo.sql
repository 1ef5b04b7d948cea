-- Issue 21, "Hoàn tác lần tải này": an undone load keeps its load_batch row (the file, who loaded it, its rejected
-- rows) and says when and by whom it was undone; a file whose load was undone is no longer "already loaded".
ALTER TABLE load_batch ADD COLUMN IF NOT EXISTS undone_at timestamptz;
ALTER TABLE load_batch ADD COLUMN IF NOT EXISTS undone_by text;
