"""Account unification through the emulated API Gateway: linking by a code sent to the other account's contact
(email or SMS; single use, bound to the requester and the target, 10 minutes, 5 tries; the request answers alike
whether the account exists; throttled per requester), the one-proof body (422 at both locations), recent
authentication, staff refused; and an unlink revoking the sessions switched between the accounts (both ways,
and onward), even when a switch races it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from selfcare.account.models import AccountLink, Address, CustomerProfile, CustomerType
from selfcare.api.context import RequestInfo
from selfcare.auth.models import Credential
from selfcare.auth.policy import Caller, PrincipalType, StaffRole
from selfcare.dal import account as records
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.dynamo import RawItem
from selfcare.observability import metrics

from infra.local.resources import LocalResources
from tests.factories import DemoCustomer, DemoWorld, grant_conditions
from tests.fakes import FixedClock, InMemoryNotifier
from tests.integration.conftest import Api, HttpResponse, body
from tests.integration.test_account import InMemorySms, audit_actions, error_code, table, token_of
from tests.integration.test_activation import solved

GRANT_HEADER = "X-Assisted-Access"
CODE_FLOOR_SECONDS = 0.2  # RECOVERY_RESPONSE_FLOOR_MS of the integration environment


@pytest.fixture(autouse=True)
def _no_metrics_build_up() -> Iterator[None]:
    yield
    metrics.clear_metrics()


@dataclass
class Ports:
    """The auth function's notification ports (link codes), in memory, injected into the running handler."""

    mail: InMemoryNotifier = field(default_factory=InMemoryNotifier)
    sms: InMemorySms = field(default_factory=InMemorySms)

    def mail_code_to(self, address: str) -> str:
        for message in reversed(self.mail.sent):
            if message.to == address:
                return message.body.split("give them this code: ")[1].split()[0]
        raise AssertionError(f"no code sent to {address}")

    def sms_code_to(self, number: str) -> str:
        for message in reversed(self.sms.sent):
            if message.to == number:
                return message.body.split(" Code ")[1].split()[0]
        raise AssertionError(f"no code sent to {number}")

    @property
    def count(self) -> int:
        return len(self.mail.sent) + len(self.sms.sent)


@pytest.fixture
def ports(api: Api) -> Ports:
    found = Ports()
    links = api.gateway.handlers["auth"].links
    links.notifier = found.mail
    links.sms = found.sms
    return found


def links_clock(api: Api, delta: timedelta) -> FixedClock:
    """The unification service's clock, moved from now by `delta` (the authorizer keeps the real one)."""
    links = api.gateway.handlers["auth"].links
    if not isinstance(links.clock, FixedClock):
        links.clock = FixedClock(datetime.now(UTC))
    links.clock.moment += delta
    return links.clock


def relax_recent_auth(api: Api) -> None:
    """For tests that move the clock past 5 minutes for another reason (a code's expiry, a new window)."""
    links = api.gateway.handlers["auth"].links
    links.policy = replace(links.policy, recent_auth_seconds=3 * 24 * 3600)


def add_customer(api: Api, aws: LocalResources, *, mobile: str | None = "+33611223344") -> DemoCustomer:
    """A third customer (Luc Martin, C0003), with credentials and a profile."""
    profile = CustomerProfile(
        customer_id="C0003",
        account_number="100200500",
        customer_type=CustomerType.CONSUMER,
        last_name="Martin",
        first_name="Luc",
        address=Address(line1="1 rue Grimaldi", postal_code="98000", city="Monaco", country="MC"),
        contact_email="luc.martin@example.mc",
        contact_mobile=mobile,
        contact_landline=None,
        service_secret_code="4321",
    )
    CustomersRepository(aws.table_names["CustomersTable"]).put_profile(profile)
    password = "Harbour-Lantern-Quarry-73"
    api.gateway.handlers["auth"].service.enrolment.enrol(
        Credential(
            principal_type=PrincipalType.CUSTOMER,
            principal_id=profile.customer_id,
            password_hash="",
            password_changed_at=0,
            login_id="lmartin",
            email=profile.contact_email,
            phone=mobile,
            account_number=profile.account_number,
        ),
        password,
    )
    return DemoCustomer("C0003", "100200500", "lmartin", "luc.martin@example.mc", mobile or "", password)


def ask_code(api: Api, token: str, identifier: str, channel: str = "email") -> HttpResponse:
    payload = {"identifier": identifier, "channel": channel, "captcha": solved(api)}
    return api.call("POST", "/account/links/codes", payload, token=token)


def test_a_link_code_needs_a_solved_captcha(api: Api, world: DemoWorld, ports: Ports) -> None:
    marco = world.customers[1]
    unsolved = {"identifier": marco.login_id, "channel": "email"}
    refused = api.call("POST", "/account/links/codes", unsolved, token=token_of(api, world))
    assert refused.status == 400 and error_code(refused) == "captcha_required"
    assert ports.count == 0


def link_with(api: Api, token: str, identifier: str, code: str) -> HttpResponse:
    return api.call("POST", "/account/links", {"identifier": identifier, "code": code}, token=token)


def pending_code_item(aws: LocalResources, customer_id: str) -> dict[str, Any] | None:
    item = table(aws, "CustomersTable").get_item(Key={"pk": f"CUSTOMER#{customer_id}", "sk": "VERIFY#link"})
    return item.get("Item")


def linked_numbers(api: Api, token: str) -> list[str]:
    return [link["account_number"] for link in body(api.call("GET", "/account/links", token=token))["links"]]


# Linking by a code ------------------------------------------------------------------------------------
def test_a_code_by_email_to_the_other_accounts_contact_links_both_sides_once(
    api: Api, world: DemoWorld, ports: Ports, aws: LocalResources
) -> None:
    jeanne, marco = world.customers
    token = token_of(api, world)
    asked = ask_code(api, token, marco.login_id)
    assert asked.status == 202, asked.body
    [message] = ports.mail.sent
    assert message.to == marco.email and message.kind == "account_link_code"
    # Who asks, masked; and that ignoring it is safe.
    assert "J. D. (customer account ending in 300)" in message.body and "ignore this message" in message.body
    assert "Jeanne" not in message.body and jeanne.email not in message.body
    code = ports.mail_code_to(marco.email)
    stored = pending_code_item(aws, jeanne.customer_id)
    assert stored is not None and code not in str(stored) and stored["target_customer_id"] == marco.customer_id
    linked = link_with(api, token, marco.login_id, code)
    assert linked.status == 201, linked.body
    assert body(linked) | {"linked_at": "-"} == {
        "account_number": marco.account_number,
        "linked_at": "-",
        "proof": "code",
    }
    assert linked_numbers(api, token) == [marco.account_number]
    assert linked_numbers(api, token_of(api, world, 1)) == [jeanne.account_number]
    assert audit_actions(aws).count("account.linked") == 2
    assert pending_code_item(aws, jeanne.customer_id) is None
    # Single use: the same code again is refused (and would be even after an unlink).
    assert api.call("DELETE", f"/account/links/{marco.account_number}", token=token).status == 204
    again = link_with(api, token, marco.login_id, code)
    assert again.status == 400 and error_code(again) == "invalid_verification_code"


def test_a_code_by_sms_to_the_contact_mobile_links_with_any_identifier_of_that_account(
    api: Api, world: DemoWorld, ports: Ports
) -> None:
    marco = world.customers[1]
    token = token_of(api, world)
    assert ask_code(api, token, marco.email, "sms").status == 202
    assert [(s.to, s.kind) for s in ports.sms.sent] == [(marco.phone, "account_link_code")]
    assert "J. D." in ports.sms.sent[0].body and "Ignore this SMS" in ports.sms.sent[0].body
    assert ports.mail.sent == []
    # The code is bound to the account, not to the spelling of its identifier.
    linked = link_with(api, token, marco.account_number, ports.sms_code_to(marco.phone))
    assert linked.status == 201 and body(linked)["proof"] == "code"


def test_wrong_codes_are_counted_and_the_sixth_try_fails_even_with_the_right_code(
    api: Api, world: DemoWorld, ports: Ports, aws: LocalResources
) -> None:
    jeanne, marco = world.customers
    token = token_of(api, world)
    ask_code(api, token, marco.login_id)
    code = ports.mail_code_to(marco.email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for attempt in range(1, 6):
        refused = link_with(api, token, marco.login_id, wrong)
        assert refused.status == 400 and error_code(refused) == "invalid_verification_code"
        assert int((pending_code_item(aws, jeanne.customer_id) or {})["attempts"]) == attempt
    dead = link_with(api, token, marco.login_id, code)
    assert dead.status == 400 and error_code(dead) == "invalid_verification_code"
    assert linked_numbers(api, token) == []


@pytest.mark.parametrize(("elapsed", "works"), [(599, True), (600, False)])
def test_the_code_expires_after_exactly_10_minutes(
    api: Api, world: DemoWorld, ports: Ports, elapsed: int, works: bool
) -> None:
    marco = world.customers[1]
    token = token_of(api, world)
    relax_recent_auth(api)
    links_clock(api, timedelta(0))
    ask_code(api, token, marco.login_id)
    links_clock(api, timedelta(seconds=elapsed))
    response = link_with(api, token, marco.login_id, ports.mail_code_to(marco.email))
    assert response.status == (201 if works else 400), response.body


def test_a_code_links_only_the_account_and_the_requester_it_was_sent_for(
    api: Api, world: DemoWorld, ports: Ports, aws: LocalResources
) -> None:
    jeanne, marco = world.customers
    luc = add_customer(api, aws)
    token = token_of(api, world)
    ask_code(api, token, marco.login_id)
    code = ports.mail_code_to(marco.email)
    # Another target with that code: refused like a wrong code, and counted.
    other_target = link_with(api, token, luc.login_id, code)
    assert other_target.status == 400 and error_code(other_target) == "invalid_verification_code"
    assert int((pending_code_item(aws, jeanne.customer_id) or {})["attempts"]) == 1
    # Another requester with that code (Luc, linking Marco): he has no code of his own.
    as_luc = api.login(luc.login_id, luc.password)["access_token"]
    other_requester = link_with(api, as_luc, marco.login_id, code)
    assert other_requester.status == 400 and error_code(other_requester) == "invalid_verification_code"
    assert linked_numbers(api, as_luc) == [] and linked_numbers(api, token) == []
    # Still good for its own target (one wrong try counted of five).
    assert link_with(api, token, marco.login_id, code).status == 201


def test_an_unknown_identifier_gets_the_same_202_in_as_long_and_nothing_is_sent(
    api: Api, world: DemoWorld, ports: Ports, aws: LocalResources
) -> None:
    jeanne, marco = world.customers
    token = token_of(api, world)
    started = time.monotonic()
    known = ask_code(api, token, marco.login_id)
    known_seconds = time.monotonic() - started
    started = time.monotonic()
    unknown = ask_code(api, token, "nobody@example.com")
    unknown_seconds = time.monotonic() - started
    assert known.status == unknown.status == 202 and known.body == unknown.body
    assert min(known_seconds, unknown_seconds) >= CODE_FLOOR_SECONDS  # both padded to the configured floor
    assert [m.to for m in ports.mail.sent] == [marco.email]
    # An account with no contact mobile: the same answer, no SMS, no code stored.
    luc = add_customer(api, aws, mobile=None)
    as_luc = api.login(luc.login_id, luc.password)["access_token"]
    no_mobile = ask_code(api, token, luc.login_id, "sms")
    assert no_mobile.status == 202 and no_mobile.body == known.body and ports.sms.sent == []
    unknown_later = ask_code(api, as_luc, "999999999")
    assert unknown_later.status == 202 and unknown_later.body == known.body
    assert pending_code_item(aws, luc.customer_id) is None
    # The code asked for Marco is still the pending one (the unknown target replaced nothing).
    assert (pending_code_item(aws, jeanne.customer_id) or {})["target_customer_id"] == marco.customer_id


def test_ones_own_identifier_is_refused_with_its_location(api: Api, world: DemoWorld, ports: Ports) -> None:
    jeanne = world.customers[0]
    own = ask_code(api, token_of(api, world), jeanne.email)
    assert own.status == 422 and body(own)["error"]["details"][0]["loc"] == ["body", "identifier"]
    assert ports.count == 0


def test_code_requests_are_throttled_per_requester_whatever_the_identifier(
    api: Api, world: DemoWorld, ports: Ports
) -> None:
    marco = world.customers[1]
    token = token_of(api, world)
    identifiers = [marco.login_id, "nobody@example.com", marco.email, "someone@example.com", marco.account_number]
    for identifier in identifiers:
        assert ask_code(api, token, identifier).status == 202
    for identifier in (marco.login_id, "nobody@example.com"):
        throttled = ask_code(api, token, identifier)
        assert throttled.status == 429 and error_code(throttled) == "too_many_requests"
        assert 0 < int(throttled.headers["Retry-After"]) <= 24 * 3600
    assert len(ports.mail.sent) == 3
    # Another requester has a window of their own.
    assert ask_code(api, token_of(api, world, 1), "nobody@example.com").status == 202
    # A new window after 24 hours.
    relax_recent_auth(api)
    links_clock(api, timedelta(hours=24, seconds=1))
    assert ask_code(api, token, marco.login_id).status == 202


@pytest.mark.parametrize(
    ("payload", "locs"),
    [
        (
            {"identifier": "riviera.yachting", "password": "x", "code": "123456"},
            [["body", "password"], ["body", "code"]],
        ),
        ({"identifier": "riviera.yachting"}, [["body", "password"], ["body", "code"]]),
        ({"identifier": "riviera.yachting", "code": "12345"}, [["body", "code"]]),
        ({"identifier": "riviera.yachting", "code": "123456", "extra": 1}, [["body", "extra"]]),
        ({"code": "123456"}, [["body", "identifier"]]),
        (["riviera.yachting"], [["body"]]),
    ],
)
def test_one_proof_exactly_else_422_with_the_locations(
    api: Api, world: DemoWorld, payload: Any, locs: list[list[str]]
) -> None:
    response = api.call("POST", "/account/links", payload, token=token_of(api, world))
    assert response.status == 422, response.body
    assert [d["loc"] for d in body(response)["error"]["details"]] == locs


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"identifier": "riviera.yachting", "channel": "pigeon"}, ["body", "channel"]),
        ({"identifier": "", "channel": "sms"}, ["body", "identifier"]),
        ({"channel": "sms"}, ["body", "identifier"]),
    ],
)
def test_bad_code_requests_answer_422_with_their_location(
    api: Api, world: DemoWorld, ports: Ports, payload: Any, loc: list[str]
) -> None:
    response = api.call("POST", "/account/links/codes", payload, token=token_of(api, world))
    assert response.status == 422 and loc in [d["loc"] for d in body(response)["error"]["details"]]
    assert ports.count == 0


def test_asking_and_linking_need_an_authentication_of_at_most_5_minutes(
    api: Api, world: DemoWorld, ports: Ports
) -> None:
    marco = world.customers[1]
    token = token_of(api, world)
    ask_code(api, token, marco.login_id)
    code = ports.mail_code_to(marco.email)
    links_clock(api, timedelta(minutes=5, seconds=1))
    for response in (
        ask_code(api, token, marco.login_id),
        link_with(api, token, marco.login_id, code),
        api.call("POST", "/account/links", {"identifier": marco.login_id, "password": marco.password}, token=token),
    ):
        assert response.status == 401 and error_code(response) == "reauthentication_required"
    assert len(ports.mail.sent) == 1 and linked_numbers(api, token) == []


@pytest.mark.parametrize("role", list(StaffRole))
def test_staff_never_ask_for_a_code_nor_link_with_one(
    api: Api, world: DemoWorld, ports: Ports, role: StaffRole
) -> None:
    member = world.staff[role]
    token = api.staff_login(member.email, member.password)["access_token"]
    grant = api.call(
        "POST",
        "/staff/assisted-access",
        {"customer_id": "C0001", "reason": "Customer called about the account", "duration_minutes": 30}
        | grant_conditions("C0001"),
        token=token,
    )
    marco = world.customers[1]
    for headers in ({GRANT_HEADER: body(grant)["grant_id"]}, {}):
        for path, payload in [
            ("/account/links/codes", {"identifier": marco.login_id, "channel": "email"}),
            ("/account/links/codes", {"identifier": marco.login_id, "channel": "sms"}),
            ("/account/links", {"identifier": marco.login_id, "code": "123456"}),
        ]:
            response = api.call("POST", path, payload, token=token, headers=headers)
            assert response.status == 403, (role, path, headers, response.body)
    assert ports.count == 0


# Unlink revokes the switched sessions -----------------------------------------------------------------------
def link_by_password(api: Api, token: str, other: DemoCustomer) -> None:
    linked = api.call("POST", "/account/links", {"identifier": other.login_id, "password": other.password}, token=token)
    assert linked.status == 201, linked.body


def switch(api: Api, token: str, account_number: str) -> dict[str, Any]:
    switched = api.call("POST", f"/account/links/{account_number}/switch", token=token)
    assert switched.status == 200, switched.body
    return dict(body(switched))


def answers(api: Api, token: str) -> int:
    return api.call("GET", "/account", token=token).status


def test_an_unlink_revokes_the_sessions_switched_between_the_accounts_both_ways(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    jeanne, marco = world.customers
    as_jeanne = token_of(api, world)
    as_marco_own = token_of(api, world, 1)
    link_by_password(api, as_jeanne, marco)
    to_marco = switch(api, as_jeanne, marco.account_number)
    back_to_jeanne = switch(api, to_marco["access_token"], jeanne.account_number)
    marco_to_jeanne = switch(api, as_marco_own, jeanne.account_number)
    switched = [to_marco, back_to_jeanne, marco_to_jeanne]
    assert [answers(api, s["access_token"]) for s in switched] == [200, 200, 200]
    sessions = table(aws, "SessionsTable").get_item(Key={"pk": f"SESSION#{to_marco['session_id']}"})["Item"]
    assert sessions["switched_from_customer"] == jeanne.customer_id and sessions["principal"] == "customer#C0002"

    assert api.call("DELETE", f"/account/links/{marco.account_number}", token=as_jeanne).status == 204

    # The switched sessions answer 401 at once (the authorizer reads the session), and cannot be refreshed.
    assert [answers(api, s["access_token"]) for s in switched] == [401, 401, 401]
    for s in switched:
        assert api.call("POST", "/auth/refresh", {"refresh_token": s["refresh_token"]}).status == 401
    # The customers' own sessions live on.
    assert answers(api, as_jeanne) == answers(api, as_marco_own) == 200
    assert audit_actions(aws).count("account.unlinked") == 2


def test_an_unlink_also_revokes_sessions_switched_onward_but_not_the_other_links(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    jeanne, marco = world.customers
    luc = add_customer(api, aws)
    as_jeanne, as_marco_own = token_of(api, world), token_of(api, world, 1)
    link_by_password(api, as_marco_own, luc)
    link_by_password(api, as_jeanne, marco)
    to_marco = switch(api, as_jeanne, marco.account_number)
    onward_to_luc = switch(api, to_marco["access_token"], luc.account_number)  # through Jeanne -> Marco
    marco_to_luc = switch(api, as_marco_own, luc.account_number)  # Marco's own: not through the link

    # Marco ends the link with Jeanne, from his own session.
    assert api.call("DELETE", f"/account/links/{jeanne.account_number}", token=as_marco_own).status == 204

    assert answers(api, to_marco["access_token"]) == answers(api, onward_to_luc["access_token"]) == 401
    assert answers(api, marco_to_luc["access_token"]) == answers(api, as_jeanne) == 200
    assert linked_numbers(api, as_marco_own) == [luc.account_number]


def test_an_unlink_from_a_switched_session_revokes_that_session_too(api: Api, world: DemoWorld) -> None:
    jeanne, marco = world.customers
    as_jeanne = token_of(api, world)
    link_by_password(api, as_jeanne, marco)
    to_marco = switch(api, as_jeanne, marco.account_number)["access_token"]
    assert api.call("DELETE", f"/account/links/{jeanne.account_number}", token=to_marco).status == 204
    assert answers(api, to_marco) == 401 and answers(api, as_jeanne) == 200


def switch_directly(api: Api, aws: LocalResources, customer: DemoCustomer, session_id: str, to: str) -> str:
    """A switch made by the auth service itself (not through the API): a session of the linked account `to`,
    from `session_id` of `customer`. Its access token."""
    caller = Caller(
        principal_type=PrincipalType.CUSTOMER,
        principal_id=customer.customer_id,
        session_id=session_id,
        auth_time=int(time.time()),
        customer_id=customer.customer_id,
    )
    link = records.link(aws.table_names["CustomersTable"], customer.customer_id, to)
    assert link is not None
    auth = api.gateway.handlers["auth"].service.linked_sessions
    return str(auth.open_linked_session(caller, link, RequestInfo("direct", "203.0.113.10", None)).access_token)


class SwitchDuringUnlink:
    """The auth port of the unification service, wrapping the real one: a switch happens right after the unlink
    has looked for the sessions to revoke (the race that the switch counters exist for), `times` times."""

    def __init__(self, real: Any, racing_switch: Callable[[], None], times: int = 1) -> None:
        self.real = real
        self.racing_switch = racing_switch
        self.times = times
        self.lookups = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def linked_session_revocations(self, sides: list[AccountLink]) -> list[RawItem]:
        found: list[RawItem] = self.real.linked_session_revocations(sides)
        self.lookups += 1
        if self.lookups <= self.times:
            self.racing_switch()
        return found


def test_a_switch_racing_an_unlink_is_seen_and_revoked_too(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    jeanne, marco = world.customers
    as_jeanne = token_of(api, world)
    link_by_password(api, as_jeanne, marco)
    session_id = api.login(jeanne.login_id, jeanne.password)["session_id"]
    links = api.gateway.handlers["auth"].links
    raced: list[str] = []
    racing = SwitchDuringUnlink(
        links.auth, lambda: raced.append(switch_directly(api, aws, jeanne, session_id, marco.account_number))
    )
    links.auth = racing
    assert api.call("DELETE", f"/account/links/{marco.account_number}", token=as_jeanne).status == 204
    assert racing.lookups == 2  # the first attempt failed on the switch counter, the second saw the session
    assert [answers(api, token) for token in raced] == [401]
    assert audit_actions(aws).count("account.unlinked") == 2


def test_an_unlink_that_cannot_finish_changes_nothing_and_a_retry_revokes_everything(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    jeanne, marco = world.customers
    as_jeanne = token_of(api, world)
    link_by_password(api, as_jeanne, marco)
    to_marco = switch(api, as_jeanne, marco.account_number)["access_token"]
    session_id = api.login(jeanne.login_id, jeanne.password)["session_id"]
    links = api.gateway.handlers["auth"].links
    real = links.auth
    raced: list[str] = []
    links.auth = SwitchDuringUnlink(
        real, lambda: raced.append(switch_directly(api, aws, jeanne, session_id, marco.account_number)), times=3
    )
    interrupted = api.call("DELETE", f"/account/links/{marco.account_number}", token=as_jeanne)
    assert interrupted.status == 409 and error_code(interrupted) == "unlink_interrupted"
    # Nothing changed: the link stands (so its sessions may live), no unlink audited.
    assert linked_numbers(api, as_jeanne) == [marco.account_number]
    assert "account.unlinked" not in audit_actions(aws)
    links.auth = real
    assert api.call("DELETE", f"/account/links/{marco.account_number}", token=as_jeanne).status == 204
    assert [answers(api, token) for token in [to_marco, *raced]] == [401] * 4


def test_an_unlink_revokes_more_sessions_than_one_transaction_holds(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    jeanne, marco = world.customers
    as_jeanne = token_of(api, world)
    link_by_password(api, as_jeanne, marco)
    session_id = api.login(jeanne.login_id, jeanne.password)["session_id"]
    switched = [switch_directly(api, aws, jeanne, session_id, marco.account_number) for _ in range(101)]
    assert api.call("DELETE", f"/account/links/{marco.account_number}", token=as_jeanne).status == 204
    sessions = table(aws, "SessionsTable").scan()["Items"]
    opened_by_switch = [s for s in sessions if s.get("switched_from_session") == session_id]
    assert len(opened_by_switch) == 101 and all(s["revoked"] for s in opened_by_switch)
    assert answers(api, switched[0]) == answers(api, switched[-1]) == 401


def test_a_switch_makes_the_link_forget_its_expired_sessions(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    jeanne, marco = world.customers
    as_jeanne = token_of(api, world)
    link_by_password(api, as_jeanne, marco)
    key = {"pk": f"CUSTOMER#{jeanne.customer_id}", "sk": f"LINK#{marco.account_number}"}
    expired = {f"{i:032x}:1000000000" for i in range(20)}  # sessions long dead (2001)
    table(aws, "CustomersTable").update_item(
        Key=key, UpdateExpression="ADD switched_sessions :old", ExpressionAttributeValues={":old": expired}
    )
    opened = switch(api, as_jeanne, marco.account_number)["session_id"]
    remembered = table(aws, "CustomersTable").get_item(Key=key)["Item"]["switched_sessions"]
    assert [value.split(":")[0] for value in remembered] == [opened]
