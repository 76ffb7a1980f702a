"""Account and assistance through the emulated API Gateway: contact changes (codes to the new address,
recent authentication, the previous address told), the Monaco address rule, consents as a history,
support tickets; ownership (404), the role matrix and bad input (422 with locations)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from selfcare.account.contact import code_digest
from selfcare.account.models import ContactKind
from selfcare.auth.policy import ROLE_PERMISSIONS, Permission, StaffRole
from selfcare.dal import crm_outbox
from selfcare.observability import metrics
from selfcare.ports.crm_events import CrmEvent
from selfcare.ports.notifications import Sms, SnsSmsSender

from infra.local import emulation
from infra.local.resources import LocalResources
from tests.factories import DemoWorld, grant_conditions
from tests.fakes import FixedClock, InMemoryNotifier
from tests.integration.conftest import Api, HttpResponse, body

GRANT_HEADER = "X-Assisted-Access"
CHANGERS = [role for role in StaffRole if Permission.MODIFY in ROLE_PERMISSIONS[role]]
ADDRESS_FR = {"line1": "3 rue de Rivoli", "postal_code": "75001", "city": "Paris", "country": "FR"}


class CrmOutbox:
    """The events written for the CRM (the outbox items, in the change's transaction), oldest first."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @property
    def published(self) -> list[CrmEvent]:
        items = boto3.client("dynamodb", region_name="eu-west-3").scan(TableName=self.table_name)["Items"]
        found = [crm_outbox.event_from_image(raw)[0] for raw in items if raw["sk"]["S"].startswith(crm_outbox.OUTBOX)]
        return sorted(found, key=lambda event: event.occurred_at)


class InMemorySms:
    def __init__(self) -> None:
        self.sent: list[Sms] = []

    def send_sms(self, sms: Sms) -> None:
        self.sent.append(sms)


@dataclass
class Ports:
    mail: InMemoryNotifier = field(default_factory=InMemoryNotifier)
    sms: InMemorySms = field(default_factory=InMemorySms)
    crm: CrmOutbox = field(default_factory=lambda: CrmOutbox(""))
    clock: FixedClock | None = None

    def code_to(self, address: str) -> str:
        for message in reversed(self.mail.sent):
            if message.to == address:
                return message.body.split("Your confirmation code: ")[1].split()[0]
        raise AssertionError(f"no code sent to {address}")

    def sms_code_to(self, number: str) -> str:
        for message in reversed(self.sms.sent):
            if message.to == number:
                return message.body.split("your code is ")[1].split(".")[0]
        raise AssertionError(f"no code sent to {number}")


@pytest.fixture(autouse=True)
def _no_metrics_build_up() -> Iterator[None]:
    """Metrics are disabled in tests, so log_metrics never flushes them: the many logins of this module
    would pile up to Powertools' 100-value auto-flush, which needs a namespace the tests do not set."""
    yield
    metrics.clear_metrics()


@pytest.fixture
def ports(api: Api) -> Ports:
    """The account capability's ports: in-memory fakes, injected into the running handler; the CRM's
    events are read from the outbox the changes write."""
    found = Ports()
    services = api.gateway.handlers["account"].services
    services.contact.notifier = found.mail
    services.contact.sms = found.sms
    found.crm = CrmOutbox(services.contact.customers.table)
    return found


def move_clock(api: Api, ports: Ports, delta: timedelta) -> FixedClock:
    """The account services' clock, moved from now by `delta` (the authorizer keeps the real one)."""
    if ports.clock is None:
        ports.clock = FixedClock(datetime.now(UTC))
        services = api.gateway.handlers["account"].services
        for service in (services.contact, services.consents, services.tickets, services.account):
            service.clock = ports.clock
    ports.clock.moment += delta
    return ports.clock


def token_of(api: Api, world: DemoWorld, index: int = 0) -> str:
    customer = world.customers[index]
    return str(api.login(customer.email, customer.password)["access_token"])


def table(aws: LocalResources, logical_id: str) -> Any:
    return boto3.resource("dynamodb", region_name="eu-west-3").Table(aws.table_names[logical_id])


def audit_actions(aws: LocalResources) -> list[str]:
    return sorted(item["action"] for item in table(aws, "AuditLogTable").scan()["Items"])


def error_code(response: HttpResponse) -> str:
    return str(body(response)["error"]["code"])


# Contact email -------------------------------------------------------------------------------
def test_email_changes_only_once_the_code_sent_to_the_new_address_is_confirmed(
    api: Api, world: DemoWorld, ports: Ports, aws: LocalResources
) -> None:
    token = token_of(api, world)
    asked = api.call("PUT", "/account/contact/email", {"email": "Jeanne.New@Example.mc"}, token=token)
    assert asked.status == 202, asked.body
    assert body(asked)["sent_to"] == "j***@example.mc" and body(asked)["expires_in"] == 600
    assert body(api.call("GET", "/account", token=token))["contact_email"] == "jeanne.dupont@example.mc"
    code = ports.code_to("jeanne.new@example.mc")
    # The pending code is stored as a digest only, in the customers table (where the account function keeps it).
    pending = table(aws, "CustomersTable").get_item(Key={"pk": "CUSTOMER#C0001", "sk": "VERIFY#email"})["Item"]
    assert pending["code_digest"] == code_digest(ContactKind.EMAIL, "C0001", code)
    assert not any(code in str(value) for name, value in pending.items() if name != "code_digest")
    wrong = "000000" if code != "000000" else "111111"
    refused = api.call("POST", "/account/contact/email/confirmation", {"code": wrong}, token=token)
    assert refused.status == 400 and error_code(refused) == "invalid_verification_code"
    confirmed = api.call("POST", "/account/contact/email/confirmation", {"code": code}, token=token)
    assert confirmed.status == 200, confirmed.body
    assert body(confirmed)["contact_email"] == "jeanne.new@example.mc"
    assert body(api.call("GET", "/account", token=token))["contact_email"] == "jeanne.new@example.mc"
    # The previous address is told, without the new one in clear.
    told = [m for m in ports.mail.sent if m.to == "jeanne.dupont@example.mc"]
    assert len(told) == 1 and told[0].kind == "contact_changed" and "jeanne.new@" not in told[0].body
    # Single use.
    again = api.call("POST", "/account/contact/email/confirmation", {"code": code}, token=token)
    assert again.status == 400 and error_code(again) == "invalid_verification_code"
    assert [(e.event_type, e.customer_id, e.payload["contact_email"]) for e in ports.crm.published] == [
        ("ContactEmailChanged", "C0001", "jeanne.new@example.mc")
    ]
    assert "contact.email.changed" in audit_actions(aws)
    # Used: the pending code is gone.
    assert "Item" not in table(aws, "CustomersTable").get_item(Key={"pk": "CUSTOMER#C0001", "sk": "VERIFY#email"})


def test_a_new_request_replaces_the_previous_code(api: Api, world: DemoWorld, ports: Ports) -> None:
    token = token_of(api, world)
    api.call("PUT", "/account/contact/email", {"email": "first@example.mc"}, token=token)
    first = ports.code_to("first@example.mc")
    api.call("PUT", "/account/contact/email", {"email": "second@example.mc"}, token=token)
    second = ports.code_to("second@example.mc")
    if first != second:
        stale = api.call("POST", "/account/contact/email/confirmation", {"code": first}, token=token)
        assert stale.status == 400
    confirmed = api.call("POST", "/account/contact/email/confirmation", {"code": second}, token=token)
    assert body(confirmed)["contact_email"] == "second@example.mc"


def test_wrong_codes_are_counted_and_the_sixth_try_fails_even_with_the_right_code(
    api: Api, world: DemoWorld, ports: Ports
) -> None:
    token = token_of(api, world)
    api.call("PUT", "/account/contact/email", {"email": "jeanne.new@example.mc"}, token=token)
    code = ports.code_to("jeanne.new@example.mc")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert api.call("POST", "/account/contact/email/confirmation", {"code": wrong}, token=token).status == 400
    late = api.call("POST", "/account/contact/email/confirmation", {"code": code}, token=token)
    assert late.status == 400 and error_code(late) == "invalid_verification_code"


@pytest.mark.parametrize(("elapsed", "works"), [(599, True), (600, False)])
def test_the_code_expires_after_exactly_10_minutes(
    api: Api, world: DemoWorld, ports: Ports, elapsed: int, works: bool
) -> None:
    token = token_of(api, world)
    move_clock(api, ports, timedelta(0))
    api.call("PUT", "/account/contact/email", {"email": "jeanne.new@example.mc"}, token=token)
    move_clock(api, ports, timedelta(seconds=elapsed))
    confirmed = api.call(
        "POST", "/account/contact/email/confirmation", {"code": ports.code_to("jeanne.new@example.mc")}, token=token
    )
    assert confirmed.status == (200 if works else 400), confirmed.body


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("PUT", "/account/contact/email", {"email": "jeanne.new@example.mc"}),
        ("PUT", "/account/contact/mobile", {"mobile": "+33612345678"}),
        ("PUT", "/account/contact/landline", {"landline": "+33145678901"}),
        ("PUT", "/account/address", ADDRESS_FR),
    ],
)
def test_contact_changes_need_an_authentication_of_at_most_5_minutes(
    api: Api, world: DemoWorld, ports: Ports, method: str, path: str, payload: dict[str, str]
) -> None:
    token = token_of(api, world, 1)  # Marco: an address outside Monaco
    move_clock(api, ports, timedelta(minutes=5, seconds=1))
    late = api.call(method, path, payload, token=token)
    assert late.status == 401 and error_code(late) == "reauthentication_required"
    move_clock(api, ports, timedelta(seconds=-2))  # 4 min 59 s after the login
    assert api.call(method, path, payload, token=token).status in (200, 202)


# Contact mobile and landline ---------------------------------------------------------------------
def test_mobile_changes_with_a_code_by_sms_and_the_previous_number_is_told(
    api: Api, world: DemoWorld, ports: Ports
) -> None:
    token = token_of(api, world)
    asked = api.call("PUT", "/account/contact/mobile", {"mobile": "+33 6 12"}, token=token)
    assert asked.status == 422 and body(asked)["error"]["details"][0]["loc"] == ["body", "mobile"]
    asked = api.call("PUT", "/account/contact/mobile", {"mobile": "+33 6 12 34 56 78"}, token=token)
    assert asked.status == 202, asked.body
    code = ports.sms_code_to("+33612345678")
    confirmed = api.call("POST", "/account/contact/mobile/confirmation", {"code": code}, token=token)
    assert confirmed.status == 200 and body(confirmed)["contact_mobile"] == "+33612345678"
    told = [s for s in ports.sms.sent if s.to == "+377612345678"]
    assert len(told) == 1 and told[0].kind == "contact_mobile_changed" and "+33612345678" not in told[0].body
    assert ports.crm.published[-1].event_type == "ContactMobileChanged"


def test_the_sns_adapter_sends_the_sms_that_the_local_outbox_shows(api: Api, world: DemoWorld, ports: Ports) -> None:
    api.gateway.handlers["account"].services.contact.sms = SnsSmsSender()  # the real adapter, on moto
    token = token_of(api, world)
    asked = api.call("PUT", "/account/contact/mobile", {"mobile": "+33612345670"}, token=token)
    assert asked.status == 202, asked.body
    (message,) = emulation.outbox("+33612345670")
    code = message["body"].split("your code is ")[1].split(".")[0]
    confirmed = api.call("POST", "/account/contact/mobile/confirmation", {"code": code}, token=token)
    assert confirmed.status == 200 and body(confirmed)["contact_mobile"] == "+33612345670", confirmed.body
    assert len(emulation.outbox("+377612345678")) == 1  # the previous number is told


def test_landline_is_validated_normalised_and_the_contact_email_told(
    api: Api, world: DemoWorld, ports: Ports, aws: LocalResources
) -> None:
    token = token_of(api, world)
    bad = api.call("PUT", "/account/contact/landline", {"landline": "12"}, token=token)
    assert bad.status == 422 and body(bad)["error"]["details"][0]["loc"] == ["body", "landline"]
    bad = api.call("PUT", "/account/contact/landline", {"landline": "+999 123 456"}, token=token)
    assert bad.status == 422 and body(bad)["error"]["details"][0]["loc"] == ["body", "landline"]
    changed = api.call("PUT", "/account/contact/landline", {"landline": "97 97 00 01"}, token=token)
    assert changed.status == 200 and body(changed)["contact_landline"] == "+37797970001"
    assert [m.kind for m in ports.mail.sent if m.to == "jeanne.dupont@example.mc"] == ["contact_changed"]
    assert ports.crm.published[-1].event_type == "ContactLandlineChanged"
    assert "contact.landline.changed" in audit_actions(aws)


# Postal address ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "loc"),
    [
        ({"line1": "1 avenue de la Costa", "postal_code": "98000", "city": "Monaco", "country": "MC"}, "country"),
        ({"line1": "1 avenue de la Costa", "postal_code": "98000", "city": "Monaco", "country": "FR"}, "postal_code"),
        ({"line1": "2 rue Grimaldi", "postal_code": "98012", "city": "Monaco", "country": "FR"}, "postal_code"),
    ],
)
def test_a_monaco_address_is_refused_with_its_code(
    api: Api, world: DemoWorld, ports: Ports, address: dict[str, str], loc: str
) -> None:
    token = token_of(api, world, 1)
    refused = api.call("PUT", "/account/address", address, token=token)
    assert refused.status == 422, refused.body
    error = body(refused)["error"]
    assert error["code"] == "monaco_address_managed_by_operator" and "operator's records" in error["message"]
    assert error["details"][0]["loc"] == ["body", loc]
    assert body(api.call("GET", "/account", token=token))["address"]["city"] == "Nice"


def test_an_address_outside_monaco_changes_and_the_contact_email_is_told(
    api: Api, world: DemoWorld, ports: Ports
) -> None:
    token = token_of(api, world, 1)
    changed = api.call("PUT", "/account/address", ADDRESS_FR, token=token)
    assert changed.status == 200, changed.body
    assert body(changed)["address"] == {**ADDRESS_FR, "line2": None}
    assert [m.kind for m in ports.mail.sent] == ["contact_changed"]
    assert ports.crm.published[-1].event_type == "PostalAddressChanged"


def test_a_current_monaco_address_is_the_operators_record(api: Api, world: DemoWorld, ports: Ports) -> None:
    refused = api.call("PUT", "/account/address", ADDRESS_FR, token=token_of(api, world))  # Jeanne lives in Monaco
    assert refused.status == 422 and error_code(refused) == "monaco_address_managed_by_operator"


# Consents ----------------------------------------------------------------------------------------
def test_consents_are_a_history_and_the_state_is_the_latest_record(
    api: Api, world: DemoWorld, ports: Ports, aws: LocalResources
) -> None:
    token = token_of(api, world)
    initial = body(api.call("GET", "/account/consents", token=token))["consents"]
    assert [(c["purpose"], c["granted"], c["since"]) for c in initial] == [
        ("newsletter", False, None),
        ("surveys", False, None),
        ("commercial_sms", False, None),  # the operator's own commercial SMS (capability `sms`)
    ]
    assert api.call("PUT", "/account/consents/newsletter", {"granted": True}, token=token).status == 200
    assert api.call("PUT", "/account/consents/newsletter", {"granted": False}, token=token).status == 200
    advisor = world.staff[StaffRole.CUSTOMER_SERVICE_ADVISOR]
    staff_token = api.staff_login(advisor.email, advisor.password)["access_token"]
    grant = _grant(api, staff_token, "C0001")
    by_staff = api.call(
        "PUT",
        "/account/consents/surveys",
        {"granted": True, "channel": "phone"},
        token=staff_token,
        headers={GRANT_HEADER: grant},
    )
    assert by_staff.status == 200, by_staff.body
    current = {c["purpose"]: c for c in body(api.call("GET", "/account/consents", token=token))["consents"]}
    assert current["newsletter"]["granted"] is False and current["newsletter"]["channel"] == "web"
    assert current["surveys"]["granted"] is True and current["surveys"]["set_by"] == f"staff#{advisor.staff_id}"
    history = body(api.call("GET", "/account/consents/history", token=token))["records"]
    assert [(r["purpose"], r["granted"], r["channel"], r["set_by"]) for r in history] == [
        ("surveys", True, "phone", f"staff#{advisor.staff_id}"),
        ("newsletter", False, "web", "customer#C0001"),
        ("newsletter", True, "web", "customer#C0001"),
    ]
    assert [e.payload["purpose"] for e in ports.crm.published] == ["newsletter", "newsletter", "surveys"]
    assert audit_actions(aws).count("consent.newsletter.granted") == 1


def _grant(api: Api, token: str, customer_id: str) -> str:
    response = api.call(
        "POST",
        "/staff/assisted-access",
        {"customer_id": customer_id, "reason": "Customer called about the account", "duration_minutes": 30}
        | grant_conditions(customer_id),
        token=token,
    )
    assert response.status == 201, response.body
    return str(body(response)["grant_id"])


# Tickets -----------------------------------------------------------------------------------------
def test_tickets_are_created_listed_while_open_and_read_with_their_history(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    token = token_of(api, world)
    created = api.call(
        "POST",
        "/account/tickets",
        {
            "category": "line",
            "subject": "No signal at home",
            "description": "Since Monday, no 4G signal in Fontvieille.",
            "related_line_id": "M-377612345678",
        },
        token=token,
    )
    assert created.status == 201, created.body
    ticket = body(created)
    assert ticket["status"] == "open" and ticket["channel"] == "web"
    assert [h["status"] for h in ticket["history"]] == ["open"] and ticket["notes"] == []
    listed = body(api.call("GET", "/account/tickets", token=token))["tickets"]
    assert [t["ticket_id"] for t in listed] == [ticket["ticket_id"]]
    read = api.call("GET", f"/account/tickets/{ticket['ticket_id']}", token=token)
    assert read.status == 200 and body(read)["description"].startswith("Since Monday")
    # Closed by the support tools: no longer listed, still readable.
    table(aws, "CustomersTable").update_item(
        Key={"pk": "CUSTOMER#C0001", "sk": f"TICKET#{ticket['ticket_id']}"},
        UpdateExpression="SET #s = :closed",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":closed": "closed"},
    )
    assert body(api.call("GET", "/account/tickets", token=token))["tickets"] == []
    assert body(api.call("GET", f"/account/tickets/{ticket['ticket_id']}", token=token))["status"] == "closed"
    assert "ticket.created" in audit_actions(aws)


def test_a_ticket_may_not_name_another_customers_line(api: Api, world: DemoWorld) -> None:
    refused = api.call(
        "POST",
        "/account/tickets",
        {"category": "line", "subject": "Other line", "description": "x", "related_line_id": "M-377623456780"},
        token=token_of(api, world),
    )
    assert refused.status == 422 and body(refused)["error"]["details"][0]["loc"] == ["body", "related_line_id"]


# Ownership, roles, bad input -----------------------------------------------------------------------
def test_another_customers_ticket_answers_404_like_an_unknown_one(api: Api, world: DemoWorld) -> None:
    marco = token_of(api, world, 1)
    created = api.call(
        "POST", "/account/tickets", {"category": "billing", "subject": "Invoice", "description": "?"}, token=marco
    )
    ticket_id = body(created)["ticket_id"]
    jeanne = token_of(api, world)
    theirs = api.call("GET", f"/account/tickets/{ticket_id}", token=jeanne)
    unknown = api.call("GET", "/account/tickets/T00000000000000ABCDEF", token=jeanne)
    assert theirs.status == unknown.status == 404 and error_code(theirs) == error_code(unknown) == "not_found"
    assert body(api.call("GET", "/account/tickets", token=jeanne))["tickets"] == []


def test_a_code_confirms_only_the_change_of_the_customer_it_was_sent_for(
    api: Api, world: DemoWorld, ports: Ports
) -> None:
    jeanne, marco = token_of(api, world), token_of(api, world, 1)
    api.call("PUT", "/account/contact/email", {"email": "jeanne.new@example.mc"}, token=jeanne)
    code = ports.code_to("jeanne.new@example.mc")
    stolen = api.call("POST", "/account/contact/email/confirmation", {"code": code}, token=marco)
    assert stolen.status == 400
    assert body(api.call("GET", "/account", token=marco))["contact_email"] == "marco.rossi@riviera-yachting.example"


READS = [
    ("GET", "/account/consents", None),
    ("GET", "/account/consents/history", None),
    ("GET", "/account/tickets", None),
]
CHANGES = [
    ("PUT", "/account/contact/email", {"email": "marco.new@example.fr"}, 202),
    ("PUT", "/account/contact/mobile", {"mobile": "+33612345678"}, 202),
    ("PUT", "/account/contact/landline", {"landline": "+33145678901"}, 200),
    ("PUT", "/account/address", ADDRESS_FR, 200),
    ("PUT", "/account/consents/newsletter", {"granted": True}, 200),
    ("POST", "/account/tickets", {"category": "other", "subject": "Call me", "description": "Please"}, 201),
    ("POST", "/account/contact/email/confirmation", {"code": "123456"}, 400),  # no pending change: refused
]


@pytest.mark.parametrize("role", list(StaffRole))
def test_role_matrix_reads_for_all_changes_for_production_infrastructure_and_advisors(
    api: Api, world: DemoWorld, ports: Ports, role: StaffRole
) -> None:
    member = world.staff[role]
    token = api.staff_login(member.email, member.password)["access_token"]
    grant = _grant(api, token, "C0002")
    headers = {GRANT_HEADER: grant}
    for method, path, payload in READS:
        assert api.call(method, path, payload, token=token, headers=headers).status == 200, (role, path)
    for method, path, payload, status in CHANGES:
        response = api.call(method, path, payload, token=token, headers=headers)
        expected = status if role in CHANGERS else 403
        assert response.status == expected, (role, path, response.body)
    created = api.call(
        "POST", "/account/tickets", {"category": "other", "subject": "By staff", "description": "x"}, token=token
    )
    assert created.status == 403 and error_code(created) == "assisted_access_required"


@pytest.mark.parametrize(
    ("method", "path", "payload", "loc"),
    [
        ("PUT", "/account/contact/email", {"email": "not-an-email"}, ["body", "email"]),
        ("PUT", "/account/contact/email", {"email": "a@b.mc", "extra": 1}, ["body", "extra"]),
        ("POST", "/account/contact/email/confirmation", {"code": "12345"}, ["body", "code"]),
        ("POST", "/account/contact/mobile/confirmation", {}, ["body", "code"]),
        ("PUT", "/account/address", {**ADDRESS_FR, "country": "France"}, ["body", "country"]),
        ("PUT", "/account/consents/marketing", {"granted": True}, ["path", "purpose"]),
        ("PUT", "/account/consents/newsletter", {"granted": "maybe"}, ["body", "granted"]),
        (
            "POST",
            "/account/tickets",
            {"category": "weather", "subject": "abc", "description": "x"},
            ["body", "category"],
        ),
        ("POST", "/account/tickets", {"category": "other", "description": "x"}, ["body", "subject"]),
        ("GET", "/account/tickets/x", None, ["path", "ticket_id"]),
    ],
)
def test_bad_input_answers_422_with_its_location(
    api: Api, world: DemoWorld, method: str, path: str, payload: Any, loc: list[str]
) -> None:
    response = api.call(method, path, payload, token=token_of(api, world))
    assert response.status == 422, response.body
    assert loc in [d["loc"] for d in body(response)["error"]["details"]]


# Account unification -------------------------------------------------------------------------------
def credential_item(aws: LocalResources, customer_id: str) -> dict[str, Any]:
    items = table(aws, "CredentialsTable").scan()["Items"]
    return next(i for i in items if i.get("principal_id") == customer_id and "password_hash" in i)


def test_linking_needs_the_other_accounts_credentials_and_wrong_ones_count_like_a_login(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    jeanne, marco = world.customers
    token = token_of(api, world)
    before = int(credential_item(aws, marco.customer_id).get("failed_attempts", 0))
    wrong = api.call("POST", "/account/links", {"identifier": marco.login_id, "password": "not-his"}, token=token)
    assert wrong.status == 401 and error_code(wrong) == "invalid_credentials"
    assert int(credential_item(aws, marco.customer_id)["failed_attempts"]) == before + 1
    failures = [i for i in table(aws, "ConnectionLogTable").scan()["Items"] if i.get("status") == "failure"]
    assert failures, "the failed proof is logged like a failed login"
    assert body(api.call("GET", "/account/links", token=token))["links"] == []
    own = api.call("POST", "/account/links", {"identifier": jeanne.login_id, "password": jeanne.password}, token=token)
    assert own.status == 422 and body(own)["error"]["details"][0]["loc"] == ["body", "identifier"]


def test_link_list_switch_and_unlink_with_both_sides_recorded(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    jeanne, marco = world.customers
    token = token_of(api, world)
    linked = api.call("POST", "/account/links", {"identifier": marco.email, "password": marco.password}, token=token)
    assert linked.status == 201, linked.body
    assert body(linked)["account_number"] == marco.account_number and body(linked)["proof"] == "credentials"
    again = api.call("POST", "/account/links", {"identifier": marco.email, "password": marco.password}, token=token)
    assert again.status == 409 and error_code(again) == "already_linked"
    mine = body(api.call("GET", "/account/links", token=token))["links"]
    theirs = body(api.call("GET", "/account/links", token=token_of(api, world, 1)))["links"]
    assert [x["account_number"] for x in mine] == [marco.account_number]
    assert [x["account_number"] for x in theirs] == [jeanne.account_number]
    assert audit_actions(aws).count("account.linked") == 2
    # Switch: a new session of the linked customer, whose space it serves.
    switched = api.call("POST", f"/account/links/{marco.account_number}/switch", token=token)
    assert switched.status == 200, switched.body
    as_marco = body(switched)["access_token"]
    assert body(api.call("GET", "/account", token=as_marco))["account_number"] == marco.account_number
    sessions = body(api.call("GET", "/auth/sessions", token=as_marco))
    assert body(switched)["session_id"] in str(sessions)
    # An account that is not linked: 404, as an unknown one.
    assert api.call("POST", "/account/links/999999999/switch", token=token).status == 404
    # Unlink: both sides gone, no more switching.
    assert api.call("DELETE", f"/account/links/{marco.account_number}", token=token).status == 204
    assert body(api.call("GET", "/account/links", token=token_of(api, world, 1)))["links"] == []
    assert api.call("POST", f"/account/links/{marco.account_number}/switch", token=token).status == 404
    assert api.call("DELETE", f"/account/links/{marco.account_number}", token=token).status == 404
    assert audit_actions(aws).count("account.unlinked") == 2


def test_a_switch_does_not_make_an_authentication_recent(api: Api, world: DemoWorld, ports: Ports) -> None:
    marco = world.customers[1]
    token = token_of(api, world)
    api.call("POST", "/account/links", {"identifier": marco.email, "password": marco.password}, token=token)
    move_clock(api, ports, timedelta(minutes=6))
    as_marco = body(api.call("POST", f"/account/links/{marco.account_number}/switch", token=token))["access_token"]
    late = api.call("PUT", "/account/contact/landline", {"landline": "+33145678901"}, token=as_marco)
    assert late.status == 401 and error_code(late) == "reauthentication_required"


@pytest.mark.parametrize("role", list(StaffRole))
def test_staff_list_links_but_never_link_switch_or_unlink(api: Api, world: DemoWorld, role: StaffRole) -> None:
    member = world.staff[role]
    token = api.staff_login(member.email, member.password)["access_token"]
    headers = {GRANT_HEADER: _grant(api, token, "C0001")}
    marco = world.customers[1]
    assert api.call("GET", "/account/links", token=token, headers=headers).status == 200
    for method, path, payload in [
        ("POST", "/account/links", {"identifier": marco.email, "password": marco.password}),
        ("POST", f"/account/links/{marco.account_number}/switch", None),
        ("DELETE", f"/account/links/{marco.account_number}", None),
    ]:
        assert api.call(method, path, payload, token=token, headers=headers).status == 403, (role, path)
