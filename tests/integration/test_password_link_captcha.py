"""The login's CAPTCHA on the other password proofs (issue 8, section 3): linking an account by its password
(POST /account/links) and the digital-identity link's proof of control (POST /auth/digital-identity/link).

They test a password like a login, so they count the same failures (per typed identifier, per source address, shared
with the login) and, past 3, ask for the same solved CAPTCHA in the same `captcha` field with the same answer (400
captcha_required), decided before the account is read: the answer does not tell whether the account exists.
Challenges are solved for real with the library's solver.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra.local.oidc_provider import OidcProvider
from tests.factories import DemoWorld
from tests.integration.conftest import Api, HttpResponse, body
from tests.integration.test_activation import solved
from tests.integration.test_digital_identity import MARCO, _login, oidc_api, provider  # noqa: F401 - fixtures
from tests.integration.test_login_captcha import ATTEMPTS, WRONG, answer, login

pytestmark = pytest.mark.usefixtures("world")


def link(api: Api, token: str, identifier: str, password: str, ip: str, captcha: str | None = None) -> HttpResponse:
    payload: dict[str, Any] = {"identifier": identifier, "password": password}
    if captcha:
        payload["captcha"] = captcha
    return api.call("POST", "/account/links", payload, token=token, source_ip=ip)


def jeanne_token(api: Api, world: DemoWorld) -> str:
    jeanne = world.customers[0]
    return str(api.login(jeanne.login_id, jeanne.password)["access_token"])


def fail_links(api: Api, token: str, identifier: str, ip: str, times: int = ATTEMPTS) -> None:
    for _ in range(times):
        response = link(api, token, identifier, WRONG, ip)
        assert response.status == 401 and answer(response)[1]["code"] == "invalid_credentials", response.body


# Linking an account by its password ---------------------------------------------------------------------------
def test_after_3_failures_the_link_asks_for_a_captcha_even_with_the_right_password(api: Api, world: DemoWorld) -> None:
    marco = world.customers[1]
    token = jeanne_token(api, world)
    # Given 3 wrong passwords for Marco's account through the link
    fail_links(api, token, marco.login_id, "198.51.100.60")
    # When Jeanne sends Marco's right password without a CAPTCHA (from another address: the identifier's counter)
    refused = link(api, token, marco.login_id, marco.password, "198.51.100.61")
    # Then 400 captcha_required, the login's answer, and nothing is linked
    assert answer(refused) == (
        400,
        {
            "code": "captcha_required",
            "message": "Solve a new CAPTCHA challenge (GET /auth/captcha) and send its solution.",
        },
    )
    assert body(api.call("GET", "/account/links", token=token))["links"] == []
    # And with a solved CAPTCHA in `captcha`: linked
    linked = link(api, token, marco.login_id, marco.password, "198.51.100.61", captcha=solved(api))
    assert linked.status == 201, linked.body
    assert body(linked)["account_number"] == marco.account_number


def test_the_link_answer_does_not_tell_whether_the_account_exists(api: Api, world: DemoWorld) -> None:
    marco = world.customers[1]
    token = jeanne_token(api, world)
    # Given 3 failures naming Marco's account and 3 naming an identifier nobody has
    fail_links(api, token, marco.login_id, "198.51.100.70")
    fail_links(api, token, "nobody-here@example.mc", "198.51.100.71")
    # When each is tried again from fresh addresses
    known = link(api, token, marco.login_id, WRONG, "198.51.100.72")
    unknown = link(api, token, "nobody-here@example.mc", WRONG, "198.51.100.73")
    # Then the same status and body: a CAPTCHA is needed, nothing said of the account
    assert answer(known) == answer(unknown)
    assert answer(known)[0] == 400 and answer(known)[1]["code"] == "captcha_required"


def test_a_source_that_failed_with_several_identifiers_must_solve_one(api: Api, world: DemoWorld) -> None:
    marco = world.customers[1]
    token = jeanne_token(api, world)
    ip = "198.51.100.80"
    # Given 3 failures from one address, each naming another identifier
    for identifier in ("someone-1", "someone-2", "someone-3"):
        assert link(api, token, identifier, WRONG, ip).status == 401
    # Then a fourth identifier, never failed, is asked for a CAPTCHA from that address
    refused = link(api, token, marco.login_id, marco.password, ip)
    assert refused.status == 400 and answer(refused)[1]["code"] == "captcha_required"


def test_the_counters_are_the_logins_a_solution_is_accepted_once(api: Api, world: DemoWorld) -> None:
    marco = world.customers[1]
    token = jeanne_token(api, world)
    # Given 3 failed LOGINS naming Marco (the link and the login count the same failures)
    for _ in range(ATTEMPTS):
        assert login(api, marco.login_id, WRONG, "198.51.100.90").status == 401
    # Then the link by his password asks for a CAPTCHA
    assert link(api, token, marco.login_id, marco.password, "198.51.100.91").status == 400
    # And a solution is accepted once: a wrong password with it is a plain 401, the same solution again is refused
    payload = solved(api)
    assert link(api, token, marco.login_id, WRONG, "198.51.100.91", captcha=payload).status == 401
    replayed = link(api, token, marco.login_id, marco.password, "198.51.100.91", captcha=payload)
    assert replayed.status == 400 and answer(replayed)[1]["code"] == "captcha_required"
    # And a failed link counts for the login too: Marco's login now asks for a CAPTCHA as well
    assert answer(login(api, marco.login_id, marco.password, "198.51.100.92"))[1]["code"] == "captcha_required"


# The digital-identity link's proof of control ------------------------------------------------------------------
def test_the_digital_identity_link_asks_for_the_captcha_after_3_failures(
    oidc_api: Api,  # noqa: F811
    provider: OidcProvider,  # noqa: F811
    world: DemoWorld,
) -> None:
    marco = world.customers[1]
    ticket = body(_login(oidc_api, provider, MARCO))["link_ticket"]

    def prove(password: str, captcha: str | None = None) -> HttpResponse:
        payload: dict[str, Any] = {"link_ticket": ticket, "identifier": marco.login_id, "password": password}
        if captcha:
            payload["captcha"] = captcha
        return oidc_api.call("POST", "/auth/digital-identity/link", payload, source_ip="198.51.100.100")

    # Given 3 wrong passwords as proof of control
    for _ in range(ATTEMPTS):
        assert prove(WRONG).status == 401
    # When the right password comes without a CAPTCHA: 400 captcha_required, the login's answer
    refused = prove(marco.password)
    assert refused.status == 400 and answer(refused)[1]["code"] == "captcha_required"
    # And with a solved one: linked and logged in
    linked = prove(marco.password, captcha=solved(oidc_api))
    assert linked.status == 200, linked.body
    assert body(linked)["access_token"]
