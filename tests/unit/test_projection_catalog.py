"""Strategies and instances: merged field by field, placeholders replaced, ids from config."""

from typing import Any

import pytest

from projector.projections.catalog import REFERENCE_POSITION, instance_row, placeholder_strategy
from schema.ids import derive_instance_id
from tests.unit.projection_fold import ProjectionFold, fold

STRATEGY = "StackedImbalance"
PARAMETERS = {"Fast": 10, "Slow": 30, "Filter": {"Atr": 14, "Mult": 1.5}}


def strategy(**fields: Any) -> dict[str, Any]:
    return {"type": "strategy.registered", "strategy_id": STRATEGY, **fields}


def instance(**fields: Any) -> dict[str, Any]:
    return {"type": "instance.registered", "strategy_id": STRATEGY, **fields}


def only_instance_id(tables: ProjectionFold) -> str:
    (row,) = tables.rows("strategy_instances")
    instance_id = row["instance_id"]
    assert isinstance(instance_id, str)
    return instance_id


def test_a_registration_that_leaves_a_field_out_never_wipes_it() -> None:
    tables = fold([strategy(name="Stacked", vendor="ACME", notes="v1"), strategy(notes="v2")])
    row = tables.row("strategies", STRATEGY)
    assert (row["name"], row["vendor"], row["notes"]) == ("Stacked", "ACME", "v2")
    assert (row["placeholder"], row["last_position"]) == (False, 2)


def test_a_placeholder_strategy_is_replaced_by_its_registration() -> None:
    loaded = {"strategies": {(STRATEGY,): placeholder_strategy(STRATEGY).row}}
    tables = ProjectionFold(loaded).apply([strategy(name="Stacked")])
    row = tables.row("strategies", STRATEGY)
    assert (row["name"], row["placeholder"], row["last_position"]) == ("Stacked", False, 1)


@pytest.mark.parametrize(
    "reference",
    [
        {"type": "run.started", "run_id": "r-1", "strategy_id": STRATEGY},
        instance(instance_id="I-1"),
    ],
    ids=["run", "instance"],
)
def test_a_reference_after_the_registration_changes_nothing(reference: dict[str, Any]) -> None:
    registered = fold([strategy(name="Stacked")]).row("strategies", STRATEGY)
    assert fold([strategy(name="Stacked"), reference]).row("strategies", STRATEGY) == registered


def test_a_reference_to_an_unknown_strategy_leaves_a_placeholder() -> None:
    row = fold([instance(instance_id="I-1")]).row("strategies", STRATEGY)
    assert (row["placeholder"], row["name"]) == (True, None)
    assert row["last_position"] == REFERENCE_POSITION


@pytest.mark.parametrize(
    "other",
    [
        {"Slow": 30, "Filter": {"Mult": 1.5, "Atr": 14}, "Fast": 10},
        {"Filter": {"Atr": 14, "Mult": 1.5}, "Slow": 30, "Fast": 10},
    ],
)
def test_a_derived_instance_id_ignores_the_order_of_parameter_keys(other: dict[str, Any]) -> None:
    configuration = {"symbol": "ESM5", "timeframe": "1m", "account_id": "SIM-101"}
    tables = fold(
        [
            instance(parameters_json=PARAMETERS, **configuration),
            instance(parameters_json=other, **configuration),
        ]
    )
    row = tables.row(
        "strategy_instances",
        derive_instance_id(STRATEGY, PARAMETERS, ["ESM5"], "1m", "SIM-101", None),
    )
    assert len(tables.rows("strategy_instances")) == 1
    assert (row["derived_id"], row["placeholder"]) == (True, False)


@pytest.mark.parametrize(
    "change",
    [
        {"parameters_json": {"Fast": 11, "Slow": 30}},
        {"symbol": "NQM5"},
        {"timeframe": "5m"},
        {"account_id": "SIM-102"},
        {"venue": "CME"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_derived_instance_id_changes_with_the_configuration(change: dict[str, Any]) -> None:
    base = {"parameters_json": {"Fast": 10, "Slow": 30}, "symbol": "ESM5", "timeframe": "1m"}
    tables = fold([instance(**base), instance(**(base | change))])
    assert len(tables.rows("strategy_instances")) == 2


@pytest.mark.parametrize("spelling", ["1 - Minute", "1m", "M1", "1 min"])
def test_an_instance_timeframe_is_normalised_and_the_raw_spelling_kept(spelling: str) -> None:
    tables = fold([instance(symbol="ESM5", timeframe=spelling)])
    (row,) = tables.rows("strategy_instances")
    assert (row["timeframe"], row["timeframe_raw"]) == ("1m", spelling)
    assert row["instance_id"] == only_instance_id(fold([instance(symbol="ESM5", timeframe="1m")]))


def test_an_explicit_instance_id_is_kept_and_not_marked_derived() -> None:
    tables = fold([instance(instance_id="654EAF46", parameters_json=PARAMETERS)])
    row = tables.row("strategy_instances", "654EAF46")
    assert (row["derived_id"], row["strategy_id"], row["last_position"]) == (False, STRATEGY, 1)


def test_a_second_registration_that_leaves_fields_out_keeps_the_first_ones() -> None:
    first = instance(instance_id="I-1", symbol="ESM5", timeframe="1m", instance_name="ES")
    tables = fold([first, instance(instance_id="I-1", account_id="SIM-101")])
    row = tables.row("strategy_instances", "I-1")
    assert (row["symbol"], row["timeframe"], row["instance_name"]) == ("ESM5", "1m", "ES")
    assert (row["account_id"], row["last_position"]) == ("SIM-101", 2)


def test_a_placeholder_instance_is_replaced_by_its_registration() -> None:
    placeholder = instance_row("I-1", REFERENCE_POSITION, derived=False, placeholder=True)
    tables = ProjectionFold({"strategy_instances": {("I-1",): placeholder}})
    row = tables.apply([instance(instance_id="I-1", symbol="ESM5")]).row(
        "strategy_instances", "I-1"
    )
    assert (row["placeholder"], row["symbol"], row["strategy_id"]) == (False, "ESM5", STRATEGY)


@pytest.mark.parametrize("parameters", [None, {}])
def test_no_parameters_and_empty_parameters_are_one_derived_instance(
    parameters: dict[str, Any] | None,
) -> None:
    registered = instance() if parameters is None else instance(parameters_json=parameters)
    (row,) = fold([registered]).rows("strategy_instances")
    assert row["instance_id"] == derive_instance_id(STRATEGY, {}, [], None, None, None)
    assert row["parameters_json"] == "{}"


def test_rows_two_partitions_refer_to_are_the_same_whichever_is_projected_first() -> None:
    run_a = [(3, {"type": "run.started", "run_id": "a", "strategy_id": STRATEGY})]
    run_b = [
        (5, {"type": "run.started", "run_id": "b", "strategy_id": STRATEGY, "parameters_json": {}})
    ]
    catalog = [(7, instance())]  # derives the same instance as both runs
    orders = [(run_a, run_b, catalog), (catalog, run_b, run_a), (run_b, catalog, run_a)]
    results = []
    for order in orders:
        tables = ProjectionFold()
        for batch in order:
            tables.apply_batch(batch)
        results.append((tables.rows("strategies"), tables.rows("strategy_instances")))
    assert results[0] == results[1] == results[2]


@pytest.mark.parametrize(("run_id", "scope"), [(None, "*"), ("r-1", "r-1")])
def test_an_instrument_applies_to_every_run_or_to_the_one_it_names(
    run_id: str | None, scope: str
) -> None:
    event: dict[str, Any] = {"type": "instrument.defined", "symbol": "ESM5", "multiplier": 50.0}
    tables = fold([event if run_id is None else event | {"run_id": run_id}])
    assert tables.row("instruments", scope, "ESM5")["multiplier"] == 50.0
