"""Integration: digital-identity login (customers) and staff sign-in from the directory, over OpenID Connect.

The real handlers in-process on moto, against the local provider simulator (infra/local/oidc_provider.py) on a
loopback port: the adapter really fetches discovery and JWKS and redeems codes over HTTP. The browser is played
by `OidcProvider.authorize_url_code` (what the provider redirects to when the person approves).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from selfcare.dal.logs import LogsRepository

from infra import definitions as d
from infra.local.gateway import Gateway, HttpResponse
from infra.local.oidc_provider import OidcProvider
from infra.local.resources import LOCAL_DIGITAL_IDENTITY_CLIENT_ID, LOCAL_STAFF_DIRECTORY_CLIENT_ID, LocalResources
from infra.local.seed import provider_persons
from tests.factories import DemoWorld
from tests.integration.conftest import Api, body

JEANNE = "MCID-7F3A9C21"  # linked to C0001 by the seed
MARCO = "MCID-2B5E8D47"  # C0002's digital identity, not linked yet
PRODUCTION = "EMP-002"
OUTSIDER = "EMP-900"


def _client_secret(name: str) -> str:
    raw = boto3.client("secretsmanager", region_name="eu-west-3").get_secret_value(SecretId=name)["SecretString"]
    return str(json.loads(raw)["client_secret"])


@pytest.fixture
def provider(aws: LocalResources, world: DemoWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[OidcProvider]:
    provider = OidcProvider(provider_persons(world)).start()
    env = aws.grant_values()
    provider.register_client(
        LOCAL_DIGITAL_IDENTITY_CLIENT_ID,
        [env["DIGITAL_IDENTITY_REDIRECT_URI"]],
        _client_secret(d.DIGITAL_IDENTITY_CLIENT_SECRET_NAME),
    )
    provider.register_client(
        LOCAL_STAFF_DIRECTORY_CLIENT_ID,
        [env["STAFF_DIRECTORY_REDIRECT_URI"]],
        _client_secret(d.STAFF_DIRECTORY_CLIENT_SECRET_NAME),
    )
    monkeypatch.setenv("DIGITAL_IDENTITY_DISCOVERY_URL", provider.discovery_url)
    monkeypatch.setenv("STAFF_DIRECTORY_DISCOVERY_URL", provider.discovery_url)
    yield provider
    provider.stop()


@pytest.fixture
def oidc_api(provider: OidcProvider) -> Api:
    return Api(Gateway())  # after the provider: the handlers read its URL at import


def _start(api: Api, path: str = "/auth/digital-identity/authorizations") -> dict[str, Any]:
    response = api.call("POST", path)
    assert response.status == 201, response.body
    return dict(body(response))


def _callback(api: Api, query: dict[str, str], path: str = d.DIGITAL_IDENTITY_CALLBACK_PATH) -> HttpResponse:
    return api.gateway.handle("GET", path, {"User-Agent": "Firefox/140.0"}, None, query=query, source_ip="203.0.113.9")


def _approve(provider: OidcProvider, started: dict[str, Any], person: str) -> dict[str, str]:
    """The browser at the provider: the person approves; the query the provider redirects back with."""
    location = provider.authorize_url_code(started["authorization_url"], person)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _login(api: Api, provider: OidcProvider, person: str, path: str = "/auth/digital-identity/authorizations") -> Any:
    callback = d.DIGITAL_IDENTITY_CALLBACK_PATH if path.startswith("/auth/") else d.STAFF_DIRECTORY_CALLBACK_PATH
    return _callback(api, _approve(provider, _start(api, path), person), callback)


def _connections(aws: LocalResources, principal: str) -> list[dict[str, Any]]:
    logs = LogsRepository(aws.table_names[d.CONNECTION_LOG.logical_id], None)
    return sorted(logs.connections(principal, 0), key=lambda item: item["sk"])


def _error(response: HttpResponse) -> str:
    return str(body(response)["error"]["code"])


# The authorization request ---------------------------------------------------------------------------------------
def test_the_authorization_url_asks_for_pkce_s256_state_nonce_and_the_accepted_levels(
    oidc_api: Api, provider: OidcProvider
) -> None:
    # When a login starts
    started = _start(oidc_api)
    # Then the provider is asked for a code with PKCE S256, this state, a nonce and the levels at least eidas2
    url = urlsplit(started["authorization_url"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{provider.url}/authorize"
    assert query["response_type"] == "code" and query["client_id"] == LOCAL_DIGITAL_IDENTITY_CLIENT_ID
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["state"] == started["state"] and len(query["nonce"]) >= 32
    assert query["acr_values"] == "eidas2 eidas3"
    assert query["redirect_uri"].endswith(d.DIGITAL_IDENTITY_CALLBACK_PATH)
    assert started["expires_in"] == 600


# Customers ---------------------------------------------------------------------------------------------------------
def test_a_linked_person_logs_straight_in_and_the_connection_log_has_the_digital_identity(
    oidc_api: Api, provider: OidcProvider, aws: LocalResources, world: DemoWorld
) -> None:
    # Given Jeanne's digital identity is linked to C0001
    # When she signs in with it
    response = _login(oidc_api, provider, JEANNE)
    # Then she is logged in to C0001's space
    assert response.status == 200, response.body
    answer = body(response)
    assert answer["outcome"] == "logged_in" and answer["refresh_token"] and answer["link_ticket"] is None
    account = oidc_api.call("GET", "/account", token=answer["access_token"])
    assert account.status == 200 and body(account)["account_number"] == world.customers[0].account_number
    # And the connection log records the digital-identity id, the customer and the account number
    (entry,) = [c for c in _connections(aws, "customer#C0001") if c["login_used"] == "digital_identity"]
    assert entry["status"] == "success" and entry["digital_identity_id"] == JEANNE
    assert entry["account_number"] == world.customers[0].account_number


def test_the_first_login_links_only_after_a_proof_of_control_then_logs_straight_in(
    oidc_api: Api, provider: OidcProvider, aws: LocalResources, world: DemoWorld
) -> None:
    marco = world.customers[1]
    # Given Marco's digital identity is linked to nothing: his first login asks for the link
    first = _login(oidc_api, provider, MARCO)
    assert first.status == 200, first.body
    answer = body(first)
    assert answer["outcome"] == "link_required" and answer["access_token"] is None
    ticket = answer["link_ticket"]
    # When he proves control with a wrong password: refused like a login, logged as a failure
    wrong = oidc_api.call(
        "POST",
        "/auth/digital-identity/link",
        {"link_ticket": ticket, "identifier": marco.login_id, "password": "x" * 14},
    )
    assert wrong.status == 401 and _error(wrong) == "invalid_credentials"
    assert [c["status"] for c in _connections(aws, "customer#C0002")] == ["failure"]
    # And with his password: linked and logged in
    linked = oidc_api.call(
        "POST",
        "/auth/digital-identity/link",
        {"link_ticket": ticket, "identifier": marco.login_id, "password": marco.password},
    )
    assert linked.status == 200, linked.body
    token = body(linked)["access_token"]
    view = oidc_api.call("GET", "/account/digital-identity", token=token)
    assert body(view) == {
        "linked": True,
        "digital_identity_id": MARCO,
        "given_name": "Marco",
        "family_name": "Rossi",
        "birth_date": "1979-11-02",
        "linked_at": body(view)["linked_at"],
    }
    # And the link's connection-log entry carries the digital-identity id, the audit trail the link
    success = [c for c in _connections(aws, "customer#C0002") if c["status"] == "success"]
    # (the proof of control is a login of its own: its entry has no digital identity)
    assert sorted((c["login_used"], c["digital_identity_id"] or "") for c in success) == [
        (marco.login_id, ""),
        (marco.login_id, MARCO),
    ]
    logs = LogsRepository(None, aws.table_names[d.AUDIT_LOG.logical_id])
    actions = [(e["action"], e["target"]) for e in logs.audit_trail("customer#C0002", 0)]
    assert ("digital_identity.linked", f"digital_identity#{MARCO}") in actions
    # And the ticket works once
    again = oidc_api.call(
        "POST",
        "/auth/digital-identity/link",
        {"link_ticket": ticket, "identifier": marco.login_id, "password": marco.password},
    )
    assert again.status == 400 and _error(again) == "invalid_link_ticket"
    # And his next digital-identity login goes straight in
    second = _login(oidc_api, provider, MARCO)
    assert body(second)["outcome"] == "logged_in"
    me = oidc_api.call("GET", "/account", token=body(second)["access_token"])
    assert body(me)["account_number"] == marco.account_number


def test_an_account_already_linked_to_an_identity_is_not_linked_to_another(
    oidc_api: Api, provider: OidcProvider, world: DemoWorld
) -> None:
    # Given Marco's first login, and Jeanne's account already linked to her own identity
    ticket = body(_login(oidc_api, provider, MARCO))["link_ticket"]
    jeanne = world.customers[0]
    # When Marco's identity is offered Jeanne's credentials
    response = oidc_api.call(
        "POST",
        "/auth/digital-identity/link",
        {"link_ticket": ticket, "identifier": jeanne.login_id, "password": jeanne.password},
    )
    # Then it is refused: one account, one digital identity
    assert response.status == 409 and _error(response) == "digital_identity_already_linked"


def test_a_customer_removes_the_link_and_the_next_login_asks_for_the_proof_again(
    oidc_api: Api, provider: OidcProvider, world: DemoWorld
) -> None:
    jeanne = world.customers[0]
    token = oidc_api.login(jeanne.login_id, jeanne.password)["access_token"]
    assert body(oidc_api.call("GET", "/account/digital-identity", token=token))["digital_identity_id"] == JEANNE
    # When she removes the link
    removed = oidc_api.call("DELETE", "/account/digital-identity", token=token)
    assert removed.status == 204
    # Then it is gone, a second removal finds nothing, and her next digital-identity login asks for the link
    assert body(oidc_api.call("GET", "/account/digital-identity", token=token)) == {
        "linked": False,
        "digital_identity_id": None,
        "given_name": None,
        "family_name": None,
        "birth_date": None,
        "linked_at": None,
    }
    assert oidc_api.call("DELETE", "/account/digital-identity", token=token).status == 404
    assert body(_login(oidc_api, provider, JEANNE))["outcome"] == "link_required"


# Refusals ------------------------------------------------------------------------------------------------------------
def test_a_wrong_state_is_refused_and_logged(oidc_api: Api, provider: OidcProvider, aws: LocalResources) -> None:
    query = _approve(provider, _start(oidc_api), JEANNE)
    response = _callback(oidc_api, query | {"state": "x" * 43})
    assert response.status == 400 and _error(response) == "invalid_authorization_state"
    assert [c["status"] for c in _connections(aws, f"customer#unknown#{_today()}")] == ["failure"]


def test_a_replayed_callback_is_refused(oidc_api: Api, provider: OidcProvider) -> None:
    query = _approve(provider, _start(oidc_api), JEANNE)
    assert _callback(oidc_api, query).status == 200
    # The same code and state again: the state is spent
    replay = _callback(oidc_api, query)
    assert replay.status == 400 and _error(replay) == "invalid_authorization_state"


def test_a_replayed_code_is_refused_by_the_provider(oidc_api: Api, provider: OidcProvider) -> None:
    # Given a code already redeemed
    query = _approve(provider, _start(oidc_api), JEANNE)
    assert _callback(oidc_api, query).status == 200
    # When it comes back with another attempt's (valid) state
    other = _start(oidc_api)
    response = _callback(oidc_api, {"code": query["code"], "state": other["state"]})
    # Then the provider refuses it, and so do we
    assert response.status == 401 and _error(response) == "digital_identity_refused"


def test_a_code_is_bound_to_its_pkce_verifier(oidc_api: Api, provider: OidcProvider) -> None:
    # A fresh code of attempt A presented with attempt B's state (so B's verifier): PKCE S256 fails
    first = _approve(provider, _start(oidc_api), JEANNE)
    other = _start(oidc_api)
    response = _callback(oidc_api, {"code": first["code"], "state": other["state"]})
    assert response.status == 401 and _error(response) == "digital_identity_refused"


@pytest.mark.parametrize(
    "tamper",
    [{"nonce": "not-the-attempts-nonce"}, {"foreign_key": True}, {"expired": True}],
    ids=["wrong_nonce", "signed_by_another_key", "expired"],
)
def test_an_id_token_that_fails_a_check_is_refused(
    oidc_api: Api, provider: OidcProvider, aws: LocalResources, tamper: dict[str, Any]
) -> None:
    query = _approve(provider, _start(oidc_api), JEANNE)
    provider.tamper_next(**tamper)
    response = _callback(oidc_api, query)
    assert response.status == 401 and _error(response) == "digital_identity_refused"
    assert not [c for c in _connections(aws, "customer#C0001") if c["status"] == "success"]


def test_a_level_of_assurance_below_the_minimum_is_refused(oidc_api: Api, provider: OidcProvider) -> None:
    provider.set_person(JEANNE, acr="eidas1")
    response = _login(oidc_api, provider, JEANNE)
    assert response.status == 401 and _error(response) == "assurance_level_too_low"
    provider.set_person(JEANNE, acr="eidas3")  # above the minimum: accepted
    assert body(_login(oidc_api, provider, JEANNE))["outcome"] == "logged_in"


def test_a_key_rotation_is_followed(oidc_api: Api, provider: OidcProvider) -> None:
    # Given the keys are cached by a first login
    assert body(_login(oidc_api, provider, JEANNE))["outcome"] == "logged_in"
    # When the provider rotates and stops publishing the old key
    provider.rotate(drop_previous=True)
    time.sleep(1.1)  # the adapter refetches the JWKS at most once a second (a forged kid cannot make it hammer)
    # Then the next token's unknown kid makes one refetch, and the login succeeds
    response = _login(oidc_api, provider, JEANNE)
    assert response.status == 200 and body(response)["outcome"] == "logged_in"


def test_the_provider_answering_an_error_is_a_refusal(oidc_api: Api, provider: OidcProvider) -> None:
    started = _start(oidc_api)
    response = _callback(oidc_api, {"error": "access_denied", "state": started["state"]})
    assert response.status == 401 and _error(response) == "digital_identity_refused"


# Staff --------------------------------------------------------------------------------------------------------------
STAFF_START = "/staff/auth/directory/authorizations"


def test_staff_sign_in_with_the_role_of_their_directory_group_for_one_access_token(
    oidc_api: Api, provider: OidcProvider, aws: LocalResources
) -> None:
    # When a member of the production group signs in
    response = _login(oidc_api, provider, PRODUCTION, STAFF_START)
    # Then they get an access token and no refresh token
    assert response.status == 200, response.body
    answer = body(response)
    assert answer["refresh_token"] is None and answer["expires_in"] == 900
    # And act as production staff (a grant on a customer; the grant names the directory identity)
    grants = oidc_api.call("GET", "/staff/assisted-access", token=answer["access_token"])
    assert grants.status == 200 and body(grants) == {"grants": []}
    # And the session ends with the access token
    sessions = boto3.client("dynamodb", region_name="eu-west-3").get_item(
        TableName=aws.table_names[d.SESSIONS.logical_id], Key={"pk": {"S": f"SESSION#{answer['session_id']}"}}
    )["Item"]
    assert sessions["role"]["S"] == "production" and sessions["principal_id"]["S"] == f"dir-{PRODUCTION}"
    assert int(sessions["expires_at"]["N"]) - int(sessions["auth_time"]["N"]) == 900
    # And the connection log has the professional email
    (entry,) = _connections(aws, f"staff#dir-{PRODUCTION}")
    assert entry["professional_email"] == "production@operator.example" and entry["status"] == "success"


def test_staff_in_no_selfcare_group_or_removed_from_it_cannot_sign_in(
    oidc_api: Api, provider: OidcProvider, aws: LocalResources
) -> None:
    outsider = _login(oidc_api, provider, OUTSIDER, STAFF_START)
    assert outsider.status == 403 and _error(outsider) == "staff_role_not_granted"
    # A member removed from the group: no role any more
    provider.set_person(PRODUCTION, groups=[])
    removed = _login(oidc_api, provider, PRODUCTION, STAFF_START)
    assert removed.status == 403 and _error(removed) == "staff_role_not_granted"
    assert [c["status"] for c in _connections(aws, f"staff#dir-{PRODUCTION}")] == ["failure"]


def test_staff_removed_from_the_directory_cannot_sign_in(oidc_api: Api, provider: OidcProvider) -> None:
    provider.set_person(PRODUCTION, active=False)  # the provider denies them
    response = _login(oidc_api, provider, PRODUCTION, STAFF_START)
    assert response.status == 401 and _error(response) == "digital_identity_refused"


def test_a_customer_attempt_cannot_complete_a_staff_sign_in(oidc_api: Api, provider: OidcProvider) -> None:
    query = _approve(provider, _start(oidc_api), JEANNE)
    response = _callback(oidc_api, query, d.STAFF_DIRECTORY_CALLBACK_PATH)
    assert response.status == 400 and _error(response) == "invalid_authorization_state"


def _today() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).date().isoformat()


def test_anonymisation_deletes_the_link_of_the_digital_identity(aws: LocalResources, world: DemoWorld) -> None:
    from selfcare.dal.digital_identity import DigitalIdentityRepository
    from selfcare.dal.erasure import CustomerErasure

    links = DigitalIdentityRepository(aws.table_names[d.SESSIONS.logical_id], aws.table_names[d.CREDENTIALS.logical_id])
    assert links.get_link(JEANNE) is not None
    # When C0001 is anonymised (5 years after termination)
    CustomerErasure(aws.table_names[d.CUSTOMERS.logical_id], aws.table_names[d.CREDENTIALS.logical_id]).erase("C0001")
    # Then the link and its claims (names, birth date) are gone with the credential
    assert links.get_link(JEANNE) is None
