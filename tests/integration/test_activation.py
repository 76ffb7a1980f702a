"""Activation of the web account and the CAPTCHA (issue 8, sections 1 and 3), through the emulated API Gateway."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from typing import Any

import altcha
import pytest
from selfcare.account.models import Address, CustomerProfile, CustomerType, Line, LineType
from selfcare.dal.customers import CustomersRepository
from selfcare.ports.hash_key import SecretsManagerHashKey

from infra.local.resources import LocalResources
from tests.factories import DemoWorld
from tests.fakes import InMemoryNotifier
from tests.integration.conftest import Api, HttpResponse, body
from tests.integration.test_account import InMemorySms, audit_actions, error_code, table

NEW_PASSWORD = "Harbour-Lantern-Quarry-73"
LUC = CustomerProfile(
    customer_id="C0003",
    account_number="100200500",
    customer_type=CustomerType.CONSUMER,
    last_name="Martin",
    first_name="Luc",
    address=Address(line1="1 rue Grimaldi", postal_code="98000", city="Monaco", country="MC"),
    contact_email="luc.martin@example.mc",
    contact_mobile="+33611223344",
    contact_landline=None,
    service_secret_code="4321",
)
LUC_MOBILE_LINE = "+377612349911"


@dataclass
class Ports:
    mail: InMemoryNotifier = field(default_factory=InMemoryNotifier)
    sms: InMemorySms = field(default_factory=InMemorySms)

    def code_to(self, address: str) -> str:
        for message in reversed(self.mail.sent):
            if message.to == address:
                return message.body.split("Your activation code: ")[1].split()[0]
        raise AssertionError(f"no activation code sent to {address}")


@pytest.fixture
def ports(api: Api) -> Ports:
    found = Ports()
    service = api.gateway.handlers["auth"].service
    service.context.notifier = found.mail
    service.activation.sms = found.sms
    return found


def add_customer_without_credentials(aws: LocalResources, profile: CustomerProfile = LUC) -> CustomerProfile:
    """A customer known to the read model (the CRM projected it), who never had a password."""
    customers = CustomersRepository(aws.table_names["CustomersTable"])
    customers.put_profile(profile)
    customers.put_line(Line(profile.customer_id, "M-0003", LineType.MOBILE, "Forfait 5G", LUC_MOBILE_LINE))
    return profile


def solved(api: Api) -> str:
    """A challenge from the API, solved for real with the library's solver: the payload to send."""
    answer = api.call("GET", "/auth/captcha")
    assert answer.status == 200, answer.body
    challenge = altcha.Challenge.from_dict(body(answer))
    solution = altcha.solve_challenge(challenge)
    assert solution is not None
    return str(altcha.Payload(challenge=challenge, solution=solution).to_base64())


def signed_payload(key: bytes, *, cost: int, expires_in: int) -> str:
    """A challenge made outside the API (forged key, other difficulty, past expiry), solved for real."""
    challenge = altcha.create_challenge("SHA-256", cost, hmac_secret=key, expires_at=int(time.time()) + expires_in)
    solution = altcha.solve_challenge(challenge)
    assert solution is not None
    return str(altcha.Payload(challenge=challenge, solution=solution).to_base64())


def captcha_key() -> bytes:
    return SecretsManagerHashKey(os.environ["CAPTCHA_KEY_SECRET_ID"]).key()


def ask(api: Api, identifier: str, captcha: str | None = None) -> HttpResponse:
    return api.call("POST", "/auth/activation", {"identifier": identifier, "captcha": captcha or solved(api)})


def confirm(api: Api, identifier: str, code: str, password: str = NEW_PASSWORD) -> HttpResponse:
    return api.call("POST", "/auth/activation/confirm", {"identifier": identifier, "code": code, "password": password})


# Activation -------------------------------------------------------------------------------------------
def test_a_customer_without_credentials_activates_and_logs_in_with_the_keys_of_the_record(
    api: Api, world: DemoWorld, aws: LocalResources, ports: Ports
) -> None:
    # Given a customer of the read model without a password
    luc = add_customer_without_credentials(aws)
    # When they ask for a code with their account number and a solved CAPTCHA
    asked = ask(api, luc.account_number)
    assert asked.status == 202, asked.body
    assert "contact email" in body(asked)["message"]
    # Then the code goes to the contact email of the record, and nowhere else
    assert [m.to for m in ports.mail.sent] == ["luc.martin@example.mc"] and ports.sms.sent == []
    code = ports.code_to("luc.martin@example.mc")
    # And it is stored as a digest only
    pending = [i for i in table(aws, "SessionsTable").scan()["Items"] if str(i["pk"]).startswith("ACTIVATION#")]
    assert len(pending) == 1 and code not in str(pending[0]) and pending[0]["customer_id"] == "C0003"
    # When they give the code and a new password
    activated = confirm(api, luc.account_number, code)
    assert activated.status == 200, activated.body
    tokens = body(activated)
    # Then they have a session of their space
    account = api.call("GET", "/account", token=tokens["access_token"])
    assert account.status == 200 and body(account)["account_number"] == "100200500"
    # And every login key derived from the record works: contact email and mobile, line number, account number
    for identifier in ("luc.martin@example.mc", "+33611223344", LUC_MOBILE_LINE, "100200500"):
        assert api.call("POST", "/auth/login", {"identifier": identifier, "password": NEW_PASSWORD}).status == 200
    assert "account.activated" in audit_actions(aws)
    entries = table(aws, "ConnectionLogTable").scan()["Items"]
    assert any(e["customer_id"] == "C0003" and e["status"] == "success" for e in entries)
    # And the code works once
    again = confirm(api, luc.account_number, code)
    assert again.status == 400 and error_code(again) == "invalid_activation_code"


def test_a_line_number_also_asks_for_the_code(api: Api, world: DemoWorld, aws: LocalResources, ports: Ports) -> None:
    add_customer_without_credentials(aws)
    assert ask(api, "06 12 34 99 11").status == 202
    code = ports.code_to("luc.martin@example.mc")
    assert confirm(api, "+377 6 12 34 99 11", code).status == 200


def test_step_one_answers_alike_and_as_slowly_whatever_the_account(
    api: Api, world: DemoWorld, aws: LocalResources, ports: Ports
) -> None:
    # Given an unknown account, an active one, a terminated one without credentials, and one to activate
    add_customer_without_credentials(aws)
    ended = replace(LUC, customer_id="C0004", account_number="100200600", terminated_at="2026-01-31T00:00:00Z")
    CustomersRepository(aws.table_names["CustomersTable"]).put_profile(ended)
    answers = {}
    for identifier in ("999999999", world.customers[0].account_number, "100200600", "100200500"):
        captcha = solved(api)
        started = time.monotonic()
        answer = ask(api, identifier, captcha)
        answers[identifier] = (answer.status, answer.body, time.monotonic() - started)
    # Then the same status and body for all, never sooner than the floor (200 ms in tests)
    assert len({(status, text) for status, text, _ in answers.values()}) == 1
    assert all(status == 202 and elapsed >= 0.2 for status, _, elapsed in answers.values())
    # And a code went only to the customer who can activate
    assert [m.to for m in ports.mail.sent] == ["luc.martin@example.mc"]


def test_a_terminated_customer_cannot_activate(api: Api, world: DemoWorld, aws: LocalResources, ports: Ports) -> None:
    # Given a customer who asked for a code, and whose contract then ended
    luc = add_customer_without_credentials(aws)
    assert ask(api, luc.account_number).status == 202
    code = ports.code_to("luc.martin@example.mc")
    CustomersRepository(aws.table_names["CustomersTable"]).put_profile(
        replace(luc, terminated_at="2026-11-01T00:00:00Z")
    )
    # Then the code no longer activates anything
    refused = confirm(api, luc.account_number, code)
    assert refused.status == 400 and error_code(refused) == "invalid_activation_code"
    assert api.call("POST", "/auth/login", {"identifier": luc.account_number, "password": NEW_PASSWORD}).status == 401


def test_wrong_codes_use_up_the_tries(api: Api, world: DemoWorld, aws: LocalResources, ports: Ports) -> None:
    luc = add_customer_without_credentials(aws)
    ask(api, luc.account_number)
    code = ports.code_to("luc.martin@example.mc")
    wrong = "00000000" if code != "00000000" else "11111111"
    for _ in range(5):
        refused = confirm(api, luc.account_number, wrong)
        assert refused.status == 400 and error_code(refused) == "invalid_activation_code"
    # The right code comes too late: five wrong tries killed it
    assert confirm(api, luc.account_number, code).status == 400


def test_a_weak_password_is_refused_and_the_code_still_works(
    api: Api, world: DemoWorld, aws: LocalResources, ports: Ports
) -> None:
    luc = add_customer_without_credentials(aws)
    ask(api, luc.account_number)
    code = ports.code_to("luc.martin@example.mc")
    weak = confirm(api, luc.account_number, code, password="password1234")
    assert weak.status == 422 and body(weak)["error"]["details"][0]["loc"] == ["body", "password"]
    assert confirm(api, luc.account_number, code).status == 200


def test_a_login_key_held_by_another_credential_is_a_conflict_not_a_takeover(
    api: Api, world: DemoWorld, aws: LocalResources, ports: Ports
) -> None:
    # Given a record whose contact email is already Jeanne's login key
    jeanne = world.customers[0]
    luc = add_customer_without_credentials(aws, replace(LUC, contact_email=jeanne.email))
    ask(api, luc.account_number)
    code = ports.code_to(jeanne.email)
    # When it is activated
    conflict = confirm(api, luc.account_number, code)
    # Then 409, nothing created, and the key still opens Jeanne's account only
    assert conflict.status == 409 and error_code(conflict) == "identifier_taken"
    assert api.call("POST", "/auth/login", {"identifier": luc.account_number, "password": NEW_PASSWORD}).status == 401
    assert api.login(jeanne.email, jeanne.password)["access_token"]


# CAPTCHA ----------------------------------------------------------------------------------------------
def test_activation_refuses_a_missing_replayed_forged_expired_or_easier_captcha(
    api: Api, world: DemoWorld, aws: LocalResources, ports: Ports
) -> None:
    luc = add_customer_without_credentials(aws)
    cost = int(os.environ["CAPTCHA_COST"])
    payload = solved(api)
    cases: dict[str, Any] = {
        "forged": signed_payload(b"another-key-of-at-least-32-bytes!!", cost=cost, expires_in=300),
        "expired": signed_payload(captcha_key(), cost=cost, expires_in=-5),
        "easier": signed_payload(captcha_key(), cost=max(cost // 10, 1), expires_in=300),
        "garbage": "bm90IGEgcGF5bG9hZA==",
    }
    for name, captcha in cases.items():
        refused = ask(api, luc.account_number, captcha)
        assert refused.status == 400 and error_code(refused) == "captcha_required", name
    missing = api.call("POST", "/auth/activation", {"identifier": luc.account_number})
    assert missing.status == 422
    assert ports.mail.sent == []
    # A real solution works once
    assert ask(api, luc.account_number, payload).status == 202
    replayed = ask(api, luc.account_number, payload)
    assert replayed.status == 400 and error_code(replayed) == "captcha_required"
    assert len(ports.mail.sent) == 1


def test_the_challenge_names_the_configured_difficulty_and_a_near_expiry(api: Api, world: DemoWorld) -> None:
    challenge = body(api.call("GET", "/auth/captcha"))
    parameters = challenge["parameters"]
    assert parameters["algorithm"] == "SHA-256" and parameters["cost"] == int(os.environ["CAPTCHA_COST"])
    assert 0 < parameters["expiresAt"] - time.time() <= 300
    assert len(challenge["signature"]) == 64
