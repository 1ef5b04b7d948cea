-- The user already holding a name, compared without case ("An" and "an" are one person to whoever reads the
-- audit log): add_user refuses the second.
SELECT name FROM app_user WHERE lower(name) = lower(:name) LIMIT 1;
