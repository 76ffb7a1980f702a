"""Demo details of the demo lines (infra/local/seed.py LINES): offers, options, dates, SIMs, usage,
out-of-bundle charges, boxes, mailboxes, VoIP settings, TV packs, VOD views, other services.

Written through the read model's repository, as the CRM projection will write them; VOD views go
through `VodRecorder`, which anonymises the titles' references with the HMAC key of Secrets Manager
(the raw references below never reach the table). Dates are relative to now, so that "the current
month" always has usage.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from selfcare.clock import iso
from selfcare.dal.line_items import LineItemsRepository, child_sk, iccid_key
from selfcare.lines.models import ChildKind
from selfcare.ports.hash_key import SecretsManagerHashKey
from selfcare.tv.logic import VodRecorder, WatchedTitle

from infra import definitions as d

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


def _usage(line_id: str, number: str | None, month_start: datetime, kind: str, n: int, **fields: Any) -> dict[str, Any]:
    started = month_start + timedelta(hours=9 + 5 * n, minutes=7 * n)
    return {
        "sk": child_sk(line_id, ChildKind.USAGE, f"{iso(started)}#{n}"),
        "id": f"{iso(started)}#{n}",
        "line_number": number,
        "started_at": iso(started),
        "kind": kind,
        "origin_country": "MC",
        "destination_country": fields.pop("destination_country", "MC"),
        **fields,
    }


def _mobile_usage(line_id: str, number: str, month_start: datetime) -> list[dict[str, Any]]:
    last_month = (month_start - timedelta(days=1)).replace(day=3)
    return [
        _usage(line_id, number, month_start, "call", 1, called_number="+33612345678", destination_country="FR",
               duration_seconds=312, amount_excl_tax_cents=0),
        _usage(line_id, number, month_start, "sms", 2, called_number="+37761234500", quantity=1,
               amount_excl_tax_cents=0),
        _usage(line_id, number, month_start, "data", 3, volume_kb=524288, amount_excl_tax_cents=0),
        _usage(line_id, number, month_start, "mms", 4, called_number="+37761234500", quantity=1,
               amount_excl_tax_cents=35),
        _usage(line_id, number, month_start, "call", 5, called_number="+12025550143", destination_country="US",
               duration_seconds=95, amount_excl_tax_cents=240),
        # Last month's: not in "the current month's usage".
        _usage(line_id, number, last_month, "call", 6, called_number="+33612345678", destination_country="FR",
               duration_seconds=60, amount_excl_tax_cents=0),
    ]  # fmt: skip


def _charges(line_id: str, month_start: datetime) -> list[dict[str, Any]]:
    return [
        {"sk": child_sk(line_id, ChildKind.CHARGE, "oob1"), "id": "oob1", "at": iso(month_start + timedelta(days=1)),
         "label": "MMS", "amount_excl_tax_cents": 35},
        {"sk": child_sk(line_id, ChildKind.CHARGE, "oob2"), "id": "oob2", "at": iso(month_start + timedelta(days=2)),
         "label": "Call to United States", "amount_excl_tax_cents": 240},
    ]  # fmt: skip


def _box(line_id: str, box_id: str, model: str, name: str) -> dict[str, Any]:
    return {"sk": child_sk(line_id, ChildKind.BOX, box_id), "id": box_id, "model": model, "name": name}


MOBILE = {
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


def seed_line_details(customers_table: str, now: datetime | None = None) -> None:
    """Add the details of the demo lines (they exist already: infra/local/seed.py LINES)."""
    from infra.local.seed import LINES

    now = now or datetime.now(UTC)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    repo = LineItemsRepository(customers_table)
    for line in LINES:
        customer, line_id = line.customer_id, line.line_id
        items: list[dict[str, Any]] = []
        if line_id in MOBILE:
            changes: dict[str, Any] = {**MOBILE[line_id], "roaming": ROAMING, "billing_day": 5}
            if (customer, line_id) in SIMS:
                iccid, puk = SIMS[(customer, line_id)]
                changes |= {"iccid": iccid, "puk": puk}
                items.append(
                    {"pk": iccid_key(iccid), "sk": iccid_key(iccid), "customer_id": customer, "line_id": line_id}
                )
            repo.set_line(customer, line_id, changes)
            items += _mobile_usage(line_id, line.number or "", month_start) + _charges(line_id, month_start)
        elif line.line_type.value == "fixed":
            items += [
                _usage(line_id, line.number, month_start, "call", 1, called_number="+37793150000",
                       duration_seconds=640, amount_excl_tax_cents=0),
                _usage(line_id, line.number, month_start, "call", 2, called_number="+33493000000",
                       destination_country="FR", duration_seconds=180, amount_excl_tax_cents=12),
            ]  # fmt: skip
        elif line.line_type.value == "internet":
            changes = {
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
            if customer == "C0001":
                changes["voip"] = {
                    "number": "+37797970000",
                    "call_waiting": True,
                    "hide_caller_id": False,
                    "forwarding": None,
                    "restrictions": {"international": False, "premium_rate": True, "mobile": False},
                    "pin": "4721",
                }
            repo.set_line(customer, line_id, changes)
            items += [_box(line_id, "box1", "Fibre Box 7", "Living room")]
            items += [
                _usage(line_id, None, month_start, "data", 1, volume_kb=73400320, amount_excl_tax_cents=0),
            ]
            if customer == "C0001":
                items += [_box(line_id, "rep1", "Wi-Fi repeater", "Upstairs")]
                items.append(
                    {"sk": child_sk(line_id, ChildKind.MAILBOX, "mbjeanne"), "id": "mbjeanne",
                     "address": "jeanne.dupont@mail.selfcare.example", "created_at": "2024-03-02T10:00:00.000Z"}
                )  # fmt: skip
        elif line.line_type.value == "tv":
            repo.set_line(customer, line_id, {"tv_login": f"tv-{customer.lower()}", "billing_day": 5})
            items += [_box(line_id, "tvbox1", "TV Box 4K", "Living room")]
            items.append(
                {"sk": child_sk(line_id, ChildKind.PACK, "kids"), "id": "kids", "name": "Kids",
                 "monthly_price_cents": 499, "subscribed_at": "2025-09-01T08:00:00.000Z",
                 "effective_from": "2025-09-01T08:00:00.000Z"}
            )  # fmt: skip
        elif line.line_type.value == "other":
            repo.set_line(
                customer,
                line_id,
                {"service_kind": "password_manager", "monthly_price_cents": 299, "subscribed_on": "2025-01-15"},
            )
        repo.put_items(customer, [i for i in items if not i["sk"].startswith("ICCID#")])
        for claim in (i for i in items if i["sk"].startswith("ICCID#")):
            repo.put_raw(claim)
        if line.line_type.value == "tv":
            _vod(repo, customer, line_id, month_start)


def _vod(repo: LineItemsRepository, customer: str, line_id: str, month_start: datetime) -> None:
    recorder = VodRecorder(repo, SecretsManagerHashKey(d.VOD_HASH_KEY_SECRET_NAME))
    recorder.record_vod_views(
        customer,
        line_id,
        [
            WatchedTitle("v001", iso(month_start + timedelta(days=1, hours=20)), "CAT-FR-2024-000731", "Film", 499),
            WatchedTitle("v002", iso(month_start + timedelta(days=3, hours=21)), "CAT-US-2023-118204", "Film", 399),
            WatchedTitle("v003", iso(month_start + timedelta(days=4, hours=18)), "CAT-JP-2025-004417", "Series", 299),
        ],
    )
