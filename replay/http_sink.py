"""Replaying to another stratlog: batches POSTed to its canonical endpoint, `/api/v1/events`.

Each batch is one gzip-compressed NDJSON request of canonical events with their ids
(`replay.records`), so the target stores them under the ids they have here and a batch sent
twice is reported as duplicates. The API key goes in `X-API-Key`. A batch counts as delivered
only when the target answered 200 and stored every event in it (new or duplicate); an event it
rejected or found in conflict stops the replay with the target's reasons, since the target's
copy of the run would otherwise be silently incomplete. Overload and connection failures are
retried (`replay.retry`); any other refusal stops the replay at once with a hint.
"""

import asyncio
import gzip
import random
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any, TypeGuard

import httpx

from replay.errors import TargetRefused, TargetUnavailable
from replay.records import LoggedEvent
from replay.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from replay.sink import Delivery

ENDPOINT = "/api/v1/events"
TIMEOUT_S = 60.0
MAX_REASONS_SHOWN = 3
OnRetry = Callable[[str], None]

_HINTS: dict[int, str] = {
    HTTPStatus.UNAUTHORIZED: " (check --api-key / STRATLOG_API_KEY)",
    HTTPStatus.FORBIDDEN: " (the API key may lack the right to ingest)",
    HTTPStatus.NOT_FOUND: " (is the --to URL a stratlog's base URL?)",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: " (lower --batch-size)",
}


class HttpSink:
    """POSTs batches to `base_url` + `/api/v1/events`, retrying what is worth retrying."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        policy: RetryPolicy | None = None,
        on_retry: OnRetry | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + ENDPOINT
        self.policy = policy or RetryPolicy()
        headers = {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}
        if api_key:
            headers["X-API-Key"] = api_key
        self._client = httpx.AsyncClient(headers=headers, timeout=TIMEOUT_S)
        self._on_retry = on_retry or (lambda _message: None)
        self._rng = random.Random()

    @property
    def target(self) -> str:
        return self.url

    async def send(self, batch: Sequence[LoggedEvent]) -> Delivery:
        body = gzip.compress(b"".join(event.wire + b"\n" for event in batch), compresslevel=5)
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                response = await self._client.post(self.url, content=body)
            except httpx.TransportError as exc:
                problem, retry_after = f"{type(exc).__name__}: {exc}", None
            else:
                if response.status_code not in RETRYABLE_STATUSES:
                    return _delivery(response, batch)
                problem = f"answered {response.status_code}"
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if attempt == self.policy.max_attempts:
                raise TargetUnavailable(
                    f"{self.url} {problem}; gave up after {attempt} attempts "
                    f"(--resume continues from the last acknowledged batch)"
                )
            delay = self.policy.delay(attempt, retry_after, self._rng)
            self._on_retry(
                f"{self.url} {problem}; retrying in {delay:.1f} s "
                f"(attempt {attempt + 1} of {self.policy.max_attempts})"
            )
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def finish(self, *, complete: bool) -> None:
        await self._client.aclose()


def _delivery(response: httpx.Response, batch: Sequence[LoggedEvent]) -> Delivery:
    """The delivery a final (non-retryable) answer reports, or why it is a refusal."""
    answer = _json(response)
    items = answer.get("items") if isinstance(answer, dict) else None
    a_report = response.status_code in (HTTPStatus.OK, HTTPStatus.UNPROCESSABLE_ENTITY)
    if not (a_report and _is_report(items)):
        hint = _HINTS.get(response.status_code, "")
        message = _message(answer, response)
        raise TargetRefused(
            f"{response.request.url} answered {response.status_code}{hint}: {message}"
        )
    if len(items) != len(batch):
        raise TargetRefused(
            f"{response.request.url} reported on {len(items)} events; {len(batch)} were sent"
        )
    refused = [item for item in items if item.get("status") not in ("accepted", "duplicate")]
    if refused:
        raise TargetRefused(_refusal(response, refused, len(batch)))
    duplicates = sum(item.get("status") == "duplicate" for item in items)
    return Delivery(stored=len(items) - duplicates, duplicates=duplicates)


def _refusal(response: httpx.Response, refused: list[dict[str, Any]], sent: int) -> str:
    reasons = []
    for item in refused[:MAX_REASONS_SHOWN]:
        errors = "; ".join(
            f"{e.get('field')}: {e.get('message')}" for e in item.get("errors") or []
        )
        reasons.append(f"event {item.get('event_id')} {item.get('status')}: {errors}")
    more = len(refused) - MAX_REASONS_SHOWN
    also = f" (and {more} more)" if more > 0 else ""
    shown = " | ".join(reasons)
    return f"{response.request.url} refused {len(refused)} of {sent} events{also}: {shown}"


def _is_report(items: Any) -> TypeGuard[list[dict[str, Any]]]:
    """Whether `items` is a batch report's list of per-item results."""
    return isinstance(items, list) and all(isinstance(item, dict) for item in items)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _message(answer: Any, response: httpx.Response) -> str:
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        return str(answer["error"].get("message"))
    return response.text[:500] or response.reason_phrase
