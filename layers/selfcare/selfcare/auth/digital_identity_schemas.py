"""Request and response models of the digital-identity and staff-directory routes (the HTTP boundary).

Component names carry the capability (DigitalIdentity..., StaffDirectory...): they are unique across functions.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from selfcare.api.schema import Schema
from selfcare.auth.schemas import LoginCaptcha
from selfcare.types import Password


class DigitalIdentityAuthorizationView(Schema):
    authorization_url: str = Field(description="Open it in the browser: the identity provider's sign-in page")
    state: str = Field(description="This attempt's state (the provider sends it back to the callback)")
    expires_in: int = Field(description="Seconds during which the attempt can be completed")


class DigitalIdentityCallbackView(Schema):
    outcome: Literal["logged_in", "link_required"] = Field(
        description="logged_in: the tokens are here; link_required: first digital-identity login of this person, "
        "prove control of your account with POST /auth/digital-identity/link and the link_ticket"
    )
    access_token: str | None = None
    token_type: str | None = None
    expires_in: int | None = Field(None, description="Seconds until the access token expires")
    refresh_token: str | None = None
    session_id: str | None = None
    link_ticket: str | None = Field(None, description="Single use, with your identifier and password")
    link_expires_in: int | None = Field(None, description="Seconds during which the link ticket works")


class DigitalIdentityLinkRequest(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    link_ticket: str = Field(min_length=20, max_length=200, description="From the callback's link_required answer")
    identifier: str = Field(
        min_length=1,
        max_length=254,
        description="Contact email, login id, phone number or customer account number of the account to link",
    )
    password: Password
    # Identity (issue 8): the login's CAPTCHA after repeated failures (400 captcha_required).
    captcha: LoginCaptcha = None


class DigitalIdentityLinkView(Schema):
    linked: bool
    digital_identity_id: str | None = Field(None, description="The provider's stable subject")
    given_name: str | None = None
    family_name: str | None = None
    birth_date: str | None = None
    linked_at: str | None = None
