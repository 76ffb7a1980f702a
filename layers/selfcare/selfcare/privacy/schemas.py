"""Response models of the `privacy` function: the notice, the categories held, the usage statistics (component
names prefixed `Privacy` / `UsageStatistics`: unique across the functions)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from selfcare.api.schema import Schema


class PrivacyController(Schema):
    name: str
    address: str
    privacy_email: str = Field(description="Where to write about personal data and to exercise one's rights")
    postal_contact: str


class PrivacyPurpose(Schema):
    purpose: str
    legal_basis: str
    categories: list[str] = Field(description="Category codes (see `categories`)")


class PrivacyCategory(Schema):
    code: str = Field(description="Stable code of the category (selfcare.privacy.registry.Category)")
    label: str
    description: str


class PrivacyRecipient(Schema):
    recipient: str
    what: str


class PrivacyRetentionPeriod(Schema):
    data: str
    period: str


class PrivacyStoreRetention(Schema):
    store: str = Field(description="The store's name in the personal-data registry")
    category: str = Field(description="Category code")
    purpose: str
    retention: str = Field(description="The registry's retention, from the constants the code enforces")


class PrivacyRight(Schema):
    right: str
    how: str


class PrivacyAuthority(Schema):
    name: str
    address: str
    website: str


class PrivacyNotice(Schema):
    """The data-protection notice (customers or staff), versioned."""

    audience: Literal["customers", "staff"]
    version: str
    effective_date: str = Field(description="Date from which this version applies (ISO 8601)")
    language: Literal["fr", "en"]
    title: str
    controller: PrivacyController
    purposes: list[PrivacyPurpose]
    categories: list[PrivacyCategory]
    recipients: list[PrivacyRecipient]
    retention_periods: list[PrivacyRetentionPeriod] = Field(description="The main periods, from the code's constants")
    stores: list[PrivacyStoreRetention] = Field(
        description="Every store of the registry that concerns this audience, with its retention (registry's words)"
    )
    rights: list[PrivacyRight]
    authority: PrivacyAuthority
    usage_statistics: str = Field(description="What the space counts of its use, without personal data")


class PrivacyHeldStore(Schema):
    store: str
    purpose: str
    retention: str


class PrivacyHeldCategory(Schema):
    code: str
    label: str
    description: str
    stores: list[PrivacyHeldStore]


class PrivacyHeldCategories(Schema):
    """The categories of data Selfcare holds for the calling customer, with their retention."""

    notice_version: str
    language: Literal["fr", "en"]
    categories: list[PrivacyHeldCategory]


class UsageStatisticsRow(Schema):
    day: str = Field(description="YYYY-MM-DD (UTC)")
    capability: str = Field(description="The route's first segment")
    method: str
    route: str = Field(description="The route template (never a concrete path)")
    platform: Literal["web", "mobile", "other"]
    outcome: Literal["1xx", "2xx", "3xx", "4xx", "5xx"]
    count: int = Field(description="Requests answered; counts below the threshold are never shown")


class UsageStatisticsView(Schema):
    from_day: str = Field(description="First day covered (YYYY-MM-DD)")
    to_day: str = Field(description="Last day covered (YYYY-MM-DD)")
    threshold: int = Field(description="Counters below this are left out (no total is given)")
    rows: list[UsageStatisticsRow]
