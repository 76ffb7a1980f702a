"""Demo details of the demo lines (infra/local/seed.py LINES): offers, options, dates, SIMs, usage,
out-of-bundle charges, boxes, mailboxes, VoIP settings, TV packs, VOD views, other services.

As the operator's product inventory sends them: inventory events (selfcare.projection.inventory_events),
put on the inbound bus by infra/local/seed.py and written by the projection like production's, so the
local stack and the integration world get their lines through the same validation, versions and hashing
(the VOD views' raw title references below never reach the table). Dates are relative to now, so that
"the current month" always has usage.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from selfcare.account.models import Line
from selfcare.projection import inventory_events as ev

# One SIM per line: these ICCIDs are claimed by their lines (ICCID#<iccid> items).
SIMS = {
    ("C0001", "M-377612345678"): ("8937710310000000017", "41937205"),
    ("C0002", "M-377623456780"): ("8937710310000000025", "77310482"),
    ("C0002", "M-377623456781"): ("8937710310000000033", "20583917"),
    ("C0002", "M-377623456782"): ("8937710310000000041", "63018274"),
}
# A new SIM card for the demo of SIM activation on Lou's line (which has none yet).
SPARE_ICCID = "8937710310000000058"

ROAMING = [
    {"zone": "EU", "included": True, "data_enabled": True, "allowance_mb": 35000, "used_mb": 1250},
    {"zone": "Switzerland and UK", "included": True, "data_enabled": False, "allowance_mb": 5000, "used_mb": 0},
    {"zone": "North America", "included": True, "data_enabled": True, "allowance_mb": 2000, "used_mb": 2000},
    {"zone": "Rest of the world", "included": False, "data_enabled": False, "allowance_mb": 0, "used_mb": 0},
]


def _event_id() -> str:
    return f"demo-{uuid.uuid4()}"


def _usage(number: str | None, month_start: datetime, kind: str, n: int, **fields: Any) -> ev.LineUsage:
    started = month_start + timedelta(hours=9 + 5 * n, minutes=7 * n)
    volume_kb = fields.pop("volume_kb", None)
    return ev.LineUsage(
        record_id=str(n),
        line_number=number,
        started_at=started,
        type=ev.UsageType(kind.upper()),
        origin_country="MC",
        destination_country=fields.pop("destination_country", "MC"),
        volume_bytes=volume_kb * 1024 if volume_kb is not None else None,
        **fields,
    )


def _mobile_usage(number: str, month_start: datetime) -> list[ev.LineUsage]:
    last_month = (month_start - timedelta(days=1)).replace(day=3)
    return [
        _usage(number, month_start, "call", 1, called_number="+33612345678", destination_country="FR",
               duration_seconds=312, amount_excl_tax_cents=0),
        _usage(number, month_start, "sms", 2, called_number="+37761234500", quantity=1, amount_excl_tax_cents=0),
        _usage(number, month_start, "data", 3, volume_kb=524288, amount_excl_tax_cents=0),
        _usage(number, month_start, "mms", 4, called_number="+37761234500", quantity=1, amount_excl_tax_cents=35),
        _usage(number, month_start, "call", 5, called_number="+12025550143", destination_country="US",
               duration_seconds=95, amount_excl_tax_cents=240),
        # Last month's: not in "the current month's usage".
        _usage(number, last_month, "call", 6, called_number="+33612345678", destination_country="FR",
               duration_seconds=60, amount_excl_tax_cents=0),
    ]  # fmt: skip


def _charges(month_start: datetime) -> list[ev.OutOfBundleCharge]:
    return [
        ev.OutOfBundleCharge(charge_id="oob1", at=month_start + timedelta(days=1), label="MMS",
                             amount_excl_tax_cents=35),
        ev.OutOfBundleCharge(charge_id="oob2", at=month_start + timedelta(days=2), label="Call to United States",
                             amount_excl_tax_cents=240),
    ]  # fmt: skip


MOBILE: dict[str, dict[str, Any]] = {
    "M-377612345678": {
        "options": [
            {"code": "eu-calls", "label": "Unlimited calls to the EU", "monthly_price_cents": 500},
            {"code": "data-boost-10", "label": "Data boost 10 GB", "monthly_price_cents": 300},
        ],
        "renewal_eligible_on": "2027-02-15",
        "commitment_ends_on": "2027-08-31",
    },
    "M-377612345679": {"options": [], "renewal_eligible_on": "2028-01-10", "commitment_ends_on": None},
    "M-377623456780": {
        "options": [{"code": "world-pass", "label": "World pass", "monthly_price_cents": 1500}],
        "renewal_eligible_on": "2026-12-01",
        "commitment_ends_on": "2027-06-30",
    },
    "M-377623456781": {"options": [], "renewal_eligible_on": "2027-05-01", "commitment_ends_on": "2027-06-30"},
    "M-377623456782": {"options": [], "renewal_eligible_on": "2027-05-01", "commitment_ends_on": None},
}


def line_record(line: Line) -> ev.LineRecord:
    """The inventory's record of a demo line."""
    customer, line_id = line.customer_id, line.line_id
    fields: dict[str, Any] = {
        "line_id": line_id,
        "line_type": ev.LineKind(line.line_type.value),
        "offer": line.offer,
        "number": line.number,
        "user": line.details.get("user"),
        "voip_number": line.details.get("voip_number"),
    }
    if line_id in MOBILE:
        fields |= {**MOBILE[line_id], "roaming": ROAMING, "billing_day": 5}
    elif line.line_type.value == "internet":
        fields |= {
            "nomadic": {"active": False, "login": f"nomad-{customer.lower()}"},
            "drive": {"active": False, "quota_mb": 102400, "used_mb": 0},
            "mail_domain": "mail.selfcare.example",
            "billing_day": 5,
            "access_settings": {
                "technology": "FTTH",
                "max_down_mbps": 2000 if customer == "C0002" else 1000,
                "max_up_mbps": 1000 if customer == "C0002" else 700,
                "ipv4_mode": "dynamic",
                "ipv6_enabled": True,
                "dns_servers": ["192.0.2.53", "2001:db8::53"],
                "pppoe_login": None,
            },
        }
    elif line.line_type.value == "tv":
        fields |= {"tv_login": f"tv-{customer.lower()}", "billing_day": 5}
    elif line.line_type.value == "other":
        fields["service"] = {"kind": "password_manager", "monthly_price_cents": 299, "subscribed_on": "2025-01-15"}
    return ev.LineRecord.model_validate(fields)


def line_created(line: Line, now: datetime) -> ev.LineCreated:
    return ev.LineCreated(
        event_id=_event_id(), entity_version=1, occurred_at=now, customer_id=line.customer_id, line=line_record(line)
    )


def service_events(line: Line, now: datetime) -> list[ev.LineEvent]:
    """Everything under a created demo line: its SIM, VoIP settings, boxes, mailboxes, packs, VOD views, usage."""
    customer, line_id = line.customer_id, line.line_id
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    common: dict[str, Any] = {"occurred_at": now, "customer_id": customer, "line_id": line_id}
    found: list[ev.LineEvent] = []

    def versioned(model: type[ev.LineEvent], version: int = 1, **fields: Any) -> None:
        found.append(model.model_validate({"event_id": _event_id(), "entity_version": version, **common, **fields}))

    def usage(records: list[ev.LineUsage], charges: list[ev.OutOfBundleCharge] | None = None) -> None:
        versioned(ev.LineUsageRecorded, batch_id=f"USE-{line_id}", records=records, charges=charges or [])

    def box(box_id: str, model: str, name: str) -> None:
        versioned(ev.BoxChanged, box={"box_id": box_id, "model": model, "name": name})

    if line_id in MOBILE:
        if (customer, line_id) in SIMS:
            iccid, puk = SIMS[(customer, line_id)]
            versioned(ev.LineSimChanged, version=2, sim={"iccid": iccid, "puk": puk})
        usage(_mobile_usage(line.number or "", month_start), _charges(month_start))
    elif line.line_type.value == "fixed":
        usage(
            [
                _usage(line.number, month_start, "call", 1, called_number="+37793150000", duration_seconds=640,
                       amount_excl_tax_cents=0),
                _usage(line.number, month_start, "call", 2, called_number="+33493000000", destination_country="FR",
                       duration_seconds=180, amount_excl_tax_cents=12),
            ]
        )  # fmt: skip
    elif line.line_type.value == "internet":
        if customer == "C0001":
            voip = {
                "number": "+37797970000",
                "call_waiting": True,
                "hide_caller_id": False,
                "forwarding": None,
                "restrictions": {"international": False, "premium_rate": True, "mobile": False},
                "pin": "4721",
            }
            versioned(ev.VoipSettingsChanged, voip=voip)
        box("box1", "Fibre Box 7", "Living room")
        usage([_usage(None, month_start, "data", 1, volume_kb=73400320, amount_excl_tax_cents=0)])
        if customer == "C0001":
            box("rep1", "Wi-Fi repeater", "Upstairs")
            mailbox = {"mailbox_id": "mbjeanne", "address": "jeanne.dupont@mail.selfcare.example",
                       "created_at": "2024-03-02T10:00:00.000Z"}  # fmt: skip
            versioned(ev.MailboxChanged, mailbox=mailbox)
    elif line.line_type.value == "tv":
        box("tvbox1", "TV Box 4K", "Living room")
        pack = {"pack_id": "kids", "name": "Kids", "monthly_price_cents": 499,
                "subscribed_at": "2025-09-01T08:00:00.000Z", "effective_from": "2025-09-01T08:00:00.000Z"}  # fmt: skip
        versioned(ev.TvPackChanged, pack=pack)
        views = [
            ("v001", month_start + timedelta(days=1, hours=20), "CAT-FR-2024-000731", "Film", 499),
            ("v002", month_start + timedelta(days=3, hours=21), "CAT-US-2023-118204", "Film", 399),
            ("v003", month_start + timedelta(days=4, hours=18), "CAT-JP-2025-004417", "Series", 299),
        ]
        versioned(
            ev.VodViewsRecorded,
            batch_id=f"VOD-{line_id}-{month_start:%Y%m}",
            views=[
                {"view_id": v, "watched_at": at, "title_ref": ref, "category": category, "price_cents": price}
                for v, at, ref, category, price in views
            ],
        )
    return found


def demo_inventory_events(
    lines: tuple[Line, ...], now: datetime | None = None
) -> tuple[list[ev.LineEvent], list[ev.LineEvent]]:
    """(the lines' creations, what is under them): published and delivered in that order."""
    now = now or datetime.now(UTC)
    return [line_created(line, now) for line in lines], [e for line in lines for e in service_events(line, now)]
