"""The body size limit middleware (schema.security.body_limits) around small ASGI apps: a
declared length over the limit is refused unread, a chunked body once past it, whatever the
app does with the failed read; a path may have a larger limit; the app's own failures pass."""

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from schema.security.body_limits import BodySizeLimit

LIMIT = 100


async def echo_length(request: Request) -> Response:
    return JSONResponse({"length": len(await request.body())})


async def swallow_failed_read(request: Request) -> Response:
    try:
        await request.body()
    except Exception:  # what FastAPI does: a body it cannot read is a 400
        return JSONResponse({"error": "unreadable"}, status_code=400)
    return JSONResponse({})


async def fail(_request: Request) -> Response:
    raise RuntimeError("a bug")


def limited() -> BodySizeLimit:
    routes = [
        Route("/echo", echo_length, methods=["POST"]),
        Route("/upload", echo_length, methods=["POST"]),
        Route("/swallow", swallow_failed_read, methods=["POST"]),
        Route("/fail", fail, methods=["POST"]),
    ]
    return BodySizeLimit(Starlette(routes=routes), LIMIT, paths={"/upload": 10 * LIMIT})


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=limited()), base_url="http://app")


def chunks(size: int, chunk: int = 10) -> AsyncIterator[bytes]:
    async def generate() -> AsyncIterator[bytes]:
        for start in range(0, size, chunk):
            yield b"x" * min(chunk, size - start)

    return generate()


@pytest.mark.parametrize("size", [LIMIT, LIMIT + 1])
async def test_a_declared_length_over_the_limit_is_refused(size: int) -> None:
    async with client() as app:
        response = await app.post("/echo", content=b"x" * size)

    if size <= LIMIT:
        assert response.json() == {"length": size}
    else:
        assert response.status_code == 413
        assert response.json() == {
            "error": {"code": "payload_too_large", "message": "body exceeds 100 bytes"}
        }


@pytest.mark.parametrize("path", ["/echo", "/swallow"])
async def test_a_chunked_body_past_the_limit_is_refused_whatever_the_app_answers(
    path: str,
) -> None:
    async with client() as app:
        response = await app.post(path, content=chunks(LIMIT + 1))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_a_chunked_body_within_the_limit_reaches_the_app() -> None:
    async with client() as app:
        response = await app.post("/echo", content=chunks(LIMIT))

    assert response.json() == {"length": LIMIT}


async def test_a_path_may_have_a_larger_limit() -> None:
    async with client() as app:
        within = await app.post("/upload", content=chunks(5 * LIMIT))
        past = await app.post("/upload", content=chunks(10 * LIMIT + 1))

    assert within.json() == {"length": 5 * LIMIT}
    assert past.status_code == 413


async def test_the_apps_own_failure_is_not_taken_for_a_refusal() -> None:
    async with client() as app:
        with pytest.raises(RuntimeError, match="a bug"):
            await app.post("/fail", content=chunks(10))
