-- One staged photo of an export row (etl/inspection_media.py).
INSERT INTO etl_inspection_media (n, photo, photo_mime) VALUES (:n, :photo, :photo_mime);
