"""The embedded default: one process, one port, SQLite files in the data directory (DESIGN §2).

`build_app` is the one place that decides what the embedded process serves: the ingest, admin
and read apps behind one port (stratlog.composition), and the in-process projector that ingest
rings after every append, in place of the Procfile's Redis doorbell and arq workers. `serve`
runs it under uvicorn and, once the port accepts connections, hands the server's address to
an optional start hook (the `--demo` walkthrough), then keeps serving until stopped.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from sqlalchemy.engine import make_url

from ingest_api.app import create_app
from ingest_api.doorbell import accepted_run_ids
from ingest_api.log_store import AppendReceipt, NewEvent
from ingest_api.settings import IngestSettings
from projector.embedded import InProcessProjector
from projector.settings import ProjectorSettings
from read_api.app import create_app as create_read_app
from read_api.settings import ReadSettings
from schema.settings import StoreSettings
from stratlog.admin.app import create_admin_app
from stratlog.composition import OnePort

StartHook = Callable[[str], Coroutine[Any, Any, None]]

_STARTUP_POLL_S = 0.05


class StartupFailed(RuntimeError):
    """uvicorn could not start (e.g. the port is taken); it has logged why."""

    def __init__(self, code: int) -> None:
        super().__init__(f"the server did not start (exit status {code})")
        self.code = code


def build_app(settings: IngestSettings) -> OnePort:
    """The ASGI app of the embedded process (its lifespan creates the data directory)."""
    stores = {name: getattr(settings, name) for name in StoreSettings.model_fields}
    running: list[InProcessProjector] = []  # set while the lifespan runs

    async def ring_projector(events: Sequence[NewEvent], receipt: AppendReceipt) -> None:
        for projector in running:
            projector.ring_runs(accepted_run_ids(events, receipt))

    async def doorbell_counters() -> Mapping[str, int]:
        return running[0].counters() if running else {}

    @asynccontextmanager
    async def projector_running() -> AsyncIterator[None]:
        projector_settings = ProjectorSettings(**stores)
        projector = await InProcessProjector.open(
            projector_settings,
            batch_size=projector_settings.batch_size,
            sweep_interval_s=projector_settings.sweep_interval_seconds,
        )
        await projector.start()
        running.append(projector)
        try:
            yield
        finally:
            running.clear()
            await projector.stop()

    ingest = create_app(
        settings,
        after_append=ring_projector,
        docs_url="/docs/ingest",
        openapi_url="/openapi/ingest.json",
    )
    admin = create_admin_app(
        ProjectorSettings(**stores), docs_url="/docs/admin", openapi_url="/openapi/admin.json"
    )
    read = create_read_app(ReadSettings(**stores), doorbell_counters=doorbell_counters)
    return OnePort([ingest, admin], read, projector_running)


async def serve(
    settings: IngestSettings,
    *,
    host: str,
    port: int,
    log_level: str = "info",
    on_started: StartHook | None = None,
) -> None:
    """Serve until interrupted; run `on_started(base_url)` once the port is open.

    A failing start hook stops the server and is re-raised, so a broken demo is never
    mistaken for a working one.
    """
    config = uvicorn.Config(
        build_app(settings),
        host=host,
        port=port,
        log_config=None,  # logging is configured once, by the entry point
        log_level=log_level,
        # Exporters flush many small batches; a line per request would drown what matters.
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(_serve_until_stopped(server))
    if on_started is None:
        await serving
        return
    while not server.started:
        if serving.done():
            await serving  # it stopped during startup: surface why
            return
        await asyncio.sleep(_STARTUP_POLL_S)
    hook = asyncio.create_task(on_started(base_url(server, host)))
    await asyncio.wait({serving, hook}, return_when=asyncio.FIRST_COMPLETED)
    if not hook.done():  # the server was stopped (Ctrl-C) while the hook still ran
        hook.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await hook
    elif hook.exception() is not None:
        server.should_exit = True
        await serving
        hook.result()  # re-raise
    await serving


async def _serve_until_stopped(server: uvicorn.Server) -> None:
    try:
        await server.serve()
    except SystemExit as exc:  # uvicorn's way of failing startup; a task must not raise it
        raise StartupFailed(exc.code if isinstance(exc.code, int) else 1) from None


def log_store_for_display(settings: IngestSettings) -> str:
    """The log store's URL as people may read it: any password hidden."""
    return make_url(settings.resolved_log_url()).render_as_string(hide_password=True)


def base_url(server: uvicorn.Server, host: str) -> str:
    """The URL a client on this machine uses to reach `server` (actual port, even for 0)."""
    port = server.servers[0].sockets[0].getsockname()[1] if server.servers else server.config.port
    # A wildcard bind is reached through loopback.
    if host in ("0.0.0.0", ""):  # noqa: S104
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"
