"""Errors of trade reconstruction: inputs that break the runner's side of the contract.

Bad *data* (held fills, zero, negative or dust quantities) is never an error: it comes back
as a `QualityFlag`. These are raised only when the caller passes what it promised not to.
"""


class TradeInputError(ValueError):
    """The fills given to reconstruction break its contract."""


class DuplicateExecutionError(TradeInputError):
    """The same execution_id was given more than once (the runner dedupes executions)."""

    def __init__(self, execution_ids: list[str]) -> None:
        self.execution_ids = execution_ids
        super().__init__(f"execution ids given more than once: {', '.join(execution_ids)}")


class OutOfOrderFillError(TradeInputError):
    """A fill sorts before one already applied to its key: recompute the key from scratch."""

    def __init__(self, execution_id: str) -> None:
        self.execution_id = execution_id
        super().__init__(f"fill {execution_id} sorts before a fill already applied")
