"""Errors the engine raises for problems a user can fix."""


class DataError(ValueError):
    """The user's data cannot be used as given.

    The message is one sentence saying what is wrong and how to fix it; the UI and the CLI
    show it as is, never a traceback.
    """


class WorkerStartError(RuntimeError):
    """An evaluation worker process could not be started: a problem of the environment, not the data.

    The message is one sentence; the search stops at once instead of recording every pipeline as failed.
    """
