"""Pure logic of the line capabilities: ICCID, VOD anonymisation, pack dates, roaming, usage, phones, PDF."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError
from selfcare.account.models import LineType
from selfcare.dal.line_items import _END, child_sk, line_sk
from selfcare.errors import InvalidInput
from selfcare.lines.models import ChildKind, LineDetail
from selfcare.lines.phones import forwarding_destination
from selfcare.lines.usage import current_month
from selfcare.mobile.models import MobileInternet, roaming_zones
from selfcare.tv.export import vod_pdf
from selfcare.tv.models import PackStatus, TvPack, next_billing_day, start_of_next_month
from selfcare.tv.vod import anonymise
from selfcare.types import Iccid, luhn_valid

ICCID = TypeAdapter(Iccid)
KEY = b"k" * 48


@pytest.mark.parametrize("value", ["8937710310000000017", "89377 10310 00000 0017", "89330123456789012342"])
def test_valid_iccids(value: str) -> None:
    assert ICCID.validate_python(value) == value.replace(" ", "")


@pytest.mark.parametrize(
    "value", ["8937710310000000018", "1937710310000000017", "893771031000000001", "89377103100000000170x"]
)
def test_invalid_iccids(value: str) -> None:
    with pytest.raises(ValidationError):
        ICCID.validate_python(value)


def test_luhn() -> None:
    assert luhn_valid("79927398713") and not luhn_valid("79927398710") and not luhn_valid("7992739871a")


def test_vod_reference_is_keyed_per_customer_and_not_reversible() -> None:
    catalogue = [f"CAT-FR-2024-{n:06d}" for n in range(5000)]
    watched = catalogue[731]
    ref = anonymise(watched, "C0001", KEY)
    assert ref == anonymise(watched, "C0001", KEY)  # stable: repeated views of a title match
    assert ref != anonymise(watched, "C0001", b"x" * 48)  # another key, another reference
    assert ref != anonymise(watched, "C0002", KEY)  # no join across customers
    assert watched not in ref and ref.startswith("vod_") and len(ref) == 36
    # Whoever holds the catalogue but not the key cannot find the title: neither a plain hash
    # nor a guessed key maps any catalogue entry to the reference.
    digest = ref.removeprefix("vod_")
    for guess in catalogue:
        assert hashlib.sha256(guess.encode()).hexdigest()[:32] != digest
        assert hashlib.sha256(f"C0001\x1f{guess}".encode()).hexdigest()[:32] != digest
        assert hmac.new(b"", f"C0001\x1f{guess}".encode(), hashlib.sha256).hexdigest()[:32] != digest


def test_end_of_month_and_next_billing_day() -> None:
    assert start_of_next_month(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)
    assert start_of_next_month(datetime(2026, 2, 3, tzinfo=UTC)) == datetime(2026, 3, 1, tzinfo=UTC)
    assert next_billing_day(datetime(2026, 11, 23, tzinfo=UTC), 5) == datetime(2026, 12, 5, tzinfo=UTC)
    assert next_billing_day(datetime(2026, 11, 4, tzinfo=UTC), 5) == datetime(2026, 11, 5, tzinfo=UTC)
    assert next_billing_day(datetime(2026, 11, 5, 8, tzinfo=UTC), 5) == datetime(2026, 12, 5, tzinfo=UTC)
    assert next_billing_day(datetime(2027, 1, 31, tzinfo=UTC), 30) == datetime(2027, 2, 28, tzinfo=UTC)
    assert next_billing_day(datetime(2026, 12, 20, tzinfo=UTC), 5) == datetime(2027, 1, 5, tzinfo=UTC)


def test_pack_status_follows_its_dates() -> None:
    pack = TvPack("sport", "Sport", 1499, "2026-11-01T00:00:00.000Z", "2026-12-05T00:00:00.000Z", None, None, None)
    assert pack.status(datetime(2026, 11, 23, tzinfo=UTC)) is PackStatus.PENDING
    assert pack.status(datetime(2026, 12, 6, tzinfo=UTC)) is PackStatus.ACTIVE
    cancelled = TvPack("sport", "Sport", 1499, "x", "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z", "y", None)
    assert cancelled.status(datetime(2026, 11, 30, 23, 59, tzinfo=UTC)) is PackStatus.CANCELLING
    assert cancelled.status(datetime(2026, 12, 1, tzinfo=UTC)) is PackStatus.ENDED


def _line(**attributes: object) -> LineDetail:
    return LineDetail("C1", "M-1", LineType.MOBILE, "Offer", "+377600000000", "active", attributes)


def test_roaming_shows_the_zones_of_the_offer_with_their_status() -> None:
    line = _line(
        roaming=[
            {"zone": "EU", "included": True, "data_enabled": True, "allowance_mb": 100, "used_mb": 5},
            {"zone": "UK", "included": True, "data_enabled": False, "allowance_mb": 100, "used_mb": 0},
            {"zone": "US", "included": True, "data_enabled": True, "allowance_mb": 100, "used_mb": 100},
            {"zone": "World", "included": False, "data_enabled": True, "allowance_mb": 0, "used_mb": 0},
        ]
    )
    assert [(z.zone, z.mobile_internet) for z in roaming_zones(line)] == [
        ("EU", MobileInternet.ENABLED),
        ("UK", MobileInternet.DISABLED),
        ("US", MobileInternet.EXHAUSTED),
    ]


def test_current_month_usage_only() -> None:
    record = {"kind": "call", "origin_country": "MC", "duration_seconds": 60, "amount_excl_tax_cents": 0}
    line = LineDetail(
        "C1", "F-1", LineType.FIXED, "Offer", None, "active", {},
        {ChildKind.USAGE: ({**record, "started_at": "2026-11-02T10:00:00.000Z"},
                           {**record, "started_at": "2026-10-30T10:00:00.000Z"})},
    )  # fmt: skip
    usage = current_month(line, datetime(2026, 11, 23, tzinfo=UTC))
    assert usage.period == "2026-11" and [r.started_at[:10] for r in usage.records] == ["2026-11-02"]


REFUSED = [
    ("+33899123456", "premium_rate"),
    ("+19005550123", "premium_rate"),
    ("12", "invalid_phone_number"),
    ("+3361234", "invalid_phone_number"),
]


@pytest.mark.parametrize(("raw", "problem"), REFUSED)
def test_forwarding_destination_refuses_invalid_and_premium_numbers(raw: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        forwarding_destination(raw)
    assert [(p.loc, p.type) for p in refused.value.problems] == [(("body", "destination"), problem)]


def test_forwarding_destination_is_normalised() -> None:
    assert forwarding_destination("06 12 34 56 78") == "+377612345678"
    assert forwarding_destination("+33 6 12 34 56 78") == "+33612345678"


def test_one_query_range_holds_one_line_only() -> None:
    low, high = line_sk("M-1"), line_sk("M-1") + _END
    assert low <= child_sk("M-1", ChildKind.BOX, "b1") <= high
    for other in ("M-10", "M-1_2", "M-1-x", "M-2"):
        assert not low <= line_sk(other) <= high
        assert not low <= child_sk(other, ChildKind.BOX, "b1") <= high


def test_vod_pdf_is_a_pdf() -> None:
    from selfcare.tv.models import VodView

    document = vod_pdf("T-1", [VodView("v1", "2026-11-02T20:00:00.000Z", "vod_abc", "Film ✓", 499)], "2026-11-23")
    assert document.startswith(b"%PDF") and b"%%EOF" in document[-32:]
