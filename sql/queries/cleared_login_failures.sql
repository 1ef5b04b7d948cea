-- A successful login clears the failures of its own (name, address) pair only.
DELETE FROM login_failure WHERE user_name = :name AND address = :address RETURNING failures;
