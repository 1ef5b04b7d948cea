-- One photo (1 to 3) of an inspection sent from the offline page.
INSERT INTO inspection_photo (inspection_id, position, photo, photo_mime)
VALUES (:inspection_id, :position, :photo, :photo_mime);
