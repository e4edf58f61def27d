"""The batch report and the statuses answered for it (ingest_api.submission)."""

from http import HTTPStatus

import pytest

from ingest_api.responses import ItemResult, ItemStatus
from ingest_api.submission import batch_report, single_status

A, D, C, R = ItemStatus.ACCEPTED, ItemStatus.DUPLICATE, ItemStatus.CONFLICT, ItemStatus.REJECTED


def item(index: int, status: ItemStatus, position: int | None = None) -> ItemResult:
    return ItemResult(index=index, status=status, position=position)


def test_the_report_counts_and_spans_the_events_in_the_log() -> None:
    items = [item(0, A, 7), item(1, D, 2), item(2, R), item(3, C, 3), item(4, A, 8)]

    report, status = batch_report(items)

    assert status == HTTPStatus.OK
    assert (report.accepted, report.duplicates, report.rejected) == (2, 1, 2)
    assert (report.first_position, report.last_position) == (2, 8)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], HTTPStatus.OK),
        ([D], HTTPStatus.OK),
        ([R, A], HTTPStatus.OK),
        ([R], HTTPStatus.UNPROCESSABLE_ENTITY),
        ([R, C], HTTPStatus.UNPROCESSABLE_ENTITY),
    ],
)
def test_a_batch_is_422_only_when_nothing_reached_the_log(
    statuses: list[ItemStatus], expected: HTTPStatus
) -> None:
    items = [item(i, s, None if s is R else i + 1) for i, s in enumerate(statuses)]

    assert batch_report(items)[1] == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [(A, HTTPStatus.CREATED), (D, HTTPStatus.OK), (C, 422), (R, 422)],
)
def test_a_single_item_status(status: ItemStatus, expected: int) -> None:
    assert single_status(item(0, status, 1)) == expected


def test_an_item_report_leaves_out_what_does_not_apply() -> None:
    assert item(0, R).model_dump() == {"index": 0, "status": "rejected"}
