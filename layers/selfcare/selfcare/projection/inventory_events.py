"""Schemas of the events the operator's product inventory sends (EventBridge, source "operator.inventory").

The inventory (TM Forum TMF637 Product Inventory) owns the lines and the services under them; the network
reports through it what it did to a line (a SIM swapped, a line barred). Names follow TMF637's four event
kinds, in the past tense of our CRM events (docs/decisions.md, 2026-11-25):
- ProductCreateEvent -> `LineCreated` (the whole line record);
- ProductAttributeValueChangeEvent -> `LineChanged` (offer, options, user, renewal and commitment dates),
  `LineSimChanged` (the SIM: ICCID and PUK), and the whole state of one service of a line: `BoxChanged`,
  `MailboxChanged`, `VoipSettingsChanged`, `TvPackChanged` (created when absent);
- ProductStateChangeEvent -> `LineStatusChanged` (suspended or reactivated by the network);
- ProductDeleteEvent -> `LineEnded`;
- usage and consumption (immutable records, TMF635-like batches) -> `LineUsageRecorded`, `VodViewsRecorded`.

As for the CRM's events, the detail holds `event_id` (the idempotency key), `entity_version` (the
product's version: the line's for the line events, the service's for boxes, mailboxes, VoIP settings and
packs; ignored for the immutable batches), `occurred_at` and the typed record; unknown fields are refused.
VOD views carry the catalogue's title reference in clear: the projection replaces it with its keyed hash
before anything is stored (selfcare.tv.vod).

Sample events, one per type: events/inventory/*.json (tests/unit/test_inventory_events.py validates them).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from selfcare.projection.events import Country, EntityId, EventDetail, ShortText
from selfcare.types import E164, CustomerId, Iccid, ItemId, LineId

INVENTORY_SOURCE = "operator.inventory"

Puk = Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")]
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{4,8}$")]
Login = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._@-]{1,128}$")]
MailAddress = Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,}$", max_length=254)]
Price = Annotated[int, Field(ge=0, le=10_000_000)]
Amount = Annotated[int, Field(ge=-10_000_000, le=10_000_000)]
Count = Annotated[int, Field(ge=0, le=10_000_000_000_000)]
# A catalogue's title reference (VOD): hashed at ingestion, never stored.
TitleRef = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:/-]{1,128}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class LineKind(StrEnum):
    MOBILE = "mobile"
    FIXED = "fixed"
    INTERNET = "internet"
    TV = "tv"
    OTHER = "other"


class LineState(StrEnum):
    """TMF637's ProductStatusType, as far as the network changes it."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


class LineOption(_Model):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,64}$")]
    label: ShortText
    monthly_price_cents: Price


class RoamingZone(_Model):
    zone: ShortText
    included: bool
    data_enabled: bool
    allowance_mb: Count
    used_mb: Count


class AccessSettings(_Model):
    technology: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+ -]{1,32}$")]
    max_down_mbps: Count
    max_up_mbps: Count
    ipv4_mode: Literal["dynamic", "static"] = "dynamic"
    ipv6_enabled: bool = False
    dns_servers: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^[0-9A-Fa-f:.]{2,45}$")]], Field(max_length=4)
    ] = []
    pppoe_login: Login | None = None


class NomadicAccess(_Model):
    active: bool
    login: Login


class Drive(_Model):
    active: bool
    quota_mb: Count
    used_mb: Count


class OtherService(_Model):
    kind: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,64}$")]
    monthly_price_cents: Price
    subscribed_on: date


class LineRecord(_Model):
    """A line (or service) as the inventory holds it; the sections are those of its type."""

    line_id: LineId
    line_type: LineKind
    offer: ShortText
    number: E164 | None = None
    user: ShortText | None = None
    state: LineState = LineState.ACTIVE  # a new line's status (later changes: LineStatusChanged)
    options: Annotated[list[LineOption], Field(max_length=50)] = []
    renewal_eligible_on: date | None = None
    commitment_ends_on: date | None = None
    billing_day: Annotated[int, Field(ge=1, le=28)] | None = None
    # Mobile
    roaming: Annotated[list[RoamingZone], Field(max_length=20)] = []
    # Internet (the VoIP settings: VoipSettingsChanged)
    access_settings: AccessSettings | None = None
    nomadic: NomadicAccess | None = None
    drive: Drive | None = None
    mail_domain: Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]{3,190}$")] | None = None
    voip_number: E164 | None = None
    # TV
    tv_login: Login | None = None
    # Other services
    service: OtherService | None = None


class LineEvent(EventDetail):
    customer_id: CustomerId


class LineCreated(LineEvent):
    line: LineRecord

    @property
    def line_id(self) -> str:
        return self.line.line_id


class LineChanges(_Model):
    """What changed; a field sent as null is removed (a commitment that ended), a field left out is kept."""

    offer: ShortText | None = None
    options: Annotated[list[LineOption], Field(max_length=50)] | None = None
    user: ShortText | None = None
    renewal_eligible_on: date | None = None
    commitment_ends_on: date | None = None
    number: E164 | None = None  # a new number (portability, a number change); null: the line has none any more


class LineChanged(LineEvent):
    line_id: LineId
    changes: LineChanges


class Sim(_Model):
    iccid: Iccid
    puk: Puk


class LineSimChanged(LineEvent):
    """A SIM card activated or swapped on the line: its ICCID and its PUK."""

    line_id: LineId
    sim: Sim


class LineStatusChanged(LineEvent):
    """The network suspended or reactivated the line (TMF637 ProductStateChangeEvent)."""

    line_id: LineId
    state: LineState


class LineEnded(LineEvent):
    line_id: LineId
    ended_at: AwareDatetime


class Box(_Model):
    box_id: ItemId
    model: ShortText
    name: ShortText


class BoxChanged(LineEvent):
    line_id: LineId
    box: Box


class Mailbox(_Model):
    mailbox_id: ItemId
    address: MailAddress
    created_at: AwareDatetime


class MailboxChanged(LineEvent):
    line_id: LineId
    mailbox: Mailbox


class ForwardingMode(StrEnum):
    ALWAYS = "always"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    UNREACHABLE = "unreachable"


class Forwarding(_Model):
    mode: ForwardingMode
    destination: E164


class Restrictions(_Model):
    international: bool = False
    premium_rate: bool = True
    mobile: bool = False


class VoipSettings(_Model):
    number: E164
    call_waiting: bool = False
    hide_caller_id: bool = False
    forwarding: Forwarding | None = None
    restrictions: Restrictions = Restrictions()
    pin: Pin | None = None


class VoipSettingsChanged(LineEvent):
    line_id: LineId
    voip: VoipSettings


class TvPack(_Model):
    pack_id: ItemId
    name: ShortText
    monthly_price_cents: Price
    subscribed_at: AwareDatetime
    effective_from: AwareDatetime
    effective_until: AwareDatetime | None = None
    cancelled_at: AwareDatetime | None = None


class TvPackChanged(LineEvent):
    line_id: LineId
    pack: TvPack


class VodView(_Model):
    view_id: ItemId
    watched_at: AwareDatetime
    title_ref: TitleRef  # in clear from the VOD platform: hashed by the projection, never stored
    category: ShortText
    price_cents: Price


class VodViewsRecorded(LineEvent):
    line_id: LineId
    batch_id: EntityId
    views: Annotated[list[VodView], Field(min_length=1, max_length=500)]


class UsageType(StrEnum):
    CALL = "CALL"
    SMS = "SMS"
    MMS = "MMS"
    DATA = "DATA"


class LineUsage(_Model):
    record_id: ItemId
    line_number: E164 | None = None
    started_at: AwareDatetime
    type: UsageType
    origin_country: Country
    destination_country: Country | None = None
    called_number: Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{2,20}$")] | None = None
    duration_seconds: Count | None = None
    quantity: Count | None = None
    volume_bytes: Count | None = None
    amount_excl_tax_cents: Amount


class OutOfBundleCharge(_Model):
    charge_id: ItemId
    at: AwareDatetime
    label: ShortText
    amount_excl_tax_cents: Amount


class LineUsageRecorded(LineEvent):
    """Usage records and out-of-bundle charges of one line (immutable, keyed by their ids)."""

    line_id: LineId
    batch_id: EntityId
    records: Annotated[list[LineUsage], Field(max_length=500)] = Field(default_factory=list)
    charges: Annotated[list[OutOfBundleCharge], Field(max_length=500)] = Field(default_factory=list)


INVENTORY_DETAIL_MODELS: dict[str, type[LineEvent]] = {
    "LineCreated": LineCreated,
    "LineChanged": LineChanged,
    "LineSimChanged": LineSimChanged,
    "LineStatusChanged": LineStatusChanged,
    "LineEnded": LineEnded,
    "BoxChanged": BoxChanged,
    "MailboxChanged": MailboxChanged,
    "VoipSettingsChanged": VoipSettingsChanged,
    "TvPackChanged": TvPackChanged,
    "VodViewsRecorded": VodViewsRecorded,
    "LineUsageRecorded": LineUsageRecorded,
}
INVENTORY_EVENT_TYPES: tuple[str, ...] = tuple(INVENTORY_DETAIL_MODELS)


class InventoryEnvelope(BaseModel):
    """The EventBridge envelope of an inventory event (the detail is validated by its detail-type)."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True, defer_build=True)

    id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    source: Literal["operator.inventory"]
    detail_type: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(alias="detail-type")
    time: str | None = None
    detail: dict[str, Any]
