"""Errors the log store raises; the API maps them to HTTP statuses in one place."""


class LogStoreError(Exception):
    """Base of every log store failure."""


class StoreUnavailable(LogStoreError):
    """The database cannot be reached or refused the write; the client should retry."""


class Overloaded(LogStoreError):
    """More events are waiting to be committed than the configured limit; retry shortly."""

    def __init__(self, pending: int, limit: int) -> None:
        super().__init__(f"{pending} events waiting to be committed (limit {limit})")
        self.pending = pending
        self.limit = limit
