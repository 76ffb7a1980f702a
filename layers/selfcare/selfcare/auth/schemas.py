"""Request and response models of the auth capability's routes (the HTTP boundary)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StrictInt

from selfcare.api.schema import Schema
from selfcare.auth.policy import StaffRole
from selfcare.types import CustomerId, LoginId, NewPassword, OpaqueId, Password


class Request(Schema):
    """Writes refuse unknown fields."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


LoginCaptcha = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=4096,
        description="Only after repeated failures (400 captcha_required): the solved CAPTCHA (GET /auth/captcha), "
        "base64 JSON {challenge, solution}",
    ),
]


class LoginRequest(Request):
    identifier: str = Field(
        min_length=1,
        max_length=254,
        description="Contact email, login id, phone number (any usual form) or customer account number",
        examples=["jdupont"],
    )
    password: Password
    captcha: LoginCaptcha = None


class StaffLoginRequest(Request):
    email: str = Field(min_length=3, max_length=254, description="Professional email")
    password: Password
    captcha: LoginCaptcha = None


class RefreshRequest(Request):
    refresh_token: str = Field(min_length=40, max_length=200)


class ForgotPasswordRequest(Request):
    identifier: str = Field(min_length=1, max_length=254)
    captcha: str = Field(
        min_length=1,
        max_length=4096,
        description="The solved CAPTCHA (GET /auth/captcha): base64 JSON {challenge, solution}",
    )


class ResetPasswordRequest(Request):
    token: str = Field(min_length=20, max_length=200, description="The code received by email")
    new_password: NewPassword


class ReauthenticateRequest(Request):
    password: Password


class ChangePasswordRequest(Request):
    current_password: Password
    new_password: NewPassword


class ChangeLoginIdRequest(Request):
    login_id: LoginId = Field(
        description="3 to 64 characters: lower-case letters, digits, '.', '_', '-'; at least one letter"
    )


# The form of an incident reference, checked by selfcare.auth.grant_conditions (its 422 `invalid_incident`) and
# declared in the document, so that a client knows it. ASCII digits only (a bare \d takes any Unicode digit).
INCIDENT_REFERENCE_PATTERN = r"^INC-[0-9]{4,12}$"


class GrantRequest(Request):
    customer_id: CustomerId
    reason: str = Field(min_length=10, max_length=500, description="Why the customer's space is accessed")
    duration_minutes: StrictInt = Field(60, ge=5, le=480)
    incident_reference: str | None = Field(
        None,
        max_length=20,
        description="The incident the access is for (INC-<digits>): required for the production / test team",
        json_schema_extra={"pattern": INCIDENT_REFERENCE_PATTERN},
    )
    ticket_id: OpaqueId | None = Field(
        None, description="The customer's open request (a ticket of theirs): required for customer-service staff"
    )


class TokenResponse(Schema):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str | None = Field(None, description="Rotated at every use; present it once only")
    session_id: str


class AcceptedResponse(Schema):
    message: str


class SessionView(Schema):
    session_id: str
    created_at: str
    last_used_at: str | None
    device: str | None
    current: bool


class SessionsResponse(Schema):
    sessions: list[SessionView]


class LoginIdResponse(Schema):
    login_id: str


class GrantView(Schema):
    grant_id: OpaqueId
    customer_id: str
    role: StaffRole
    reason: str
    created_at: str
    expires_at: datetime
    reference: str | None = Field(None, description="incident:<reference> or ticket:<id>, as the role requires")


class GrantsResponse(Schema):
    grants: list[GrantView]


# Identity (issue 8): CAPTCHA and activation ---------------------------------------------------------------


class CaptchaChallengeView(Schema):
    """An ALTCHA v2 challenge (the widget's `challengeurl` answer): solve it, then send the base64 payload."""

    parameters: dict[str, object] = Field(
        description="algorithm, cost, keyLength, keyPrefix, nonce, salt, expiresAt (epoch seconds)"
    )
    signature: str = Field(description="HMAC of the parameters: the server recognises its own challenges")


class ActivationRequest(Request):
    identifier: str = Field(
        min_length=1,
        max_length=32,
        description="Customer account number, or one of the customer's line numbers (any usual form)",
        examples=["100200300"],
    )
    captcha: str = Field(
        min_length=1,
        max_length=4096,
        description="The solved CAPTCHA: base64 JSON {challenge, solution} (the ALTCHA widget's payload)",
    )


class ActivationConfirmRequest(Request):
    identifier: str = Field(min_length=1, max_length=32, description="The identifier given in step 1")
    code: str = Field(pattern=r"^[0-9]{8}$", description="The 8-digit code sent to the contact of the record")
    password: Password
