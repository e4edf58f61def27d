"""One ASGI app out of two: the ingest app and the read app behind one port (embedded mode).

Each app keeps its own state and lifespan, exactly as it runs alone under the Procfile. A
request goes to the ingest app when one of its routes matches the path and method fully,
and to the read app otherwise (which answers 404/405 for what neither serves). The lifespan
starts the ingest app (it creates the log), then the other resources (the in-process
projector), then the read app, and stops them in reverse.
"""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

from fastapi import FastAPI
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

Resource = Callable[[], AbstractAsyncContextManager[Any]]


class TwoApps:
    """Routes to `ingest` when it has the route, else to `read`; runs both lifespans."""

    def __init__(self, ingest: FastAPI, read: FastAPI, *resources: Resource) -> None:
        self.ingest = ingest
        self.read = read
        self.resources = resources

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        target = self.ingest if self._ingest_serves(scope) else self.read
        await target(scope, receive, send)

    def _ingest_serves(self, scope: Scope) -> bool:
        return any(route.matches(scope)[0] is Match.FULL for route in self.ingest.router.routes)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        async with AsyncExitStack() as stack:
            try:
                await stack.enter_async_context(self.ingest.router.lifespan_context(self.ingest))
                for resource in self.resources:
                    await stack.enter_async_context(resource())
                await stack.enter_async_context(self.read.router.lifespan_context(self.read))
            except Exception as exc:  # reported to the server, which refuses to start
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
            assert message["type"] == "lifespan.shutdown"
        await send({"type": "lifespan.shutdown.complete"})
