"""e2e on the local stack over real HTTP: digital-identity login through the local OpenID Connect provider
(infra/local/oidc_provider.py). The test is the browser: it opens the authorize URL the API gives, picks a demo
person on the provider's page (or auto-approves), follows the redirect back to the API's callback; and the
refusals: wrong state, replayed code, wrong nonce, too-low acr, a token signed by another key, an expired token.
Staff sign in through the same provider (their directory group gives the role)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.e2e.conftest import Client, LocalStack, Reply

JEANNE = "MCID-7F3A9C21"  # linked to C0001 by the seed
MARCO = "MCID-2B5E8D47"  # not linked yet
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _start(client: Client, path: str = "/auth/digital-identity/authorizations") -> dict[str, Any]:
    reply = client.call("POST", path)
    assert reply.status == 201, reply.text
    return dict(reply.json())


def _provider(started: dict[str, Any]) -> Client:
    return Client(_origin(started["authorization_url"]))


def _auto_approve(started: dict[str, Any], person: str) -> str:
    """The provider's redirect back to the API (its Location), the person approving at once."""
    url = started["authorization_url"] + "&" + urlencode({"demo_person": person, "auto_approve": "true"})
    reply = _provider(started).call("GET", _path(url))
    assert reply.status == 302, reply.text
    return reply.headers["location"]


def _follow(client: Client, location: str) -> Reply:
    assert _origin(location) == client.base_url, location
    return client.call("GET", _path(location))


def _login(client: Client, person: str, path: str = "/auth/digital-identity/authorizations") -> Reply:
    return _follow(client, _auto_approve(_start(client, path), person))


def _control(started: dict[str, Any], path: str, payload: dict[str, Any]) -> None:
    reply = _provider(started).call("POST", path, payload)
    assert reply.status == 200, reply.text


def test_signing_in_on_the_providers_page_as_a_linked_person(client: Client, local_stack: LocalStack) -> None:
    # Given the banner names the provider, and the API's authorize URL points at it
    started = _start(client)
    provider = _provider(started)
    banner = [line for line in local_stack.output if line.startswith("OIDC provider ")]
    assert banner and provider.base_url in banner[0], "no banner line"
    assert any(JEANNE in line and MARCO in line for line in local_stack.output), "the demo people are not listed"
    # When the browser opens it: the provider's page offers the demo people
    page = provider.call("GET", _path(started["authorization_url"]), headers={"Accept": "text/html"})
    assert page.status == 200 and page.headers["content-type"].startswith("text/html"), page.text
    assert f'value="{JEANNE}"' in page.text and f'value="{MARCO}"' in page.text
    # And Jeanne chooses herself: the provider redirects to the API's callback with a code and the state
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    chosen = provider.call("POST", "/authorize", raw=urlencode(hidden | {"demo_person": JEANNE}), headers=FORM)
    assert chosen.status == 302, chosen.text
    location = chosen.headers["location"]
    assert parse_qs(urlsplit(location).query)["state"] == [started["state"]]
    # Then the callback logs her in to her own space
    reply = _follow(client, location)
    assert reply.status == 200, reply.text
    answer = reply.json()
    assert answer["outcome"] == "logged_in" and answer["refresh_token"]
    account = client.call("GET", "/account", token=answer["access_token"])
    assert account.status == 200 and account.json()["account_number"] == local_stack.customer(0)["account_number"]
    link = client.call("GET", "/account/digital-identity", token=answer["access_token"]).json()
    assert link["linked"] is True and link["digital_identity_id"] == JEANNE and link["family_name"] == "Dupont"


def test_the_first_login_links_after_the_password_then_goes_straight_in(
    client: Client, local_stack: LocalStack
) -> None:
    marco = local_stack.customer(1)
    first = _login(client, MARCO)
    assert first.status == 200 and first.json()["outcome"] == "link_required", first.text
    linked = client.call(
        "POST",
        "/auth/digital-identity/link",
        {"link_ticket": first.json()["link_ticket"], "identifier": marco["login_id"], "password": marco["password"]},
    )
    assert linked.status == 200, linked.text
    assert (
        client.call("GET", "/account", token=linked.json()["access_token"]).json()["account_number"]
        == marco["account_number"]
    )
    again = _login(client, MARCO)
    assert again.status == 200 and again.json()["outcome"] == "logged_in", again.text


def test_a_wrong_state_and_a_replayed_callback_are_refused(client: Client) -> None:
    location = _auto_approve(_start(client), JEANNE)
    query = parse_qs(urlsplit(location).query)
    forged = client.call(
        "GET", "/auth/digital-identity/callback?" + urlencode({"code": query["code"][0], "state": "s" * 43})
    )
    assert forged.status == 400 and forged.error_code == "invalid_authorization_state"
    assert _follow(client, location).status == 200
    replay = _follow(client, location)
    assert replay.status == 400 and replay.error_code == "invalid_authorization_state"


def test_a_replayed_code_is_refused(client: Client) -> None:
    location = _auto_approve(_start(client), JEANNE)
    assert _follow(client, location).status == 200
    code = parse_qs(urlsplit(location).query)["code"][0]
    other = _start(client)
    reply = client.call("GET", "/auth/digital-identity/callback?" + urlencode({"code": code, "state": other["state"]}))
    assert reply.status == 401 and reply.error_code == "digital_identity_refused"


def test_tokens_failing_a_check_are_refused(client: Client) -> None:
    for tamper in ({"nonce": "another-nonce"}, {"foreign_key": True}, {"expired": True}):
        started = _start(client)
        location = _auto_approve(started, JEANNE)
        _control(started, "/_control/next-token", tamper)
        reply = _follow(client, location)
        assert reply.status == 401 and reply.error_code == "digital_identity_refused", (tamper, reply.text)


def test_a_too_low_level_of_assurance_is_refused(client: Client) -> None:
    started = _start(client)
    _control(started, f"/_control/persons/{JEANNE}", {"acr": "eidas1"})
    try:
        reply = _follow(client, _auto_approve(started, JEANNE))
        assert reply.status == 401 and reply.error_code == "assurance_level_too_low"
    finally:
        _control(started, f"/_control/persons/{JEANNE}", {"acr": "eidas2"})


def test_staff_sign_in_through_the_directory(client: Client) -> None:
    reply = _login(client, "EMP-002", "/staff/auth/directory/authorizations")
    assert reply.status == 200, reply.text
    tokens = reply.json()
    assert tokens["refresh_token"] is None and tokens["expires_in"] == 900
    assert client.call("GET", "/staff/assisted-access", token=tokens["access_token"]).status == 200
    outsider = _login(client, "EMP-900", "/staff/auth/directory/authorizations")
    assert outsider.status == 403 and outsider.error_code == "staff_role_not_granted"
