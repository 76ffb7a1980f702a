"""Commercial SMS governance, through the real handlers on moto (issue 11)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from selfcare.auth.policy import StaffRole

from infra import definitions as d
from infra.local import emulation
from infra.local.resources import LocalResources
from tests.factories import DemoWorld
from tests.integration.conftest import Api, body

SHORT = "36180"
GOOD = "Soldes -50% chez Riviera Shop ce week-end ! STOP au 36180"
NO_MENTION = "Soldes -50% chez Riviera Shop ce week-end !"


@pytest.fixture(autouse=True)
def _daytime(monkeypatch: pytest.MonkeyPatch) -> None:
    # The night-time window is tested on the logic with a fixed clock (tests/unit/test_sms_policy.py).
    monkeypatch.setenv("SMS_NIGHT_WINDOW", "")


def staff_token(api: Api, world: DemoWorld, role: StaffRole = StaffRole.SALES) -> str:
    member = world.staff[role]
    return str(api.staff_login(member.email, member.password)["access_token"])


def provider_request(**overrides: Any) -> dict[str, Any]:
    return {
        "legal_name": "Riviera Promo SARL",
        "declaration_number": "ARCEP-2026-0042",
        "contract_reference": "VAS-2026-007",
        "contract_start": "2026-01-01",
        "contract_end": None,
        "sender_ids": ["RIVIERA"],
        "opt_out_number": SHORT,
        "throughput_per_second": 100,
    } | overrides


def declare(api: Api, token: str, **overrides: Any) -> tuple[str, str]:
    created = api.call("POST", "/sms/providers", provider_request(**overrides), token=token)
    assert created.status == 201, created.body
    provider_id = body(created)["provider_id"]
    issued = api.call("POST", f"/sms/providers/{provider_id}/credentials", token=token)
    assert issued.status == 201, issued.body
    return provider_id, body(issued)["authorization"]


def as_provider(api: Api, authorization: str, method: str, path: str, payload: Any = None) -> Any:
    return api.call(method, path, payload, headers={"Authorization": authorization})


def sms_sent(to: str | None = None) -> list[dict[str, Any]]:
    return [m for m in emulation.outbox(to) if m["from"] == "SMS"]


def drain(aws: LocalResources, api: Api, max_messages: int | None = None) -> int:
    import boto3

    handler = api.gateway.handlers[d.SMS_CAMPAIGNS.name].lambda_handler
    sqs = boto3.Session(region_name="eu-west-3").client("sqs")
    return emulation.deliver_sms_batches(sqs, aws.sms_campaign_queue_url, handler, max_messages)


def audit_entries(aws: LocalResources, customer_id: str, actions: tuple[str, ...]) -> list[dict[str, Any]]:
    """The customer's audit entries of these actions (the whole items, as stored)."""
    import boto3

    items = boto3.resource("dynamodb").Table(aws.table_names[d.AUDIT_LOG.logical_id]).scan()["Items"]
    return [i for i in items if i.get("subject") == f"customer#{customer_id}" and i.get("action") in actions]


def stop(api: Api, origination: str, text: str = "STOP", destination: str = SHORT) -> Any:
    return emulation.inject_inbound_sms(
        api.gateway.handlers[d.SMS_INBOUND.name].lambda_handler, origination, destination, text
    )


def started_campaign(api: Api, authorization: str, numbers: list[str]) -> str:
    """A running campaign of one batch (the campaign text) to `numbers`."""
    campaign_id = str(
        body(
            as_provider(api, authorization, "POST", "/sms/provider/campaigns", {"sender_id": "RIVIERA", "text": GOOD})
        )["campaign_id"]
    )
    as_provider(
        api,
        authorization,
        "POST",
        f"/sms/provider/campaigns/{campaign_id}/recipients",
        {"recipients": [{"to": n} for n in numbers]},
    )
    as_provider(api, authorization, "POST", f"/sms/provider/campaigns/{campaign_id}/start")
    return campaign_id


@pytest.fixture
def provider(api: Api, world: DemoWorld) -> Iterator[tuple[str, str, str]]:
    token = staff_token(api, world)
    provider_id, authorization = declare(api, token)
    yield provider_id, authorization, token


# 1. Providers ----------------------------------------------------------------------------------------
def test_declared_provider_is_audited_and_its_secret_is_shown_once_and_stored_hashed(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given sales staff
    token = staff_token(api, world)
    # When they declare a provider and issue its credentials
    provider_id, authorization = declare(api, token)
    # Then the register shows it active, with credentials, and no secret
    shown = body(api.call("GET", f"/sms/providers/{provider_id}", token=token))
    assert shown["status"] == "active" and shown["has_credentials"] is True
    assert "secret" not in json.dumps(shown) and authorization.split(":")[1] not in json.dumps(shown)
    # And the table holds only the SHA-256 of the secret
    import boto3

    raw = boto3.client("dynamodb", region_name="eu-west-3").scan(TableName=aws.table_names[d.SMS.logical_id])["Items"]
    assert authorization.split(":", 1)[1] not in json.dumps(raw)
    # And both changes are in the audit trail
    trail = boto3.client("dynamodb", region_name="eu-west-3").query(
        TableName=aws.table_names[d.AUDIT_LOG.logical_id],
        KeyConditionExpression="subject = :s",
        ExpressionAttributeValues={":s": {"S": f"sms-provider#{provider_id}"}},
    )["Items"]
    assert sorted(i["action"]["S"] for i in trail) == ["sms_provider.credentials_issued", "sms_provider.registered"]
    # And the provider authenticates with it
    me = as_provider(api, authorization, "GET", "/sms/provider/me")
    assert me.status == 200 and body(me)["provider_id"] == provider_id


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (StaffRole.SALES, True),
        (StaffRole.INFRASTRUCTURE, True),
        (StaffRole.PRODUCTION, True),
        (StaffRole.CUSTOMER_SERVICE_ADVISOR, False),
        (StaffRole.CUSTOMER_SERVICE_STAFF, False),
    ],
)
def test_only_the_decided_roles_keep_the_register(api: Api, world: DemoWorld, role: StaffRole, allowed: bool) -> None:
    token = staff_token(api, world, role)
    answer = api.call("POST", "/sms/providers", provider_request(), token=token)
    assert answer.status == (201 if allowed else 403), answer.body


def test_customers_cannot_read_the_register(api: Api, world: DemoWorld) -> None:
    jeanne = world.customers[0]
    token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    assert api.call("GET", "/sms/providers", token=token).status == 403


def test_wrong_rotated_or_missing_credentials_are_refused(api: Api, provider: tuple[str, str, str]) -> None:
    provider_id, authorization, token = provider
    assert as_provider(api, f"SmsProvider {provider_id}:wrong", "GET", "/sms/provider/me").status == 401
    assert api.call("GET", "/sms/provider/me").status == 401
    # When the secret is rotated, the previous one is refused at once and the new one works
    rotated = body(api.call("POST", f"/sms/providers/{provider_id}/credentials", token=token))["authorization"]
    old = as_provider(api, authorization, "GET", "/sms/provider/me")
    assert old.status == 401 and body(old)["error"]["code"] == "provider_credentials_refused"
    assert as_provider(api, rotated, "GET", "/sms/provider/me").status == 200


def test_suspension_takes_effect_at_once_and_ending_the_contract_for_good(
    api: Api, provider: tuple[str, str, str]
) -> None:
    provider_id, authorization, token = provider
    assert as_provider(api, authorization, "GET", "/sms/provider/me").status == 200
    # When staff suspend the provider
    suspended = api.call(
        "POST", f"/sms/providers/{provider_id}/suspension", {"reason": "Complaints above threshold"}, token=token
    )
    assert body(suspended)["status"] == "suspended"
    # Then its very next call is refused, and nothing is sent
    refused = as_provider(
        api,
        authorization,
        "POST",
        "/sms/provider/messages",
        {"sender_id": "RIVIERA", "to": "+33612345678", "text": GOOD},
    )
    assert refused.status == 403 and body(refused)["error"]["code"] == "provider_not_allowed"
    assert sms_sent("+33612345678") == []
    # When reinstated, it may send again
    api.call("DELETE", f"/sms/providers/{provider_id}/suspension", token=token)
    assert as_provider(api, authorization, "GET", "/sms/provider/me").status == 200
    # When its contract ends, it is refused and its record no longer changes
    api.call("POST", f"/sms/providers/{provider_id}/end", {"reason": "Contract terminated"}, token=token)
    assert as_provider(api, authorization, "GET", "/sms/provider/me").status == 401  # credentials deleted
    assert api.call("POST", f"/sms/providers/{provider_id}/credentials", token=token).status == 409


def test_a_contract_not_in_force_is_refused(api: Api, world: DemoWorld) -> None:
    token = staff_token(api, world)
    _, authorization = declare(api, token, contract_start="2020-01-01", contract_end="2020-12-31")
    answer = as_provider(api, authorization, "GET", "/sms/provider/me")
    assert answer.status == 403 and body(answer)["error"]["code"] == "provider_not_allowed"


# 2. Sending -----------------------------------------------------------------------------------------
def test_single_message_outcomes_each_with_its_reason(api: Api, provider: tuple[str, str, str]) -> None:
    _, authorization, _ = provider

    def send(sender: str, to: str, text: str) -> dict[str, Any]:
        answer = as_provider(
            api, authorization, "POST", "/sms/provider/messages", {"sender_id": sender, "to": to, "text": text}
        )
        assert answer.status == 200, answer.body
        return dict(body(answer))

    sent = send("RIVIERA", "+33612000001", GOOD)
    assert (sent["status"], sent["reason"], sent["encoding"]) == ("sent", None, "GSM-7")
    assert [m["body"] for m in sms_sent("+33612000001")] == [GOOD]
    assert send("OTHER", "+33612000002", GOOD)["reason"] == "sender_id_not_allowed"
    assert send("RIVIERA", "+33612000003", NO_MENTION)["reason"] == "missing_opt_out_mention"
    assert sms_sent("+33612000002") == [] and sms_sent("+33612000003") == []


def test_unknown_fields_are_refused_and_nothing_is_sent(api: Api, provider: tuple[str, str, str]) -> None:
    # Given a provider with credentials and a staff member of the register
    provider_id, authorization, staff = provider
    # When a message carries a field the API does not know (here, a sender id override it would have dropped)
    message = {"sender_id": "RIVIERA", "to": "+33612000009", "text": GOOD, "priority": "high"}
    answer = as_provider(api, authorization, "POST", "/sms/provider/messages", message)
    # Then it is refused at that field, as every write of the API refuses unknown fields, and nothing is sent
    assert answer.status == 422
    assert [p["loc"] for p in body(answer)["error"]["details"]] == [["body", "priority"]]
    assert sms_sent("+33612000009") == []
    # And the register's writes likewise
    suspended = api.call("POST", f"/sms/providers/{provider_id}/suspension", {"reason": "audit", "x": 1}, token=staff)
    assert suspended.status == 422 and body(suspended)["error"]["details"][0]["loc"] == ["body", "x"]


def test_campaign_outcomes_stop_reply_and_next_message_refused(
    api: Api, provider: tuple[str, str, str], aws: LocalResources
) -> None:
    provider_id, authorization, token = provider
    # Given a number that opted out earlier, by STOP to the provider's short number
    stop(api, "+33612000020", " Arrêt ! ")
    # When the provider submits a campaign: some personalised texts lack the mention, one recipient opted out
    campaign = body(
        as_provider(api, authorization, "POST", "/sms/provider/campaigns", {"sender_id": "RIVIERA", "text": GOOD})
    )
    recipients = [
        {"to": "+33612000010"},
        {"to": "+33612000011", "text": NO_MENTION},
        {"to": "+33612000020"},
        {"to": "+33612000012", "text": "Nouveau : Riviera Club. Stop SMS au 36 180"},
    ]
    added = as_provider(
        api,
        authorization,
        "POST",
        f"/sms/provider/campaigns/{campaign['campaign_id']}/recipients",
        {"recipients": recipients},
    )
    assert added.status == 202 and body(added)["batch"] == 1
    started = as_provider(api, authorization, "POST", f"/sms/provider/campaigns/{campaign['campaign_id']}/start")
    assert started.status == 202 and body(started)["status"] == "running"
    assert drain(aws, api) == 1
    # Then the outcomes are exact, per recipient, in order
    page = body(as_provider(api, authorization, "GET", f"/sms/provider/campaigns/{campaign['campaign_id']}/outcomes"))
    assert [(o["to"], o["status"], o["reason"]) for o in page["outcomes"]] == [
        ("+33612000010", "sent", None),
        ("+33612000011", "refused", "missing_opt_out_mention"),
        ("+33612000020", "refused", "opted_out"),
        ("+33612000012", "sent", None),
    ]
    done = body(as_provider(api, authorization, "GET", f"/sms/provider/campaigns/{campaign['campaign_id']}"))
    assert (done["status"], done["batches_done"]) == ("done", 1)
    # When a recipient replies STOP, they get one confirmation, and the next message to them is refused
    assert stop(api, "+33612000010", "stop")["handled"] == [{"keyword": "stop", "changed": True}]
    assert stop(api, "+33612000010", "STOP")["handled"] == [{"keyword": "stop", "changed": False}]
    replies = [m for m in sms_sent("+33612000010") if "START" in m["body"]]
    assert len(replies) == 1
    again = as_provider(
        api,
        authorization,
        "POST",
        "/sms/provider/messages",
        {"sender_id": "RIVIERA", "to": "+33612000010", "text": GOOD},
    )
    assert body(again)["reason"] == "opted_out"
    # And START undoes it
    stop(api, "+33612000010", "Start")
    again = as_provider(
        api,
        authorization,
        "POST",
        "/sms/provider/messages",
        {"sender_id": "RIVIERA", "to": "+33612000010", "text": GOOD},
    )
    assert body(again)["status"] == "sent"
    # And the monthly report counts it all
    month = datetime.now(UTC).strftime("%Y-%m")
    report = body(api.call("GET", f"/sms/providers/{provider_id}/reports/{month}", token=token))
    assert (report["submitted"], report["sent"], report["refused_total"], report["opt_outs"]) == (6, 3, 3, 2)
    assert report["refused"] == {"missing_opt_out_mention": 1, "opted_out": 2}


def test_a_stop_received_while_a_campaign_runs_refuses_its_next_message(
    api: Api, provider: tuple[str, str, str], aws: LocalResources
) -> None:
    _, authorization, _ = provider
    campaign_id = body(
        as_provider(api, authorization, "POST", "/sms/provider/campaigns", {"sender_id": "RIVIERA", "text": GOOD})
    )["campaign_id"]
    for n in range(2):
        as_provider(
            api,
            authorization,
            "POST",
            f"/sms/provider/campaigns/{campaign_id}/recipients",
            {"recipients": [{"to": f"+3361200010{n}"}, {"to": "+33612000199"}]},
        )
    as_provider(api, authorization, "POST", f"/sms/provider/campaigns/{campaign_id}/start")
    # Given the first batch went out
    assert drain(aws, api, max_messages=1) == 1
    # When the shared recipient sends STOP before the second batch
    stop(api, "+33612000199", "UNSUBSCRIBE")
    drain(aws, api)
    outcomes = body(as_provider(api, authorization, "GET", f"/sms/provider/campaigns/{campaign_id}/outcomes"))[
        "outcomes"
    ]
    shared = [(o["batch"], o["status"], o["reason"]) for o in outcomes if o["to"] == "+33612000199"]
    assert shared == [(1, "sent", None), (2, "refused", "opted_out")]


def test_a_provider_never_reads_another_providers_campaign(
    api: Api, world: DemoWorld, provider: tuple[str, str, str]
) -> None:
    _, authorization, token = provider
    _, other = declare(api, token, opt_out_number="36190", sender_ids=["OTHER"])
    campaign_id = body(
        as_provider(api, authorization, "POST", "/sms/provider/campaigns", {"sender_id": "RIVIERA", "text": GOOD})
    )["campaign_id"]
    for path in (f"/sms/provider/campaigns/{campaign_id}", f"/sms/provider/campaigns/{campaign_id}/outcomes"):
        assert as_provider(api, other, "GET", path).status == 404


# 3. The customer's opt-outs and complaints -------------------------------------------------------------
def test_customer_sees_and_changes_each_mobile_lines_opt_out_and_reports_an_sms(
    api: Api, world: DemoWorld, provider: tuple[str, str, str], aws: LocalResources
) -> None:
    provider_id, authorization, staff = provider
    jeanne = world.customers[0]
    token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    lines = body(api.call("GET", "/account/commercial-sms/lines", token=token))["lines"]
    assert [(line["line_id"], line["opted_out"]) for line in lines] == [
        ("M-377612345678", False),
        ("M-377612345679", False),
    ]
    changed = api.call("PUT", "/account/commercial-sms/lines/M-377612345679", {"opted_out": True}, token=token)
    assert body(changed) == {
        "line_id": "M-377612345679",
        "number": "+377612345679",
        "opted_out": True,
        "short_numbers": [],
    }
    refused = as_provider(
        api,
        authorization,
        "POST",
        "/sms/provider/messages",
        {"sender_id": "RIVIERA", "to": "+377612345679", "text": GOOD},
    )
    assert body(refused)["reason"] == "opted_out"
    # Another customer's line is unknown
    assert (
        api.call("PUT", "/account/commercial-sms/lines/M-377623456780", {"opted_out": True}, token=token).status == 404
    )
    # A report of an unwanted SMS counts against the provider of the sender id
    reported = api.call(
        "POST",
        "/account/commercial-sms/reports",
        {"line_id": "M-377612345678", "sender_id": "RIVIERA", "received_at": "2026-11-20T21:30:00Z", "text": "Promo !"},
        token=token,
    )
    assert reported.status == 201 and body(reported)["counted_against_provider"] is True
    month = datetime.now(UTC).strftime("%Y-%m")
    report = body(api.call("GET", f"/sms/providers/{provider_id}/reports/{month}", token=staff))
    assert report["complaints"] == 1
    # The change and the report are audited on the customer's trail, their lines as keyed hashes (a line id holds
    # the phone number; entries are never updated, so none may hold it)
    entries = audit_entries(aws, jeanne.customer_id, ("commercial_sms.opted_out", "commercial_sms.complaint_reported"))
    assert len(entries) == 2
    assert all(e["target"].startswith("line#p-") and "37761234567" not in str(e) for e in entries)


def test_the_operators_own_sms_needs_the_commercial_sms_consent(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    jeanne = world.customers[0]
    customer = api.login(jeanne.login_id, jeanne.password)["access_token"]
    sales = staff_token(api, world)
    message = {
        "customer_id": jeanne.customer_id,
        "line_id": "M-377612345678",
        "text": "Nouveau forfait ! STOP au 36100",
    }
    # Without the consent: refused
    refused = api.call("POST", "/sms/operator/messages", message, token=sales)
    assert refused.status == 200 and body(refused)["reason"] == "no_consent"
    # With it (a consent purpose like the others, with its history): sent
    assert api.call("PUT", "/account/consents/commercial_sms", {"granted": True}, token=customer).status == 200
    sent = api.call("POST", "/sms/operator/messages", message, token=sales)
    assert body(sent)["status"] == "sent"
    history = body(api.call("GET", "/account/consents/history", token=customer))["records"]
    assert [r["purpose"] for r in history] == ["commercial_sms"]
    # Both decisions are audited on the customer's trail, the line as a keyed hash (never the number)
    entries = audit_entries(aws, jeanne.customer_id, ("sms.operator_message.refused", "sms.operator_message.sent"))
    assert len(entries) == 2
    assert all(e["target"].startswith("line#p-") and "37761234567" not in str(e) for e in entries)


# 4. Control ----------------------------------------------------------------------------------------------
def test_report_downloads_and_automatic_suspension_proposal(
    api: Api, provider: tuple[str, str, str], aws: LocalResources
) -> None:
    provider_id, authorization, token = provider
    campaign_id = body(
        as_provider(api, authorization, "POST", "/sms/provider/campaigns", {"sender_id": "RIVIERA", "text": NO_MENTION})
    )["campaign_id"]
    as_provider(
        api,
        authorization,
        "POST",
        f"/sms/provider/campaigns/{campaign_id}/recipients",
        {"recipients": [{"to": f"+336130000{n:02d}"} for n in range(25)]},
    )
    as_provider(api, authorization, "POST", f"/sms/provider/campaigns/{campaign_id}/start")
    drain(aws, api)
    proposals = body(api.call("GET", "/sms/suspension-proposals", token=token))["proposals"]
    assert [(p["provider_id"], p["reasons"][0].split()[0]) for p in proposals] == [
        (provider_id, "missing_mention_rate")
    ]
    month = datetime.now(UTC).strftime("%Y-%m")
    csv_answer = api.call("GET", f"/sms/providers/{provider_id}/reports/{month}/csv", token=token)
    assert csv_answer.status == 200 and csv_answer.headers["Content-Type"].startswith("text/csv")
    rows = dict(line.split(",", 1) for line in str(csv_answer.body).splitlines()[1:])
    assert rows["submitted"] == "25" and rows["refused_missing_opt_out_mention"] == "25" and rows["sent"] == "0"
    pdf = api.call("GET", f"/sms/providers/{provider_id}/reports/{month}/pdf", token=token)
    assert pdf.status == 200 and isinstance(pdf.body, bytes) and pdf.body.startswith(b"%PDF")


# The provider API's inventory ------------------------------------------------------------------------------
PERSONAL_OR_OPERATOR_FIELDS = {
    "customer_id",
    "account_number",
    "line_id",
    "lines",
    "subscribers",
    "customers",
    "numbers",
    "opt_outs",
    "scopes",
}


def _fields(schema: dict[str, Any], components: dict[str, Any], seen: set[str]) -> set[str]:
    names: set[str] = set()
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return names
        seen.add(name)
        return _fields(components[name], components, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for inner in schema.get(key, []):
            names |= _fields(inner, components, seen)
    if "items" in schema:
        names |= _fields(schema["items"], components, seen)
    for name, inner in schema.get("properties", {}).items():
        names.add(name)
        names |= _fields(inner, components, seen)
    if isinstance(schema.get("additionalProperties"), dict):
        names |= _fields(schema["additionalProperties"], components, seen)
    return names


def test_no_provider_route_answers_a_subscriber_or_a_list_of_the_operators_numbers() -> None:
    """Route inventory: every route a provider can call (the sms_gateway function's, and nothing else public
    of the capability) answers only the provider's own record or the outcomes of numbers it submitted."""
    from infra.openapi import build_document

    provider_routes = {(r.method, r.path) for r in d.ROUTES if r.function == d.SMS_GATEWAY.name}
    assert all(r.public for r in d.ROUTES if r.function == d.SMS_GATEWAY.name)
    assert {(r.method, r.path) for r in d.ROUTES if r.public and r.path.startswith("/sms")} == provider_routes
    # Each route's answer, reviewed: the only number a provider ever reads is in an outcome of its own submission
    reviewed = {
        ("GET", "/sms/provider/me"): "SmsProviderSelfView",
        ("POST", "/sms/provider/messages"): "SmsOutcomeView",
        ("POST", "/sms/provider/campaigns"): "SmsCampaignView",
        ("GET", "/sms/provider/campaigns/{campaign_id}"): "SmsCampaignView",
        ("POST", "/sms/provider/campaigns/{campaign_id}/recipients"): "SmsBatchView",
        ("POST", "/sms/provider/campaigns/{campaign_id}/start"): "SmsCampaignView",
        ("GET", "/sms/provider/campaigns/{campaign_id}/outcomes"): "SmsOutcomePage",
    }
    assert set(reviewed) == provider_routes
    document = build_document()
    components = document["components"]["schemas"]
    for (method, path), model in reviewed.items():
        operation = document["paths"][path][method.lower()]
        (success,) = [s for s in operation["responses"] if s.startswith("2")]
        schema = operation["responses"][success]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model}"}, (method, path)
        fields = _fields(schema, components, set())
        assert not fields & PERSONAL_OR_OPERATOR_FIELDS, (method, path, fields & PERSONAL_OR_OPERATOR_FIELDS)
    # The only phone number field anywhere in those answers is an outcome's `to`
    assert _fields({"$ref": "#/components/schemas/SmsOutcomePage"}, components, set()) >= {"to"}
    assert "to" not in _fields({"$ref": "#/components/schemas/SmsProviderSelfView"}, components, set())


def test_resume_after_a_crash_sends_nothing_twice_and_reads_at_most_100_numbers_per_call(
    api: Api, provider: tuple[str, str, str], aws: LocalResources
) -> None:
    from selfcare import aws as aws_clients
    from selfcare.config import SmsSettings
    from selfcare.sms.wiring import build_sms_services

    from tests.fakes import CrashedWorker, InMemorySmsNetwork

    _, authorization, _ = provider
    numbers = [f"+3361400{n:04d}" for n in range(250)]
    campaign_id = started_campaign(api, authorization, numbers)
    keys_per_read: list[int] = []

    def count_reads(params: dict[str, Any], **_: Any) -> None:
        keys_per_read.extend(len(request["Keys"]) for request in params["RequestItems"].values())

    aws_clients.client("dynamodb").meta.events.register("provide-client-params.dynamodb.BatchGetItem", count_reads)
    # Given the worker dies on its 151st message (the network never got it)
    crashing = InMemorySmsNetwork(crash_after=150)
    with pytest.raises(CrashedWorker):
        build_sms_services(SmsSettings.from_env(), network=crashing).sending.process_batch(campaign_id, 1)
    # When SQS delivers the batch again to a fresh worker
    resumed = InMemorySmsNetwork()
    outcomes = build_sms_services(SmsSettings.from_env(), network=resumed).sending.process_batch(campaign_id, 1)
    # Then no number got two messages, the one in flight is left `sending` (at most once), the rest were sent
    sent_to = [sms.to for sms in crashing.sent + resumed.sent]
    assert len(sent_to) == len(set(sent_to)) == 249
    assert [o.to for o in outcomes if o.status.value == "sending"] == [numbers[150]]
    assert len(resumed.sent) == 99
    # And opt-outs were read at most 100 numbers per BatchGetItem
    assert keys_per_read and max(keys_per_read) <= 100
    # And a third delivery of the finished batch sends nothing
    again = InMemorySmsNetwork()
    build_sms_services(SmsSettings.from_env(), network=again).sending.process_batch(campaign_id, 1)
    assert again.sent == []


def test_a_campaign_met_by_the_night_pauses_until_the_morning_then_sends_every_message(
    api: Api, provider: tuple[str, str, str], aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3
    from selfcare import aws as aws_clients
    from selfcare.config import SmsSettings
    from selfcare.sms.wiring import build_sms_services

    from tests.fakes import FixedClock, InMemorySmsNetwork

    _, authorization, _ = provider
    numbers = ["+33612000031", "+33612000032", "+33612000033"]
    campaign_id = started_campaign(api, authorization, numbers)
    # Given the worker at 23:30 in Monaco, with the operator's night window (22:00 to 08:00)
    monkeypatch.setenv("SMS_NIGHT_WINDOW", "22:00-08:00")
    clock = FixedClock(datetime(2026, 11, 25, 22, 30, tzinfo=UTC))
    network = InMemorySmsNetwork()
    worker = api.gateway.handlers[d.SMS_CAMPAIGNS.name]
    monkeypatch.setattr(worker, "services", build_sms_services(SmsSettings.from_env(), clock=clock, network=network))
    pauses: list[dict[str, Any]] = []
    aws_clients.client("sqs").meta.events.register(
        "provide-client-params.sqs.ChangeMessageVisibility", lambda params, **_: pauses.append(dict(params))
    )

    # When the queue delivers the batch
    assert drain(aws, api) == 0
    # Then nothing went out and nothing was refused: the batch waits for 08:00 local, 8 h 30 min away
    assert network.sent == []
    outcomes = body(as_provider(api, authorization, "GET", f"/sms/provider/campaigns/{campaign_id}/outcomes"))
    assert outcomes["outcomes"] == []
    assert [p["VisibilityTimeout"] for p in pauses] == [8 * 3600 + 30 * 60]
    # And the batch is not lost: held in the queue, out of sight until then
    sqs = boto3.client("sqs", region_name="eu-west-3")
    attributes = sqs.get_queue_attributes(
        QueueUrl=aws.sms_campaign_queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1" and drain(aws, api) == 0
    paused = body(as_provider(api, authorization, "GET", f"/sms/provider/campaigns/{campaign_id}"))
    assert paused["status"] == "running"

    # When the morning comes (SQS shows the message again) and the batch is delivered again
    clock.moment = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    sqs.change_message_visibility(
        QueueUrl=aws.sms_campaign_queue_url, ReceiptHandle=pauses[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    assert drain(aws, api) == 1
    # Then every message went out once, and the campaign is done
    assert sorted(sms.to for sms in network.sent) == numbers
    outcomes = body(as_provider(api, authorization, "GET", f"/sms/provider/campaigns/{campaign_id}/outcomes"))
    assert [(o["to"], o["status"]) for o in outcomes["outcomes"]] == [(n, "sent") for n in numbers]
    assert body(as_provider(api, authorization, "GET", f"/sms/provider/campaigns/{campaign_id}"))["status"] == "done"


def test_a_single_message_at_night_is_refused_at_once(
    api: Api, provider: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from selfcare.config import SmsSettings
    from selfcare.sms.wiring import build_sms_services

    from tests.fakes import FixedClock, InMemorySmsNetwork

    _, authorization, _ = provider
    # Given the provider API at 23:30 in Monaco, with the night window
    monkeypatch.setenv("SMS_NIGHT_WINDOW", "22:00-08:00")
    network = InMemorySmsNetwork()
    gateway = api.gateway.handlers[d.SMS_GATEWAY.name]
    night = build_sms_services(
        SmsSettings.from_env(), clock=FixedClock(datetime(2026, 11, 25, 22, 30, tzinfo=UTC)), network=network
    )
    monkeypatch.setattr(gateway, "services", night)
    # When it sends one message, Then the answer says night_time and nothing went out
    message = {"sender_id": "RIVIERA", "to": "+33612000034", "text": GOOD}
    answer = as_provider(api, authorization, "POST", "/sms/provider/messages", message)
    assert (body(answer)["status"], body(answer)["reason"]) == ("refused", "night_time") and network.sent == []


# Claims in transactions, settles in batches (the bench's cuts) ----------------------------------------
def claim_of(campaign_id: str, index: int, to: str) -> Any:
    from selfcare.sms.models import MessageOutcome, MessageStatus

    return MessageOutcome(campaign_id, 1, index, to, MessageStatus.SENDING, None, "2026-11-26T10:00:00Z")


def test_a_resume_after_a_worker_killed_between_claim_and_settle_sends_only_the_others_exactly_once(
    api: Api, provider: tuple[str, str, str], aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selfcare.config import SmsSettings
    from selfcare.sms.sending import CLAIM_GROUP
    from selfcare.sms.wiring import build_sms_services

    from tests.fakes import CrashedWorker, InMemorySmsNetwork

    numbers = [f"+3361500{n:04d}" for n in range(120)]
    campaign_id = started_campaign(api, provider[1], numbers)
    # Given a worker killed outright (no clean-up ran) after handing its second group to the network and before
    # settling it: its settles never reach DynamoDB
    killed = build_sms_services(SmsSettings.from_env(), network=(first := InMemorySmsNetwork()))
    settles = 0

    def die_at_the_second_settle(outcomes: Any, now: Any) -> None:
        nonlocal settles
        settles += 1
        if settles >= 2:
            raise CrashedWorker()
        type(killed.repository).settle(killed.repository, outcomes, now)

    monkeypatch.setattr(killed.repository, "settle", die_at_the_second_settle)
    with pytest.raises(CrashedWorker):
        killed.sending.process_batch(campaign_id, 1)
    assert len(first.sent) == 2 * CLAIM_GROUP
    # When SQS delivers the batch again to a fresh worker
    second = InMemorySmsNetwork()
    outcomes = build_sms_services(SmsSettings.from_env(), network=second).sending.process_batch(campaign_id, 1)
    # Then every number got exactly one message: the resumed run sent only those no run had claimed
    sent_to = [sms.to for sms in first.sent + second.sent]
    assert sorted(sent_to) == sorted(numbers)
    assert [sms.to for sms in second.sent] == numbers[2 * CLAIM_GROUP :]
    # And the killed group (sent, never settled) stays `sending`: in doubt, at most CLAIM_GROUP messages
    by_status: dict[str, list[str]] = {}
    for outcome in outcomes:
        by_status.setdefault(outcome.status.value, []).append(outcome.to)
    assert by_status == {
        "sent": numbers[:CLAIM_GROUP] + numbers[2 * CLAIM_GROUP :],
        "sending": numbers[CLAIM_GROUP : 2 * CLAIM_GROUP],
    }


def test_messages_claimed_meanwhile_by_another_run_cancel_the_claim_transaction_and_are_not_sent(
    api: Api, provider: tuple[str, str, str], aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selfcare import aws as aws_clients
    from selfcare.clock import SystemClock
    from selfcare.config import SmsSettings
    from selfcare.dal.sms import SmsRepository
    from selfcare.sms.wiring import build_sms_services

    from tests.fakes import InMemorySmsNetwork

    numbers = [f"+3361600{n:04d}" for n in range(60)]
    campaign_id = started_campaign(api, provider[1], numbers)
    services = build_sms_services(SmsSettings.from_env(), network=(network := InMemorySmsNetwork()))
    # Given another run claimed messages 3, 4 and 40 after this run read the batch's outcomes (none yet)
    taken = [3, 4, 40]
    services.repository.claim([claim_of(campaign_id, i, numbers[i]) for i in taken], SystemClock().now())
    monkeypatch.setattr(services.repository, "batch_outcomes", lambda *_: {})
    transactions: list[int] = []
    aws_clients.client("dynamodb").meta.events.register(
        "provide-client-params.dynamodb.TransactWriteItems",
        lambda params, **_: transactions.append(len(params["TransactItems"])),
    )
    # When this run processes the batch
    services.sending.process_batch(campaign_id, 1)
    # Then the groups holding them were cancelled and claimed again without them (23 + 24 + 10 = 57 claimed)
    assert transactions == [25, 23, 25, 24, 10]
    # And only the others were handed to the network, once each; the three stay as the other run left them
    assert sorted(sms.to for sms in network.sent) == sorted(n for i, n in enumerate(numbers) if i not in taken)
    outcomes = SmsRepository(aws.table_names[d.SMS.logical_id]).batch_outcomes(campaign_id, 1)
    assert {i for i, o in outcomes.items() if o.status.value == "sending"} == set(taken)
    assert sum(o.status.value == "sent" for o in outcomes.values()) == 57


def test_settles_retry_unprocessed_items_with_a_backoff_then_fail_the_batch(
    aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    import selfcare.dal.sms as sms_dal
    from selfcare.clock import SystemClock
    from selfcare.dal.sms import BATCH_WRITE_ATTEMPTS, SmsRepository, UnprocessedWrites
    from selfcare.sms.models import MessageStatus

    real = sms_dal.client()
    calls: list[int] = []
    left_over = {"per_call": 7, "calls": 2}

    class Throttled:
        """DynamoDB under pressure: the first calls leave their last items unprocessed (not written)."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:
            ((table, requests),) = RequestItems.items()
            calls.append(len(requests))
            if left_over["calls"] > 0 and len(requests) > left_over["per_call"]:
                left_over["calls"] -= 1
                cut = len(requests) - left_over["per_call"]
                real.batch_write_item(RequestItems={table: requests[:cut]})
                return {"UnprocessedItems": {table: requests[cut:]}}
            return dict(real.batch_write_item(RequestItems=RequestItems))

    pauses: list[float] = []
    repository = SmsRepository(aws.table_names[d.SMS.logical_id], sleep=pauses.append)
    now = SystemClock().now()
    claims = [claim_of("CSETTLE", i, f"+3361700{i:04d}") for i in range(40)]
    assert repository.claim(claims, now) == set(range(40))
    monkeypatch.setattr(sms_dal, "client", Throttled)
    # Given DynamoDB leaves 7 items unprocessed twice
    # When 40 claimed messages are settled (sent)
    from dataclasses import replace

    repository.settle([replace(c, status=MessageStatus.SENT) for c in claims], now)
    # Then the unprocessed ones were sent again after a pause, and all 40 are `sent`
    assert calls == [25, 7, 15, 7]
    assert pauses == [0.05, 0.05]
    monkeypatch.setattr(sms_dal, "client", lambda: real)
    assert {o.status for o in repository.batch_outcomes("CSETTLE", 1).values()} == {MessageStatus.SENT}
    assert len(repository.batch_outcomes("CSETTLE", 1)) == 40

    # And when items stay unprocessed, the batch fails (SQS delivers it again) after BATCH_WRITE_ATTEMPTS calls
    class Stuck:
        def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:
            return {"UnprocessedItems": RequestItems}

    monkeypatch.setattr(sms_dal, "client", Stuck)
    pauses.clear()
    with pytest.raises(UnprocessedWrites):
        repository.settle([replace(claims[0], status=MessageStatus.SENT)], now)
    assert len(pauses) == BATCH_WRITE_ATTEMPTS
