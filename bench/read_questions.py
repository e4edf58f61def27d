"""What the read benchmark asks: each question as an HTTP request and as its raw-SQL baseline.

A question is one thing a dashboard wants (a run's summary, a page of its trades or bars, the
metrics of five runs side by side), asked two ways: the read API's request, and the SQL any
server must at least run for the same answer, on the projection file with the stdlib sqlite3
driver and one open connection (the lower bound of what the API can do: no pool, no ORM, no
models, no JSON), written for the best plan: keysets as row values, bars as a range of their
primary key. The SQL reads the same rows the API returns (`check` compares the counts). Deep
pages are reached the way a client reaches them: by following `next_cursor`.
"""

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.prefill import sqlite_time
from bench.read_dataset import Dataset

TRADES_PAGE, BARS_PAGE, DASHBOARD_BARS_PAGE = 100, 1000, 10_000
_KNOWN_RUN = "SELECT 1 FROM strategy_runs WHERE run_id = ?"
_TRADES = "SELECT * FROM trades WHERE run_id = ?{after} ORDER BY exit_utc, trade_id LIMIT ?"
# Bars: the run's series of the symbol, then a range of the bars' primary key (series, time);
# the data set has one series per symbol, whose id the second statement is given.
_SERIES = "SELECT * FROM run_series WHERE run_id = ? AND symbol = ?"
_BARS = "SELECT * FROM bars WHERE series_id = ?{after} ORDER BY ts_utc LIMIT ?"


@dataclass(frozen=True, slots=True)
class Question:
    """One request, its SQL baseline (statements and their parameters), and the answer's size."""

    name: str
    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    sql: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    items: int | None = None  # rows in the answer; None for a single object

    @property
    def label(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.params.items() if k != "cursor")
        cursor = "&cursor=…" if "cursor" in self.params else ""
        return f"{self.method} {self.path}{'?' if query else ''}{query}{cursor}"

    def ask(self, client: httpx.Client) -> httpx.Response:
        return client.request(self.method, self.path, params=self.params, json=self.body)

    def ask_sql(self, connection: sqlite3.Connection) -> int:
        """Run the baseline; the number of rows of its last statement (the answer's rows)."""
        rows: list[Any] = []
        for statement, parameters in self.sql:
            rows = connection.execute(statement, parameters).fetchall()
        return len(rows)


def questions(dataset: Dataset, client: httpx.Client) -> list[Question]:
    """The benchmark's questions on `dataset`, served by the app behind `client`."""
    run, symbol, runs = dataset.runs[0], dataset.symbol, list(dataset.runs)
    v1 = f"/api/v1/runs/{run}"
    half_way = _trade_cursor_half_way(client, f"{v1}/trades", dataset.counts["trades"])
    cursor, (exit_utc, trade_id) = half_way
    series_id, middle = _series_and_middle(dataset, run, symbol)
    series = (_SERIES, (run, symbol))
    known = (_KNOWN_RUN, (run,))
    trades_first = (_TRADES.format(after=""), (run, TRADES_PAGE + 1))
    trades_deep = (
        _TRADES.format(after=" AND (exit_utc, trade_id) > (?, ?)"),
        (run, sqlite_time(exit_utc), trade_id, TRADES_PAGE + 1),
    )
    bars_first = (_BARS.format(after=""), (series_id, BARS_PAGE + 1))
    bars_middle = (
        _BARS.format(after=" AND ts_utc >= ?"),
        (series_id, sqlite_time(middle), BARS_PAGE + 1),
    )
    marks = ",".join("?" * len(runs))
    metrics = ("SELECT * FROM run_metrics WHERE run_id = ?", (run,))
    bar_params = {"symbol": symbol, "limit": BARS_PAGE}
    return [
        Question("HTTP floor (no database)", "GET", "/docs"),
        Question(
            "run summary",
            "GET",
            v1,
            sql=(("SELECT * FROM strategy_runs WHERE run_id = ?", (run,)), metrics),
        ),
        Question("run metrics", "GET", f"{v1}/metrics", sql=(known, metrics)),
        Question(
            "trades, first page",
            "GET",
            f"{v1}/trades",
            {"limit": TRADES_PAGE},
            sql=(known, trades_first),
            items=TRADES_PAGE,
        ),
        Question(
            "trades, deep page (cursor)",
            "GET",
            f"{v1}/trades",
            {"limit": TRADES_PAGE, "cursor": cursor},
            sql=(known, trades_deep),
            items=TRADES_PAGE,
        ),
        Question(
            "bars, first page",
            "GET",
            f"{v1}/bars",
            bar_params,
            sql=(known, series, bars_first),
            items=BARS_PAGE,
        ),
        Question(
            "bars, middle page (start_utc)",
            "GET",
            f"{v1}/bars",
            {**bar_params, "start_utc": _z(middle)},
            sql=(known, series, bars_middle),
            items=BARS_PAGE,
        ),
        Question(
            "compare 5 runs",
            "POST",
            "/api/metrics/compare",
            body={"run_ids": runs},
            sql=(
                (f"SELECT run_id FROM strategy_runs WHERE run_id IN ({marks})", (*runs,)),
                (f"SELECT * FROM run_metrics WHERE run_id IN ({marks})", (*runs,)),
            ),
            items=len(runs),
        ),
        Question(
            "dashboard trades",
            "GET",
            f"/api/runs/{run}/trades",
            sql=(known, trades_first),
            items=TRADES_PAGE,
        ),
        Question(
            "dashboard bars, 1,000",
            "GET",
            "/api/bars/",
            {"run_id": run, **bar_params},
            sql=(known, series, bars_first),
            items=BARS_PAGE,
        ),
        Question(
            "dashboard bars, default page",
            "GET",
            "/api/bars/",
            {"run_id": run, "symbol": symbol},
            sql=(known, series, (_BARS.format(after=""), (series_id, DASHBOARD_BARS_PAGE + 1))),
            items=DASHBOARD_BARS_PAGE,
        ),
    ]


def check(question: Question, response: httpx.Response, sql_rows: int) -> None:
    """Fail loudly unless the API answered 200 with as many items as the baseline read."""
    if response.status_code != 200:
        raise AssertionError(f"{question.label}: {response.status_code} {response.text[:300]}")
    if question.items is None:
        return
    answer = response.json()
    items = len(answer if isinstance(answer, list) else answer["items"])
    if items != question.items or sql_rows < items:
        raise AssertionError(f"{question.label}: {items} items, SQL {sql_rows} rows")


def _trade_cursor_half_way(
    client: httpx.Client, path: str, trades: int
) -> tuple[str, tuple[datetime, str]]:
    """The cursor of the trade half way through the run, and its (exit time, trade id)."""
    page_size = max(TRADES_PAGE, min(1000, trades // 2))
    cursor: str | None = None
    items: Sequence[dict[str, Any]] = []
    for _ in range(max(1, trades // 2 // page_size)):
        params: dict[str, str | int] = {
            "limit": page_size,
            **({"cursor": cursor} if cursor else {}),
        }
        page = client.get(path, params=params).raise_for_status().json()
        cursor, items = page["next_cursor"], page["items"]
    if cursor is None:
        raise AssertionError(f"{path}: fewer than {2 * TRADES_PAGE} trades to page through")
    last = items[-1]
    return cursor, (datetime.fromisoformat(last["exit_utc"]), last["trade_id"])


def _series_and_middle(dataset: Dataset, run: str, symbol: str) -> tuple[str, datetime]:
    """The id of the run's one series of `symbol`, and the time of its middle bar."""
    connection = sqlite3.connect(dataset.projections)
    try:
        [(series_id, first, last)] = connection.execute(
            "SELECT series_id, first_ts_utc, last_ts_utc FROM run_series"
            " WHERE run_id = ? AND symbol = ?",
            (run, symbol),
        ).fetchall()
    finally:
        connection.close()
    start, end = (datetime.fromisoformat(t).replace(tzinfo=UTC) for t in (first, last))
    return series_id, start + timedelta(minutes=(end - start) // timedelta(minutes=1) // 2)


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
