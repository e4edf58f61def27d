"""What routes receive by injection: settings, the store engines, the doorbell and the clock.

`create_app` puts them on `app.state` (the engines once the lifespan has made them); these
functions read them back, so a test can override any of them with `dependency_overrides`.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, cast

from fastapi import Depends, Request

from read_api.settings import ReadSettings
from read_api.status import DoorbellSource, StatusStores

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


def load_settings() -> ReadSettings:
    """Settings from the environment (`STRATLOG_*`)."""
    return ReadSettings()


def get_settings(request: Request) -> ReadSettings:
    return cast(ReadSettings, request.app.state.settings)


def get_stores(request: Request) -> StatusStores:
    return cast(StatusStores, request.app.state.stores)


def get_doorbell(request: Request) -> DoorbellSource:
    return cast(DoorbellSource, request.app.state.doorbell)


def get_clock(request: Request) -> Clock:
    return cast(Clock, request.app.state.clock)


SettingsDep = Annotated[ReadSettings, Depends(get_settings)]
StoresDep = Annotated[StatusStores, Depends(get_stores)]
DoorbellDep = Annotated[DoorbellSource, Depends(get_doorbell)]
ClockDep = Annotated[Clock, Depends(get_clock)]
