-- Issue 21 (administrator): a password reset by an administrator gives the user a temporary password that must
-- be changed at the next login. Until it is changed, the web app answers that user's every page, call and
-- download with the change-password form or a refusal (app/login.py). Audited like every app_user change.
ALTER TABLE app_user ADD COLUMN IF NOT EXISTS must_change_password boolean NOT NULL DEFAULT false;
