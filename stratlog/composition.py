"""One ASGI app out of several: ingest, admin and read behind one port (embedded mode).

Each app keeps its own state and lifespan, exactly as it runs alone under the Procfile. A
request goes to the first routed app (ingest, then admin) with a route matching its path and
method fully, and to the read app otherwise (which answers 404/405 for what none serves). The
lifespan starts the routed apps in order (ingest first: it creates the log), then the other
resources (the in-process projector), then the read app, and stops them in reverse.
"""

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

from fastapi import FastAPI
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

Resource = Callable[[], AbstractAsyncContextManager[Any]]


class OnePort:
    """Routes to the first of `routed` that has the route, else to `fallback`."""

    def __init__(self, routed: Sequence[FastAPI], fallback: FastAPI, *resources: Resource) -> None:
        self.routed = tuple(routed)
        self.fallback = fallback
        self.resources = resources

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        await self._target(scope)(scope, receive, send)

    def _target(self, scope: Scope) -> FastAPI:
        for app in self.routed:
            if any(route.matches(scope)[0] is Match.FULL for route in app.router.routes):
                return app
        return self.fallback

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        async with AsyncExitStack() as stack:
            try:
                for app in self.routed:
                    await stack.enter_async_context(app.router.lifespan_context(app))
                for resource in self.resources:
                    await stack.enter_async_context(resource())
                await stack.enter_async_context(
                    self.fallback.router.lifespan_context(self.fallback)
                )
            except Exception as exc:  # reported to the server, which refuses to start
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
            assert message["type"] == "lifespan.shutdown"
        await send({"type": "lifespan.shutdown.complete"})
