"""What routes receive by injection: settings, the log, the submitter, limits and the clock.

`create_app` puts them on `app.state` (the log once the lifespan has opened it); these
functions read them back, so a test can override any of them with `dependency_overrides`.
They are `async def` so FastAPI calls them inline instead of in its thread pool (which cost
about a fifth of the event loop at single-event requests).
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, cast

from fastapi import Depends, Request

from ingest_api.body import BodyLimits
from ingest_api.log_store import EventLog
from ingest_api.settings import IngestSettings
from ingest_api.submission import AfterAppend, Submitter

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


def load_settings() -> IngestSettings:
    """Settings from the environment (`STRATLOG_*`)."""
    return IngestSettings()


async def get_settings(request: Request) -> IngestSettings:
    return cast(IngestSettings, request.app.state.settings)


async def get_log(request: Request) -> EventLog:
    return cast(EventLog, request.app.state.log)


async def get_clock(request: Request) -> Clock:
    return cast(Clock, request.app.state.clock)


async def get_limits(settings: Annotated[IngestSettings, Depends(get_settings)]) -> BodyLimits:
    return BodyLimits.from_settings(settings)


async def get_submitter(request: Request, log: Annotated[EventLog, Depends(get_log)]) -> Submitter:
    return Submitter(log, cast(AfterAppend, request.app.state.after_append))


SettingsDep = Annotated[IngestSettings, Depends(get_settings)]
LogDep = Annotated[EventLog, Depends(get_log)]
ClockDep = Annotated[Clock, Depends(get_clock)]
LimitsDep = Annotated[BodyLimits, Depends(get_limits)]
SubmitterDep = Annotated[Submitter, Depends(get_submitter)]
