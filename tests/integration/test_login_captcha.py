"""The login CAPTCHA after repeated failures (issue 8, section 3), through the emulated API Gateway.

After 3 failed logins naming one identifier (known or not) or from one source address, the login asks for a
solved CAPTCHA (400 captcha_required) before it checks anything else; challenges are solved for real.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import boto3

from infra.local.resources import LocalResources
from tests.factories import DemoWorld
from tests.integration.conftest import Api, HttpResponse, body
from tests.integration.test_activation import solved

WRONG = "not-the-password-1"
ATTEMPTS = 3  # the documented threshold (ThrottlePolicy.captcha_after_failures)


def login(api: Api, identifier: str, password: str, ip: str, captcha: str | None = None) -> HttpResponse:
    payload: dict[str, Any] = {"identifier": identifier, "password": password}
    if captcha:
        payload["captcha"] = captcha
    return api.call("POST", "/auth/login", payload, source_ip=ip)


def answer(response: HttpResponse) -> tuple[int, dict[str, Any]]:
    """Status and error body, without the request id (different for every request)."""
    error = dict(body(response)["error"])
    error.pop("request_id", None)
    return response.status, error


def fail(api: Api, identifier: str, ip: str, times: int = ATTEMPTS) -> None:
    for _ in range(times):
        assert login(api, identifier, WRONG, ip).status == 401


def test_known_and_unknown_identifiers_are_asked_alike_after_3_failures(api: Api, world: DemoWorld) -> None:
    jeanne = world.customers[0]
    # Given 3 failed logins naming Jeanne's login id, and 3 naming an identifier nobody has (other addresses)
    fail(api, jeanne.login_id, "198.51.100.1")
    fail(api, "nobody-here", "198.51.100.2")
    # When each is tried again (from fresh addresses: only the identifier's counter speaks)
    known = login(api, jeanne.login_id, WRONG, "198.51.100.3")
    unknown = login(api, "nobody-here", WRONG, "198.51.100.4")
    # Then both answers are the same status and body: a CAPTCHA is needed, nothing said of the account
    assert answer(known) == answer(unknown)
    assert answer(known)[0] == 400 and answer(known)[1]["code"] == "captcha_required"
    # And a third identifier, never failed, is not asked
    assert login(api, world.customers[1].login_id, world.customers[1].password, "198.51.100.5").status == 200


def test_without_a_solution_even_the_right_password_is_refused(api: Api, world: DemoWorld) -> None:
    jeanne = world.customers[0]
    fail(api, jeanne.login_id, "198.51.100.10")
    refused = login(api, jeanne.login_id, jeanne.password, "198.51.100.11")
    assert refused.status == 400 and answer(refused)[1]["code"] == "captcha_required"
    assert "access_token" not in body(refused)


def test_a_solved_challenge_lets_the_login_proceed_then_no_new_challenge_until_failures_recur(
    api: Api, world: DemoWorld
) -> None:
    jeanne = world.customers[0]
    ip = "198.51.100.20"
    fail(api, jeanne.login_id, ip)
    # When the right password comes with a solved challenge
    opened = login(api, jeanne.login_id, jeanne.password, ip, captcha=solved(api))
    # Then the login proceeds
    assert opened.status == 200 and body(opened)["access_token"]
    # And the next login, from the same address, needs no challenge (the failures were covered)
    assert login(api, jeanne.login_id, jeanne.password, ip).status == 200
    # Until a failure recurs: the address has failed 4 times, the challenge is asked again
    assert login(api, jeanne.login_id, WRONG, ip).status == 401
    again = login(api, jeanne.login_id, jeanne.password, ip)
    assert again.status == 400 and answer(again)[1]["code"] == "captcha_required"


def test_a_solution_covers_one_attempt_a_wrong_password_with_it_asks_again(api: Api, world: DemoWorld) -> None:
    jeanne = world.customers[0]
    fail(api, jeanne.login_id, "198.51.100.30")
    # A wrong password with a solved challenge is a plain failure (401)...
    assert login(api, jeanne.login_id, WRONG, "198.51.100.31", captcha=solved(api)).status == 401
    # ...and the next attempt needs a new challenge
    assert login(api, jeanne.login_id, jeanne.password, "198.51.100.32").status == 400


def test_a_replayed_solution_is_refused(api: Api, world: DemoWorld) -> None:
    jeanne = world.customers[0]
    fail(api, jeanne.login_id, "198.51.100.40")
    payload = solved(api)
    assert login(api, jeanne.login_id, WRONG, "198.51.100.41", captcha=payload).status == 401
    replayed = login(api, jeanne.login_id, jeanne.password, "198.51.100.42", captcha=payload)
    assert replayed.status == 400 and answer(replayed)[1]["code"] == "captcha_required"


def test_a_source_that_failed_with_different_identifiers_must_solve_one(api: Api, world: DemoWorld) -> None:
    jeanne = world.customers[0]
    ip = "198.51.100.50"
    # Given 3 failures from one address, each naming another identifier
    for n in range(ATTEMPTS):
        assert login(api, f"someone{n}", WRONG, ip).status == 401
    # Then a fourth identifier from that address, even with the right password, must solve a challenge
    asked = login(api, jeanne.login_id, jeanne.password, ip)
    assert asked.status == 400 and answer(asked)[1]["code"] == "captcha_required"
    # And with one, it logs in; from another address, no challenge was ever needed
    assert login(api, jeanne.login_id, jeanne.password, ip, captcha=solved(api)).status == 200
    assert login(api, world.customers[1].login_id, world.customers[1].password, "198.51.100.51").status == 200


def test_spellings_of_one_phone_number_share_a_counter(api: Api, world: DemoWorld) -> None:
    # Given 3 failures with a phone number in its international form
    fail(api, "+33612345678", "198.51.100.60")
    # Then its national spelling is asked too (the counter is keyed by the normalised identifier)
    asked = login(api, "0033 6 12 34 56 78", WRONG, "198.51.100.61")
    assert asked.status == 400 and answer(asked)[1]["code"] == "captcha_required"


def test_staff_login_is_asked_alike(api: Api, world: DemoWorld) -> None:
    staff = next(iter(world.staff.values()))
    for _ in range(ATTEMPTS):
        response = api.call(
            "POST", "/staff/auth/login", {"email": staff.email, "password": WRONG}, source_ip="192.0.2.9"
        )
        assert response.status == 401
    asked = api.call(
        "POST", "/staff/auth/login", {"email": staff.email, "password": staff.password}, source_ip="192.0.2.10"
    )
    assert asked.status == 400 and answer(asked)[1]["code"] == "captcha_required"
    with_one = api.call(
        "POST",
        "/staff/auth/login",
        {"email": staff.email, "password": staff.password, "captcha": solved(api)},
        source_ip="192.0.2.10",
    )
    assert with_one.status == 200, with_one.body


def test_neither_the_address_nor_the_identifier_is_stored(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    # Given failures from a known address naming a distinctive unknown identifier
    ip, identifier = "203.0.113.77", "distinctive-ghost-42"
    fail(api, identifier, ip)
    login(api, identifier, WRONG, ip, captcha=solved(api))
    # Then the counters' and the replay store's tables hold neither, nor an unkeyed hash of either
    forbidden = [
        ip,
        identifier,
        hashlib.sha256(ip.encode()).hexdigest()[:32],
        hashlib.sha256(identifier.encode()).hexdigest()[:32],
    ]
    client = boto3.client("dynamodb", region_name="eu-west-3")
    counters = []
    for logical_id in ("CredentialsTable", "SessionsTable"):
        items = client.scan(TableName=aws.table_names[logical_id])["Items"]
        text = json.dumps(items)
        for value in forbidden:
            assert value not in text, (logical_id, value)
        counters += [i for i in items if i["pk"]["S"].startswith(("THROTTLE#IP#", "THROTTLE#ID#"))]
    # And the counters exist, keyed by digests, with an expiry
    kinds = sorted(i["pk"]["S"][:12] for i in counters)
    assert kinds.count("THROTTLE#ID#") >= 1 and kinds.count("THROTTLE#IP#") >= 1
    assert all("expires_at" in i for i in counters)
