"""Line capabilities (mobile, fixed, internet/VoIP, TV, services) through the emulated API Gateway:
every route's ownership (404 for another customer's identifiers), the role matrix, bad input,
idempotent pack subscription, audited secret views, VOD anonymisation and its PDF export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws
from selfcare.auth.policy import ROLE_PERMISSIONS, Permission, StaffRole
from selfcare.dal import dynamo

from infra.local.gateway import Gateway, HttpResponse
from infra.local.resources import LocalResources, create_resources
from tests.conftest import FAST_HASHING
from tests.factories import DemoWorld, grant_conditions, seed_world
from tests.fakes import InMemoryProvisioning
from tests.integration.conftest import Api, body
from tests.integration.lines_routes import CASES, INTERNET, MOBILE, MOBILE_NO_SIM, STRONG, TV, Case

GRANT_HEADER = "X-Assisted-Access"
CAPABILITIES = ("mobile", "fixed", "internet", "tv", "services")
CHANGERS = [role for role in StaffRole if Permission.MODIFY in ROLE_PERMISSIONS[role]]


def install(api: Api, fake: InMemoryProvisioning) -> None:
    """The provisioning port of every line capability: the in-memory fake."""
    for name in CAPABILITIES:
        api.gateway.handlers[name].service.provisioning = fake


def table(aws: LocalResources, logical_id: str) -> Any:
    return boto3.resource("dynamodb", region_name="eu-west-3").Table(aws.table_names[logical_id])


def audit_actions(aws: LocalResources) -> list[str]:
    return sorted(item["action"] for item in table(aws, "AuditLogTable").scan()["Items"])


# A world shared by the tests of ownership and roles (module scope: seeding once) ---------------
@dataclass
class Ctx:
    api: Api
    world: DemoWorld
    fake: InMemoryProvisioning
    tokens: dict[str, str] = field(default_factory=dict)  # customer id -> token
    staff: dict[tuple[StaffRole, str], tuple[str, str]] = field(default_factory=dict)  # -> (token, grant)

    def call(self, method: str, path: str, payload: Any = None, customer: str = "C0001") -> HttpResponse:
        return self.api.call(method, path, payload, token=self.tokens[customer])

    def as_staff(self, role: StaffRole, customer: str, method: str, path: str, payload: Any = None) -> HttpResponse:
        if (role, customer) not in self.staff:
            member = self.world.staff[role]
            token = self.api.staff_login(member.email, member.password)["access_token"]
            granted = self.api.call(
                "POST",
                "/staff/assisted-access",
                {"customer_id": customer, "reason": "Customer asked for help with a line", "duration_minutes": 30}
                | grant_conditions(customer),
                token=token,
            )
            assert granted.status == 201, granted.body
            self.staff[(role, customer)] = (token, body(granted)["grant_id"])
        token, grant = self.staff[(role, customer)]
        return self.api.call(method, path, payload, token=token, headers={GRANT_HEADER: grant})

    def create_mailbox(self, local_part: str) -> str:
        created = self.call(
            "POST", f"/internet/lines/{INTERNET}/mailboxes", {"local_part": local_part, "password": STRONG}
        )
        assert created.status == 201, created.body
        return str(body(created)["mailbox_id"])


@pytest.fixture(scope="module")
def ctx() -> Iterator[Ctx]:
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        resources = create_resources(boto3.Session(region_name="eu-west-3"))
        for name, value in (resources.merged_environment() | FAST_HASHING).items():
            patch.setenv(name, value)
        dynamo.reset_client()
        world = seed_world(resources)
        api = Api(Gateway())
        fake = InMemoryProvisioning()
        install(api, fake)
        context = Ctx(api, world, fake)
        for customer in world.customers:
            context.tokens[customer.customer_id] = api.login(customer.login_id, customer.password)["access_token"]
        yield context
        dynamo.reset_client()


def _other(customer: str) -> str:
    return "C0002" if customer == "C0001" else "C0001"


def _has_ids(case: Case) -> bool:
    return case.path.count("/") > 2 or case.path.startswith("/services/")


@pytest.mark.parametrize("case", [c for c in CASES if _has_ids(c)], ids=lambda c: c.id)
def test_another_customers_identifiers_answer_404_like_unknown_ones(ctx: Ctx, case: Case) -> None:
    path, payload = case.path, case.body
    theirs = ctx.call(case.method, path, payload, customer=_other(case.owner))
    segments = path.split("/")
    line_index = 3 if not path.startswith("/services/") else 2
    segments[line_index] = "X-UNKNOWN-1"
    unknown = ctx.call(case.method, "/".join(segments), payload, customer=case.owner)
    assert theirs.status == unknown.status == 404, (theirs.body, unknown.body)
    assert body(theirs)["error"]["code"] == body(unknown)["error"]["code"] == "not_found"
    assert ctx.fake.changes == [] or all(c.line_id != "X-UNKNOWN-1" for c in ctx.fake.changes)


@pytest.mark.parametrize("case", [c for c in CASES if c.sub_id], ids=lambda c: c.id)
def test_unknown_box_mailbox_or_pack_of_my_line_answers_404(ctx: Ctx, case: Case) -> None:
    assert case.sub_id
    response = ctx.call(case.method, case.path.replace(case.sub_id, "nosuchitem"), case.body, customer=case.owner)
    assert response.status == 404 and body(response)["error"]["code"] == "not_found"


def test_lists_show_only_my_lines(ctx: Ctx) -> None:
    jeanne = body(ctx.call("GET", "/mobile/lines"))["lines"]
    marco = body(ctx.call("GET", "/mobile/lines", customer="C0002"))["lines"]
    assert {x["line_id"] for x in jeanne} == {MOBILE, MOBILE_NO_SIM}
    assert {x["line_id"] for x in marco} == {"M-377623456780", "M-377623456781", "M-377623456782"}
    assert body(ctx.call("GET", "/tv/lines", customer="C0002"))["lines"] == []
    assert body(ctx.call("GET", "/services"))["services"] == []
    assert [s["kind"] for s in body(ctx.call("GET", "/services", customer="C0002"))["services"]] == ["password_manager"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_role_matrix(ctx: Ctx, case: Case) -> None:
    """Reads: every role under a grant. Changes: production, infrastructure and customer-service
    advisors only; sales and customer-service staff get 403 and nothing reaches the network."""
    seen_ok = False
    for role in StaffRole:
        path, payload = case.fresh(ctx) if case.fresh else (case.path, case.body)
        before = len(ctx.fake.changes) + len(ctx.fake.sim_calls)
        response = ctx.as_staff(role, case.owner, case.method, path, payload)
        if case.is_read or role in CHANGERS:
            allowed = case.ok + ((409,) if case.once and seen_ok else ())
            assert response.status in allowed, (role, response.status, response.body)
            seen_ok = True
        else:
            assert response.status == 403, (role, response.status, response.body)
            assert body(response)["error"]["code"] == "forbidden"
            assert len(ctx.fake.changes) + len(ctx.fake.sim_calls) == before


# Bad input: 422 with locations ---------------------------------------------------------------
BAD_INPUT = [
    ("POST", f"/mobile/lines/{MOBILE_NO_SIM}/sim", {"iccid": "8937710310000000059"}, ["body", "iccid"]),  # Luhn
    ("POST", f"/mobile/lines/{MOBILE_NO_SIM}/sim", {"iccid": "1234"}, ["body", "iccid"]),
    ("POST", f"/mobile/lines/{MOBILE_NO_SIM}/sim", {"iccid": "8937710310000000058", "x": 1}, ["body", "x"]),
    ("GET", "/mobile/lines/bad%20id", None, ["path", "line_id"]),
    ("PATCH", f"/internet/lines/{INTERNET}/boxes/box1", {"name": ""}, ["body", "name"]),
    ("POST", f"/internet/lines/{INTERNET}/nomadic-access", {"password": "short"}, ["body", "password"]),
    ("PUT", f"/internet/lines/{INTERNET}/mailboxes/mbjeanne/password", {"new_password": "password123456"},
     ["body", "new_password"]),
    ("POST", f"/internet/lines/{INTERNET}/mailboxes", {"local_part": "Not Valid!", "password": STRONG},
     ["body", "local_part"]),
    ("PUT", f"/voip/lines/{INTERNET}/call-waiting", {"enabled": "maybe"}, ["body", "enabled"]),
    ("PUT", f"/voip/lines/{INTERNET}/forwarding", {"destination": "+33899123456"}, ["body", "destination"]),
    ("PUT", f"/voip/lines/{INTERNET}/forwarding", {"destination": "+3361"}, ["body", "destination"]),
    ("PUT", f"/voip/lines/{INTERNET}/forwarding", {"destination": "+33612345678", "mode": "sometimes"},
     ["body", "mode"]),
    ("PUT", f"/voip/lines/{INTERNET}/restrictions", {"international": True}, ["body", "premium_rate"]),
    ("PUT", f"/voip/lines/{INTERNET}/pin", {"pin": "12"}, ["body", "pin"]),
    ("PUT", f"/voip/lines/{INTERNET}/pin", {"pin": "123456789"}, ["body", "pin"]),
    ("PUT", f"/tv/lines/{TV}/password", {"new_password": "tv"}, ["body", "new_password"]),
    ("POST", f"/tv/lines/{TV}/packs", {"pack_id": "nosuchpack"}, ["body", "pack_id"]),
    ("POST", f"/tv/lines/{TV}/packs", {"pack_id": "cinema", "start": "tomorrow"}, ["body", "start"]),
    ("DELETE", f"/tv/lines/{TV}/packs/bad%20id", None, ["path", "pack_id"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "payload", "loc"), BAD_INPUT, ids=[f"{m} {p} {lc}" for m, p, _, lc in BAD_INPUT]
)
def test_bad_input_answers_422_with_its_location(
    ctx: Ctx, method: str, path: str, payload: Any, loc: list[str]
) -> None:
    before = len(ctx.fake.changes) + len(ctx.fake.sim_calls)
    response = ctx.call(method, path, payload)
    error = body(response)["error"]
    assert response.status == 422 and error["code"] == "validation_error", response.body
    assert loc in [d["loc"] for d in error["details"]]
    assert len(ctx.fake.changes) + len(ctx.fake.sim_calls) == before
    if payload:
        for value in payload.values():
            assert not isinstance(value, str) or len(value) < 4 or value not in str(response.body)
