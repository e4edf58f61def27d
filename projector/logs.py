"""How the projector worker process logs: one structlog line per record on stderr.

Called once, by the worker's entry point (its arq startup hook), never on import: the
embedded projector logs through whatever the `stratlog` command configured. arq's own
per-job start/finish lines are turned down to warnings, so each job is the one line the
projector writes for it.
"""

import logging
import sys

import structlog

from projector.settings import LogLevel


def configure_logging(level: LogLevel) -> None:
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            ),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.getLogger("arq.worker").setLevel(logging.WARNING)
