"""Errors the engine raises for problems a user can fix."""


class DataError(ValueError):
    """The user's data cannot be used as given.

    The message is one sentence saying what is wrong and how to fix it; the UI and the CLI
    show it as is, never a traceback.
    """
