-- fold_text(text): the folded form of etl/names.py fold_text (NFD, combining marks dropped, đ -> d, lower case,
-- runs of space, _ and - made one space), so that a search typed without diacritics ("dai truyen thanh") finds
-- "Đài truyền thanh" in columns that keep no folded copy (facility names). Immutable: usable in an index.
CREATE OR REPLACE FUNCTION fold_text(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT btrim(regexp_replace(
        lower(regexp_replace(normalize(translate(value, 'đĐ', 'dD'), NFD), '[\u0300-\u036f]', '', 'g')),
        '[\s_-]+', ' ', 'g'))
$$;
