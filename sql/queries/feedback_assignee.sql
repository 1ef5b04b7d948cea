SELECT name, role, scope_codes, active FROM app_user WHERE name = :name
