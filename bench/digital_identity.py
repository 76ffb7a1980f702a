"""DynamoDB calls per request of the digital-identity login and the staff directory sign-in (OpenID Connect).

`rows()` returns (route, authorizer calls, handler calls, target) like bench/__main__.py's dynamodb_calls(),
against the local OpenID Connect provider (infra/local/oidc_provider.py) on a loopback port: the provider's
discovery, JWKS and token calls are HTTP, not DynamoDB, and are not counted.
The callback: the state taken (one conditional DeleteItem returning it), the link read, one transaction (session,
connection log, the link still there); a first login: the state, the link read, the ticket put.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench.world import Recorder, local_stack


def rows() -> list[tuple[str, int, int, str]]:
    import boto3

    from infra import definitions as d
    from infra.local.gateway import Gateway
    from infra.local.oidc_provider import OidcProvider
    from infra.local.resources import LOCAL_DIGITAL_IDENTITY_CLIENT_ID, LOCAL_STAFF_DIRECTORY_CLIENT_ID
    from infra.local.seed import provider_persons

    with local_stack() as (_, world, resources):
        provider = OidcProvider(provider_persons(world)).start()
        try:
            secrets = boto3.client("secretsmanager", region_name="eu-west-3")
            values = resources.grant_values()
            for client_id, secret_name, redirect in (
                (
                    LOCAL_DIGITAL_IDENTITY_CLIENT_ID,
                    d.DIGITAL_IDENTITY_CLIENT_SECRET_NAME,
                    "DIGITAL_IDENTITY_REDIRECT_URI",
                ),
                (LOCAL_STAFF_DIRECTORY_CLIENT_ID, d.STAFF_DIRECTORY_CLIENT_SECRET_NAME, "STAFF_DIRECTORY_REDIRECT_URI"),
            ):
                secret = json.loads(secrets.get_secret_value(SecretId=secret_name)["SecretString"])["client_secret"]
                provider.register_client(client_id, [values[redirect]], secret)
            os.environ["DIGITAL_IDENTITY_DISCOVERY_URL"] = provider.discovery_url
            os.environ["STAFF_DIRECTORY_DISCOVERY_URL"] = provider.discovery_url
            gateway = Gateway()  # the handlers read the provider's URL at import
            return _measure(gateway, provider, world)
        finally:
            provider.stop()


def _measure(gateway: Any, provider: Any, world: Any) -> list[tuple[str, int, int, str]]:
    recorder = Recorder(gateway)

    def callback(label: str, path: str, start: str, person: str, target: str) -> Any:
        started = json.loads(gateway.handle("POST", start, {}, None).body)
        location = provider.authorize_url_code(started["authorization_url"], person)
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        recorder.counts.clear()
        response = gateway.handle("GET", path, {}, None, query=query)
        if response.status != 200:
            raise SystemExit(f"{label}: {response.status} {response.body!r}")
        recorder.rows.append((label, recorder.counts["authorizer"], recorder.counts["handler"], target))
        return json.loads(response.body)

    customers, staff = "/auth/digital-identity/authorizations", "/staff/auth/directory/authorizations"
    recorder.call("POST /auth/digital-identity/authorizations", "POST", customers, None, 201, "1: state put", {})
    callback(
        "GET /auth/digital-identity/callback (linked)",
        "/auth/digital-identity/callback",
        customers,
        "MCID-7F3A9C21",
        "<= 3",
    )
    first = callback(
        "GET /auth/digital-identity/callback (first login)",
        "/auth/digital-identity/callback",
        customers,
        "MCID-2B5E8D47",
        "<= 3",
    )
    marco = world.customers[1]
    linked = recorder.call(
        "POST /auth/digital-identity/link",
        "POST",
        "/auth/digital-identity/link",
        {"link_ticket": first["link_ticket"], "identifier": marco.login_id, "password": marco.password},
        200,
        "change: one transaction",
        {},
    )
    auth = {"Authorization": f"Bearer {linked['access_token']}"}
    recorder.call("GET /account/digital-identity", "GET", "/account/digital-identity", None, 200, "2", auth)
    recorder.call("DELETE /account/digital-identity", "DELETE", "/account/digital-identity", None, 204, "2", auth)
    callback("GET /staff/auth/directory/callback", "/staff/auth/directory/callback", staff, "EMP-002", "<= 2")
    return recorder.rows
