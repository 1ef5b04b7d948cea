"""The one root of phusong's own errors, its few branches, and the database/settings errors.

Every error phusong raises on purpose derives from `PhusongError` and carries one sentence a user can act on.
The branches say what kind of problem it is, so the CLI (app/cli.py) and the web app (app/errors.py) each
handle the root in one place: input refused, not found, not allowed, conflict, set-up.
"""


class PhusongError(Exception):
    """Root of every error phusong raises on purpose; the message is one sentence a user can act on."""


class InputRefused(PhusongError, ValueError):
    """A file, row, argument or form value cannot be used; nothing was written. The message says why."""


class NotFound(PhusongError, LookupError):
    """The thing asked for (a commune, a scenario, a user ...) does not exist or holds nothing."""


class NotAllowed(PhusongError):
    """The user's role or scope does not allow this."""


class Conflict(PhusongError):
    """The request clashes with the current state (already answered, already exists ...)."""


class SetupError(PhusongError):
    """phusong itself is not ready: the database, a setting, an installed tool."""


class DatabaseSetupError(SetupError):
    """The database cannot be reached, started or prepared; the message says what to do."""


class SettingsError(SetupError, ValueError):
    """A setting is missing or unusable (a secret key too short ...); the message names it."""
