"""Errors of the database layer, each carrying one sentence a user can act on."""


class DatabaseSetupError(Exception):
    """The database cannot be reached, started or prepared; the message says what to do."""
