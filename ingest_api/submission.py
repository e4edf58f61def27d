"""The one append path: decoded items go to the log together, each gets its report.

Valid events and rejections of one request are appended in a single durable commit (a 2xx is
sent only after it), then `after_append` is called with the events and the receipt (the
projector's doorbell plugs in there: it needs the run ids of what was accepted). A failing
hook never fails the request: the events are already durable and the projector's periodic
sweep finds them anyway.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus

import structlog

from ingest_api.items import Decoded
from ingest_api.log_store import AppendReceipt, AppendResult, EventLog, NewEvent, Outcome
from ingest_api.responses import BatchResponse, ItemError, ItemResult, ItemStatus

AfterAppend = Callable[[Sequence[NewEvent], AppendReceipt], Awaitable[None]]

logger = structlog.get_logger(__name__)

_STATUS = {
    Outcome.ACCEPTED: ItemStatus.ACCEPTED,
    Outcome.DUPLICATE: ItemStatus.DUPLICATE,
    Outcome.CONFLICT: ItemStatus.CONFLICT,
}


async def no_hook(_events: Sequence[NewEvent], _receipt: AppendReceipt) -> None:
    """The default `after_append`: nothing to notify."""


@dataclass(frozen=True, slots=True)
class Submitter:
    """Appends decoded items to the log and reports on each, in input order."""

    log: EventLog
    after_append: AfterAppend = no_hook

    async def submit(self, decoded: Sequence[Decoded]) -> list[ItemResult]:
        if not decoded:
            return []
        events = [item for item in decoded if isinstance(item, NewEvent)]
        rejections = [item for item in decoded if not isinstance(item, NewEvent)]
        receipt = await self.log.append(events, rejections)
        await self._notify(events, receipt)
        results, quarantine_ids = iter(receipt.results), iter(receipt.quarantine_ids)
        report = []
        for index, item in enumerate(decoded):
            if isinstance(item, NewEvent):
                report.append(_event_report(index, item.event_id, next(results)))
            else:
                errors = [ItemError(field=e.field, message=e.message) for e in item.errors]
                report.append(
                    ItemResult(
                        index=index,
                        status=ItemStatus.REJECTED,
                        event_id=item.event_id,
                        quarantine_id=next(quarantine_ids),
                        errors=errors,
                    )
                )
        return report

    async def _notify(self, events: Sequence[NewEvent], receipt: AppendReceipt) -> None:
        try:
            await self.after_append(events, receipt)
        except Exception:
            logger.exception("after_append hook failed; the projector sweep will catch up")


def _event_report(index: int, event_id: str, result: AppendResult) -> ItemResult:
    errors = None
    if result.outcome is Outcome.CONFLICT:
        message = f"event_id is already in the log with other content (position {result.position})"
        errors = [ItemError(field="event_id", message=message)]
    return ItemResult(
        index=index,
        status=_STATUS[result.outcome],
        event_id=event_id,
        position=result.position,
        quarantine_id=result.quarantine_id,
        errors=errors,
    )


def batch_report(items: list[ItemResult]) -> tuple[BatchResponse, HTTPStatus]:
    """The batch answer and its status: 200 if anything is in the log (or nothing was sent),
    422 when every item was rejected or conflicting."""
    stored = [
        item.position
        for item in items
        if item.status in (ItemStatus.ACCEPTED, ItemStatus.DUPLICATE) and item.position is not None
    ]
    accepted = sum(item.status is ItemStatus.ACCEPTED for item in items)
    duplicates = sum(item.status is ItemStatus.DUPLICATE for item in items)
    response = BatchResponse(
        accepted=accepted,
        duplicates=duplicates,
        rejected=len(items) - accepted - duplicates,
        first_position=min(stored, default=None),
        last_position=max(stored, default=None),
        items=items,
    )
    ok = stored or not items
    return response, HTTPStatus.OK if ok else HTTPStatus.UNPROCESSABLE_ENTITY


def single_status(item: ItemResult) -> HTTPStatus:
    """201 for a new event, 200 for a duplicate, 422 for a rejected or conflicting one."""
    if item.status is ItemStatus.ACCEPTED:
        return HTTPStatus.CREATED
    if item.status is ItemStatus.DUPLICATE:
        return HTTPStatus.OK
    return HTTPStatus.UNPROCESSABLE_ENTITY
