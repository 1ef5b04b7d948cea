-- The active administrators, locked until the transaction ends: two admins locking each other out at the same
-- moment are taken one after the other, so the second sees the first's change (app/auth.py).
SELECT name FROM app_user WHERE role = 'admin' AND active ORDER BY name FOR UPDATE;
