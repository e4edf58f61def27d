"""OCO and bracket groups: links before their group leave a placeholder; each order's role."""

from typing import Any

import pytest

from tests.unit.projection_fold import fold

RUN, GROUP = "run-1", "B-1"


def created(**fields: Any) -> dict[str, Any]:
    return {"type": "oco.group_created", "run_id": RUN, "oco_group_id": GROUP, **fields}


def linked(order_id: str, role: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "oco.order_linked",
        "run_id": RUN,
        "oco_group_id": GROUP,
        "order_id": order_id,
        "role": role,
        **fields,
    }


def test_a_link_before_its_group_leaves_a_placeholder_group() -> None:
    group = fold([linked("1002", "TP")]).row("order_oco_groups", RUN, GROUP)
    assert (group["placeholder"], group["kind"], group["last_position"]) == (True, None, 1)


def test_the_group_event_resolves_the_placeholder_and_keeps_the_links() -> None:
    tables = fold([linked("1002", "TP"), linked("1003", "SL"), created(kind="bracket")])
    group = tables.row("order_oco_groups", RUN, GROUP)
    assert (group["placeholder"], group["kind"], group["last_position"]) == (False, "BRACKET", 3)
    assert [link["order_id"] for link in tables.rows("order_oco_links")] == ["1002", "1003"]


def test_a_link_after_its_group_leaves_the_group_as_it_was() -> None:
    group_only = fold([created(kind="OCO", extra_json={"source": "atm"})])
    tables = fold([created(kind="OCO", extra_json={"source": "atm"}), linked("1002", "TP")])
    assert tables.row("order_oco_groups", RUN, GROUP) == group_only.row(
        "order_oco_groups", RUN, GROUP
    )


@pytest.mark.parametrize("role", ["ENTRY", "TP", "SL", "EXIT"])
def test_each_linked_order_keeps_its_role_and_impact(role: str) -> None:
    tables = fold([linked("1002", role.lower(), position_impact="CLOSE")])
    link = tables.row("order_oco_links", RUN, GROUP, "1002")
    assert (link["role"], link["position_impact"]) == (role, "CLOSE")


def test_a_link_re_sent_with_another_role_takes_the_last_one() -> None:
    tables = fold([linked("1002", "TP"), linked("1002", "EXIT")])
    assert tables.row("order_oco_links", RUN, GROUP, "1002")["role"] == "EXIT"


def test_oco_events_count_as_events_of_their_run() -> None:
    run = fold([linked("1002", "TP"), created()]).row("strategy_runs", RUN)
    assert (run["event_count"], run["placeholder"]) == (2, True)
