"""Why a replay stops, and the exit code each reason gives the `stratlog replay` command.

A replay either finishes or raises one of these. What the operator must fix first (a run the
log does not hold, a store that is not there, a file that cannot be written, a state file of
another replay) exits 2, like a usage error; a target that refused or could not be reached
exits 1, and a replay that stopped there can be continued with `--resume`, because the state
file only ever records what the target acknowledged.
"""


class ReplayError(Exception):
    """Base of every reason a replay stops; `exit_code` is what the command exits with."""

    exit_code = 1


class StoreNotFound(ReplayError):
    """The log or projection store to read is not there (or holds no stratlog tables)."""

    exit_code = 2


class UnknownRun(ReplayError):
    """The log holds no event of the run asked for."""

    exit_code = 2


class CannotWrite(ReplayError):
    """The output file (or its `.partial`) cannot be written."""

    exit_code = 2


class StateMismatch(ReplayError):
    """The state file to resume from records a replay of another run or to another target."""

    exit_code = 2


class TargetRefused(ReplayError):
    """The target answered with a client error (4xx) or refused events of a batch; sending
    the batch again would get the same answer."""


class TargetUnavailable(ReplayError):
    """The target kept answering 429/5xx, or could not be reached, after every retry."""
