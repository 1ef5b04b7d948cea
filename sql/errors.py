"""Errors of the database and settings layer, each carrying one sentence a user can act on."""


class DatabaseSetupError(Exception):
    """The database cannot be reached, started or prepared; the message says what to do."""


class SettingsError(ValueError):
    """A setting is missing or unusable (a secret key too short ...); the message names it."""
