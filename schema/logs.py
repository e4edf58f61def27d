"""How a stratlog process logs: one line per record on stderr, plain tracebacks.

Called by entry points only, never on import: the `stratlog` command, and the Procfile's
`uvicorn ingest_api.app:app` / `read_api.app:app` when their lifespan starts (the apps
`stratlog serve` builds log through what the command configured). Tracebacks are plain:
rich's (structlog's default once rich is installed) prints every frame's locals, which would
put settings, request headers and API keys in the log.
"""

import logging
import os

import structlog


def configure_logging(level: str) -> None:
    """One line per record on stderr, for structlog and stdlib loggers (uvicorn) alike."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Plain tracebacks: rich's (the default once rich is installed) prints every
            # frame's locals, thousands of lines rendered on the event loop, settings included.
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            ),
        ],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request at INFO; the demo's own summary says what matters.
    logging.getLogger("httpx").setLevel(max(root.level, logging.WARNING))


def configure_logging_from_environment() -> None:
    """`configure_logging` at `STRATLOG_LOG_LEVEL` (default info), for the Procfile's apps."""
    configure_logging(os.environ.get("STRATLOG_LOG_LEVEL", "info"))
