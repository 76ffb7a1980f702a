"""Unit: the OpenID Connect adapter's ID-token verification (joserfc), the staff role mapping, the grant conditions.

No socket: the adapter's HTTP is replaced by an in-memory provider (`FakeTransport`) serving discovery and JWKS."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from selfcare.account.models import Ticket, TicketCategory, TicketChannel, TicketStatus
from selfcare.auth.grant_conditions import AssistedAccessConditions
from selfcare.auth.incidents import OpenIncidents
from selfcare.auth.policy import StaffRole
from selfcare.auth.staff_directory import DEFAULT_GROUP_ROLES, role_of, staff_id_of
from selfcare.errors import InvalidInput
from selfcare.ports.incident_tracker import IncidentState
from selfcare.ports.oidc import OidcRefusal
from selfcare.ports.oidc_https import HttpsOidcProvider, OidcClientConfig

ISSUER = "https://idp.example"
CLIENT = "selfcare"
NONCE = "n-0123456789"


def _key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": f"k{time.monotonic_ns()}"})


class FakeProvider(HttpsOidcProvider):
    """The adapter with its HTTP answered from memory: discovery and the JWKS (counted)."""

    def __init__(self, keys: list[RSAKey], **config: Any) -> None:
        super().__init__(
            OidcClientConfig(
                discovery_url=f"{ISSUER}/.well-known/openid-configuration",
                client_id=CLIENT,
                client_secret_id="unused",
                redirect_uri="https://api.example/cb",
                acr_levels=("eidas1", "eidas2", "eidas3"),
                minimum_acr="eidas2",
                **config,
            ),
            client_secret=lambda _: "secret",
        )
        self.keys = keys
        self.jwks_fetches = 0

    def _http(self, method: str, url: str, body: bytes | None = None, headers: Any = None) -> tuple[int, Any]:
        if url.endswith("/.well-known/openid-configuration"):
            endpoints = {"authorization_endpoint": "/authorize", "token_endpoint": "/token", "jwks_uri": "/jwks"}
            return 200, {"issuer": ISSUER} | {name: ISSUER + path for name, path in endpoints.items()}
        if url.endswith("/jwks"):
            self.jwks_fetches += 1
            return 200, {"keys": [k.as_dict(private=False) for k in self.keys]}
        return 404, None


def _token(key: RSAKey, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "MCID-1",
        "iat": now,
        "exp": now + 300,
        "nonce": NONCE,
        "acr": "eidas2",
        "given_name": "Jeanne",
        "family_name": "Dupont",
        "birthdate": "1984-03-12",
    } | changes
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": str(key.kid)}, claims, key)


def test_a_valid_token_yields_the_claims() -> None:
    key = _key()
    identity = FakeProvider([key]).verify_id_token(_token(key), NONCE)
    assert (identity.subject, identity.acr, identity.given_name, identity.family_name, identity.birth_date) == (
        "MCID-1",
        "eidas2",
        "Jeanne",
        "Dupont",
        "1984-03-12",
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://evil.example"}, "issuer_invalid"),
        ({"aud": "someone-else"}, "audience_invalid"),
        ({"nonce": "other"}, "nonce_mismatch"),
        ({"nonce": None}, "nonce_mismatch"),
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200}, "issued_in_future"),
        ({"acr": "eidas1"}, "acr_too_low"),
        ({"acr": None}, "acr_too_low"),
        ({"sub": None}, "subject_missing"),
    ],
)
def test_a_token_failing_a_check_is_refused_with_its_reason(changes: dict[str, Any], reason: str) -> None:
    key = _key()
    with pytest.raises(OidcRefusal) as refused:
        FakeProvider([key]).verify_id_token(_token(key, **changes), NONCE)
    assert refused.value.reason == reason


def test_a_token_signed_by_another_key_with_a_known_kid_is_refused() -> None:
    published, forger = _key(), _key()
    forged = jwt.encode({"alg": "RS256", "kid": str(published.kid)}, {"sub": "x"}, forger)
    with pytest.raises(OidcRefusal) as refused:
        FakeProvider([published]).verify_id_token(forged, NONCE)
    assert refused.value.reason == "signature_invalid"


def test_an_unknown_kid_refetches_the_jwks_once_then_is_refused() -> None:
    key, stranger = _key(), _key()
    provider = FakeProvider([key], jwks_refetch_seconds=60)
    provider.verify_id_token(_token(key), NONCE)
    assert provider.jwks_fetches == 1
    for _ in range(3):  # a forged kid cannot make the adapter fetch again within the period
        with pytest.raises(OidcRefusal) as refused:
            provider.verify_id_token(_token(stranger), NONCE)
        assert refused.value.reason == "unknown_key"
    assert provider.jwks_fetches == 1


def test_a_rotation_is_followed() -> None:
    old, new = _key(), _key()
    provider = FakeProvider([old], jwks_refetch_seconds=0)
    provider.verify_id_token(_token(old), NONCE)
    provider.keys = [new]  # the provider rotated
    assert provider.verify_id_token(_token(new), NONCE).subject == "MCID-1"
    assert provider.jwks_fetches == 2


def test_an_unsigned_token_is_refused() -> None:
    header = jwt.encode({"alg": "RS256", "kid": "k"}, {"sub": "x"}, _key()).split(".")[0]
    with pytest.raises(OidcRefusal):
        FakeProvider([_key()]).verify_id_token(header + ".eyJzdWIiOiJ4In0.", NONCE)


# Staff: groups -> role ---------------------------------------------------------------------------------------------
def test_a_role_comes_from_exactly_one_mapped_role() -> None:
    assert role_of(("selfcare-production", "everyone"), DEFAULT_GROUP_ROLES) is StaffRole.PRODUCTION
    assert role_of(("everyone",), DEFAULT_GROUP_ROLES) is None
    assert role_of(("selfcare-sales", "selfcare-production"), DEFAULT_GROUP_ROLES) is None  # ambiguous: refused
    assert staff_id_of("EMP-002") == "dir-EMP-002"
    assert staff_id_of("weird subject/with spaces").startswith("dir-") and " " not in staff_id_of("a b")


# Grant conditions -------------------------------------------------------------------------------------------------
def _ticket(status: TicketStatus) -> Ticket:
    return Ticket("C1", "req-00000001", TicketCategory.ACCOUNT, "s", "d", TicketChannel.ASSISTED, status, "t", "x")


class _Incidents:
    def __init__(self, states: dict[str, IncidentState]) -> None:
        self.states = states

    def state(self, reference: str) -> IncidentState:
        return self.states.get(reference, IncidentState.UNKNOWN)


def test_grant_conditions_per_role() -> None:
    tickets = {("C1", "req-00000001"): _ticket(TicketStatus.OPEN), ("C1", "req-closed-1"): _ticket(TicketStatus.CLOSED)}
    incidents = OpenIncidents(_Incidents({"INC-1234": IncidentState.OPEN, "INC-9999": IncidentState.CLOSED}))
    conditions = AssistedAccessConditions(opener=None, tickets=lambda c, t: tickets.get((c, t)), incidents=incidents)  # type: ignore[arg-type]
    assert conditions.reference_for(StaffRole.PRODUCTION, "C1", "INC-1234", None) == "incident:INC-1234"
    assert (
        conditions.reference_for(StaffRole.CUSTOMER_SERVICE_STAFF, "C1", None, "req-00000001") == "ticket:req-00000001"
    )
    assert conditions.reference_for(StaffRole.SALES, "C1", None, None) is None
    for role, incident, ticket in (
        (StaffRole.PRODUCTION, None, None),
        (StaffRole.PRODUCTION, "1234", None),
        (StaffRole.PRODUCTION, "INC-9999", None),  # closed (issue 8)
        (StaffRole.PRODUCTION, "INC-4242", None),  # unknown to the tracker
        (StaffRole.INFRASTRUCTURE, "INC-9999", None),  # any role naming an incident
        (StaffRole.CUSTOMER_SERVICE_STAFF, None, None),
        (StaffRole.CUSTOMER_SERVICE_STAFF, None, "req-closed-1"),
        (StaffRole.CUSTOMER_SERVICE_STAFF, None, "req-of-another"),
    ):
        with pytest.raises(InvalidInput):
            conditions.reference_for(role, "C1", incident, ticket)
