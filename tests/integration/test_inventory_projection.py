"""The product inventory's events on moto: put on the inbound bus (source "operator.inventory"), delivered by
the local stack's stand-in for the rule's Lambda target, projected by the real handler into the lines' read
model of the demo world (itself seeded through the same path); read back through the API and the table."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest
from selfcare.dal.dynamo import ConditionFailed, from_raw, to_raw
from selfcare.dal.lines import LinesRepository
from selfcare.projection.inventory import LineBusy
from selfcare.tv.vod import PREFIX

from infra import definitions as d
from infra.local.emulation import local_projection_arn
from infra.local.resources import LocalResources
from infra.local.seed import deliver_crm_events
from infra.local.seed_lines import SPARE_ICCID
from tests.factories import DemoWorld
from tests.fakes import InMemoryProvisioning
from tests.integration.conftest import Api, body
from tests.integration.test_projection import dead_letters

NEW = "M-377612345670"  # the samples' new line of C0001
JEANNES = "M-377612345678"
LOUS = "M-377612345679"  # no SIM card yet
SIM_EVENTS = ("LineCreated", "LineSimChanged", "LineChanged", "LineStatusChanged", "LineEnded")
SERVICE_EVENTS = ("BoxChanged", "MailboxChanged", "VoipSettingsChanged", "TvPackChanged", "VodViewsRecorded")
ALL = (*SIM_EVENTS, *SERVICE_EVENTS, "LineUsageRecorded")


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((d.ROOT / "events" / "inventory" / f"{name}.json").read_text()))


def put(*events: dict[str, Any]) -> int:
    entries = [
        {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "EventBusName": d.CRM_INBOUND_BUS_NAME,
        }
        for event in events
    ]
    for start in range(0, len(entries), 10):
        assert boto3.client("events").put_events(Entries=entries[start : start + 10])["FailedEntryCount"] == 0
    return deliver_crm_events()


def items(aws: LocalResources, customer_id: str = "C0001") -> dict[str, dict[str, Any]]:
    raw = boto3.client("dynamodb").query(
        TableName=aws.table_names[d.CUSTOMERS.logical_id],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"CUSTOMER#{customer_id}"}},
        ConsistentRead=True,
    )
    return {item["sk"]: item for item in map(from_raw, raw["Items"])}


def claim(aws: LocalResources, iccid: str) -> dict[str, Any] | None:
    raw = boto3.client("dynamodb").get_item(
        TableName=aws.table_names[d.CUSTOMERS.logical_id],
        Key={"pk": {"S": f"ICCID#{iccid}"}, "sk": {"S": f"ICCID#{iccid}"}},
        ConsistentRead=True,
    )
    return from_raw(raw["Item"]) if "Item" in raw else None


def with_detail(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    changed["detail"] |= changes
    return changed


@pytest.fixture
def jeanne(api: Api, world: DemoWorld) -> str:
    customer = world.customers[0]
    return str(api.login(customer.login_id, customer.password)["access_token"])


def get(api: Api, token: str, path: str) -> Any:
    response = api.call("GET", path, token=token)
    assert response.status == 200, (path, response.body)
    return body(response)


def test_the_demo_lines_came_through_the_projection(aws: LocalResources, world: DemoWorld) -> None:
    """Every demo line carries the inventory's version and event id: none was written around the projection."""
    lines = {sk: item for sk, item in items(aws).items() if sk.count("#") == 1 and sk.startswith("LINE#")}
    assert len(lines) == 5
    assert all(item["inventory_version"] >= 1 and item["last_event_id"].startswith("demo-") for item in lines.values())
    assert items(aws)[f"LINE#{JEANNES}"]["inventory_version"] == 2  # created, then its SIM
    assert dead_letters(aws) == []


def test_a_lines_life_from_creation_to_its_end(api: Api, jeanne: str, aws: LocalResources) -> None:
    # Given the inventory creates a line for Jeanne
    put(sample("LineCreated"))
    line = get(api, jeanne, f"/mobile/lines/{NEW}")
    assert (line["offer"], line["user"], line["status"], line["commitment_ends_on"]) == (
        "Forfait 50 Go",
        "Paul Dupont",
        "active",
        "2027-11-20",
    )
    assert line["sim"] == {"status": "none", "iccid_last_digits": None}
    assert api.call("GET", f"/mobile/lines/{NEW}/puk", token=jeanne).status == 404
    # When its SIM card is activated by the network, then the PUK is the event's and the SIM is claimed
    put(sample("LineSimChanged"))
    assert get(api, jeanne, f"/mobile/lines/{NEW}/puk")["puk"] == "58201947"
    assert get(api, jeanne, f"/mobile/lines/{NEW}")["sim"] == {"status": "active", "iccid_last_digits": "0066"}
    assert claim(aws, "8937710310000000066") == {
        "pk": "ICCID#8937710310000000066",
        "sk": "ICCID#8937710310000000066",
        "customer_id": "C0001",
        "line_id": NEW,
    }
    # When the offer changes and the commitment ends
    put(sample("LineChanged"))
    line = get(api, jeanne, f"/mobile/lines/{NEW}")
    assert (line["offer"], line["options"], line["commitment_ends_on"], line["user"]) == (
        "Forfait 100 Go",
        [],
        None,
        "Paul Dupont",
    )
    # When the network suspends it
    put(sample("LineStatusChanged"))
    stored = items(aws)[f"LINE#{NEW}"]
    assert (stored["status"], stored["status_version"], stored["network_status"]) == ("suspended", 1, "suspended")
    # When it ends, then its SIM card is free again
    put(sample("LineEnded"))
    stored = items(aws)[f"LINE#{NEW}"]
    assert (stored["status"], stored["ended_at"], stored["inventory_version"]) == (
        "ended",
        "2026-11-30T23:59:59.000Z",
        5,
    )
    assert claim(aws, "8937710310000000066") is None
    assert dead_letters(aws) == []


def test_services_under_the_lines_are_projected(api: Api, jeanne: str, aws: LocalResources) -> None:
    put(*(sample(name) for name in (*SERVICE_EVENTS, "LineUsageRecorded")))
    boxes = get(api, jeanne, "/internet/lines/I-0001/boxes")["boxes"]
    assert {"box_id": "rep2", "model": "Wi-Fi repeater", "name": "Garage"} in boxes
    mailboxes = get(api, jeanne, "/internet/lines/I-0001/mailboxes")["mailboxes"]
    assert "lou.dupont@mail.selfcare.example" in [m["address"] for m in mailboxes]
    voip = get(api, jeanne, "/voip/lines/I-0001")
    assert voip["hide_caller_id"] is True
    assert voip["forwarding"] == {"mode": "busy", "destination": "+377612345678"}
    packs = {p["pack_id"]: p for p in get(api, jeanne, "/tv/lines/T-0001/packs")["packs"]}
    assert packs["kids"]["effective_until"] == "2026-12-01T00:00:00.000Z"
    vod = items(aws)["LINE#T-0001#VOD#v100"]
    assert vod["title_ref"].startswith(PREFIX) and vod["price_cents"] == 399
    stored = items(aws)
    usage = stored["LINE#M-377612345678#USAGE#2026-11-20T18:04:12.000Z#r100"]
    assert (usage["kind"], usage["duration_seconds"], usage["origin_country"]) == ("call", 420, "IT")
    assert stored["LINE#M-377612345678#CHARGE#oob100"]["label"] == "Call from Italy"
    assert dead_letters(aws) == []


def test_vod_title_references_are_never_stored_in_clear(aws: LocalResources, world: DemoWorld) -> None:
    put(sample("VodViewsRecorded"))
    table = json.dumps(boto3.client("dynamodb").scan(TableName=aws.table_names[d.CUSTOMERS.logical_id])["Items"])
    assert "CAT-" not in table  # neither the sample's reference nor the demo's three
    views = [i for sk, i in items(aws).items() if "#VOD#" in sk]
    assert len(views) == 4 and all(v["title_ref"].startswith(PREFIX) for v in views)


def test_a_replay_changes_nothing_and_raises_nothing(aws: LocalResources, world: DemoWorld) -> None:
    put(*(sample(name) for name in ALL))
    before = items(aws)
    assert put(*(sample(name) for name in ALL)) == len(ALL)
    assert items(aws) == before
    assert dead_letters(aws) == []


def test_an_older_version_never_overwrites_a_newer_one(aws: LocalResources, world: DemoWorld) -> None:
    put(sample("LineCreated"), sample("LineSimChanged"), sample("LineChanged"))
    older = with_detail(sample("LineChanged"), event_id="inv-evt-older", entity_version=2)
    older["detail"]["changes"] = {"offer": "Forfait 20 Go"}
    older_box = with_detail(sample("BoxChanged"), event_id="inv-evt-box-0")
    put(sample("BoxChanged"))
    newer_box = with_detail(sample("BoxChanged"), event_id="inv-evt-box-2", entity_version=2)
    newer_box["detail"]["box"] = {"box_id": "rep2", "model": "Wi-Fi repeater", "name": "Office"}
    put(newer_box, older, older_box)
    stored = items(aws)
    assert (stored[f"LINE#{NEW}"]["offer"], stored[f"LINE#{NEW}"]["inventory_version"]) == ("Forfait 100 Go", 3)
    assert stored["LINE#I-0001#BOX#rep2"]["name"] == "Office"
    letters = dead_letters(aws)
    assert [(reason, letter["event_id"]) for reason, letter in letters] == [
        ("out_of_order", "inv-evt-older"),
        ("out_of_order", "inv-evt-box-0"),
    ]


def test_unknown_customers_and_lines_go_to_the_dead_letters_with_their_reason(
    aws: LocalResources, world: DemoWorld
) -> None:
    unknown_customer = with_detail(sample("LineCreated"), customer_id="C9999")
    unknown_line = with_detail(sample("BoxChanged"), line_id="I-9999")
    unknown_for_usage = with_detail(sample("LineUsageRecorded"), line_id="M-000")
    others_line = with_detail(sample("LineSimChanged"), line_id="M-377623456780")  # C0002's line, not C0001's
    malformed = with_detail(sample("LineSimChanged"), sim={"iccid": "1234", "puk": "58201947"})
    put(unknown_customer, unknown_line, unknown_for_usage, others_line, malformed)
    reasons = [(reason, letter["detail_type"]) for reason, letter in dead_letters(aws)]
    assert reasons == [
        ("unknown_customer", "LineCreated"),
        ("unknown_line", "BoxChanged"),
        ("unknown_line", "LineUsageRecorded"),
        ("unknown_line", "LineSimChanged"),
        ("malformed_detail", "LineSimChanged"),
    ]
    assert f"LINE#{NEW}" not in items(aws) and "LINE#I-9999#BOX#rep2" not in items(aws)


def test_a_sim_card_held_by_another_line_is_refused(aws: LocalResources, world: DemoWorld) -> None:
    put(sample("LineCreated"))
    marcos_sim = with_detail(sample("LineSimChanged"), sim={"iccid": "8937710310000000025", "puk": "11112222"})
    put(marcos_sim)
    assert [reason for reason, _ in dead_letters(aws)] == ["iccid_in_use"]
    assert "iccid" not in items(aws)[f"LINE#{NEW}"]
    assert claim(aws, "8937710310000000025")["line_id"] == "M-377623456780"  # type: ignore[index]


def test_the_puk_after_a_sim_activation_comes_from_the_networks_event(
    api: Api, jeanne: str, aws: LocalResources
) -> None:
    # Given Lou's line has no SIM card, and Jeanne activates one in the space
    api.gateway.handlers["mobile"].service.provisioning = InMemoryProvisioning()
    activated = api.call("POST", f"/mobile/lines/{LOUS}/sim", {"iccid": SPARE_ICCID}, token=jeanne)
    assert activated.status == 200, activated.body
    # Then no PUK is known until the network tells it
    assert api.call("GET", f"/mobile/lines/{LOUS}/puk", token=jeanne).status == 404
    # When the network's SIM event arrives with the new ICCID and its PUK
    sim = with_detail(sample("LineSimChanged"), line_id=LOUS, entity_version=2, event_id="inv-evt-lou-sim")
    sim["detail"]["sim"] = {"iccid": SPARE_ICCID, "puk": "90817263"}
    put(sim)
    # Then the PUK route answers it, and the SIM stays claimed by Lou's line
    assert get(api, jeanne, f"/mobile/lines/{LOUS}/puk")["puk"] == "90817263"
    assert get(api, jeanne, f"/mobile/lines/{LOUS}")["sim"]["iccid_last_digits"] == SPARE_ICCID[-4:]
    assert claim(aws, SPARE_ICCID)["line_id"] == LOUS  # type: ignore[index]
    assert dead_letters(aws) == []


# The network's status and the workflows' pending state --------------------------------------------------------
def handler() -> Any:
    from infra.local import seed

    deliver_crm_events()  # loads the projection handler once
    return seed._projection_handler


class Context:
    invoked_function_arn = local_projection_arn()
    function_name = "selfcare-projection"
    memory_limit_in_mb = 512
    aws_request_id = "test"
    function_version = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def network_status(state: str, version: int, event_id: str) -> dict[str, Any]:
    event = with_detail(sample("LineStatusChanged"), line_id=JEANNES, entity_version=version, event_id=event_id)
    event["detail"]["state"] = state
    return event


def test_a_network_status_waits_for_the_workflow_that_owns_the_line(aws: LocalResources, world: DemoWorld) -> None:
    lines = LinesRepository(aws.table_names[d.CUSTOMERS.logical_id])
    line = ("C0001", JEANNES)
    audit = {"Put": {"TableName": aws.table_names[d.AUDIT_LOG.logical_id], "Item": to_raw({"subject": "x", "sk": "y"})}}
    # Given a suspension workflow owns Jeanne's line
    lines.begin(line, required="active", from_version=0, pending="suspension_pending", handle="h1", at="t", audit=audit)
    # When the network's suspension arrives meanwhile (the echo of the workflow's own change)
    echo = network_status("suspended", 3, "inv-evt-echo")
    with pytest.raises(LineBusy):
        handler().lambda_handler(echo, Context())
    # Then the line stays the workflow's, which settles as it would
    assert items(aws)[f"LINE#{JEANNES}"]["status"] == "suspension_pending"
    lines.settle(line, pending="suspension_pending", handle="h1", status="suspended", at="t2", audit=audit)
    # And the retried event then applies: the status is already the network's, its version is left alone
    assert handler().lambda_handler(echo, Context()) == {"outcome": "applied"}
    stored = items(aws)[f"LINE#{JEANNES}"]
    assert (stored["status"], stored["status_version"], stored["network_status"]) == ("suspended", 2, "suspended")
    assert dead_letters(aws) == []


def test_a_network_status_on_an_idle_line_wins_over_a_workflow_begun_before_it(
    aws: LocalResources, world: DemoWorld
) -> None:
    lines = LinesRepository(aws.table_names[d.CUSTOMERS.logical_id])
    seen = lines.get("C0001", JEANNES)
    assert seen is not None and (seen.status, seen.status_version) == ("active", 0)
    # When the network suspends the idle line
    assert handler().lambda_handler(network_status("suspended", 3, "inv-evt-fraud"), Context()) == {
        "outcome": "applied"
    }
    # Then the line is suspended with a new status version, so a workflow started on what was read before fails
    after = lines.get("C0001", JEANNES)
    assert after is not None and (after.status, after.status_version) == ("suspended", 1)
    audit = {"Put": {"TableName": aws.table_names[d.AUDIT_LOG.logical_id], "Item": to_raw({"subject": "x", "sk": "z"})}}
    with pytest.raises(ConditionFailed):
        lines.begin(
            ("C0001", JEANNES),
            required="active",
            from_version=seen.status_version,
            pending="suspension_pending",
            handle="h2",
            at="t",
            audit=audit,
        )
    # And an older network status (version 2 < 3) changes nothing: out of order
    assert handler().lambda_handler(network_status("active", 2, "inv-evt-old"), Context()) == {"outcome": "rejected"}
    assert items(aws)[f"LINE#{JEANNES}"]["status"] == "suspended"
    assert [reason for reason, _ in dead_letters(aws)] == ["out_of_order"]
