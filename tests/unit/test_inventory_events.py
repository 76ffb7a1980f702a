"""The product inventory's event schemas, their samples (events/inventory/), the mapping to the lines' read
model, and the projector's decisions on an in-memory store (the DynamoDB conditions themselves:
tests/integration/test_inventory_projection.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from selfcare.dal.inventory_projection import LineSnapshot
from selfcare.lines.models import ChildKind
from selfcare.observability import logger
from selfcare.ports.hash_key import StaticHashKey
from selfcare.projection import inventory_events as ev
from selfcare.projection.inventory import (
    InventoryProjector,
    LineBusy,
    change_attributes,
    line_attributes,
    usage_item,
    vod_item,
)
from selfcare.projection.models import Outcome, RejectReason, WriteResult
from selfcare.tv.vod import PREFIX, anonymise

from infra import definitions as d
from infra.definitions import ROOT

SAMPLES = sorted((ROOT / "events" / "inventory").glob("*.json"))
KEY = b"k" * 32


def load(name: str) -> dict[str, Any]:
    return dict(json.loads((ROOT / "events" / "inventory" / f"{name}.json").read_text()))


def detail_of(name: str) -> Any:
    return ev.INVENTORY_DETAIL_MODELS[name].model_validate(load(name)["detail"])


# Schemas and samples ---------------------------------------------------------------------------------------
def test_there_is_one_sample_per_inventory_event_type() -> None:
    assert sorted(path.stem for path in SAMPLES) == sorted(ev.INVENTORY_EVENT_TYPES)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.stem)
def test_every_sample_is_valid_against_its_model(path: Path) -> None:
    envelope = ev.InventoryEnvelope.model_validate(json.loads(path.read_text()))
    assert envelope.source == ev.INVENTORY_SOURCE == d.INVENTORY_EVENT_SOURCE
    assert envelope.detail_type == path.stem
    detail = ev.INVENTORY_DETAIL_MODELS[envelope.detail_type].model_validate(envelope.detail)
    assert detail.entity_version >= 1 and detail.occurred_at.tzinfo is not None


def test_the_rule_takes_every_inventory_event_type_from_the_inventory_source() -> None:
    assert d.INVENTORY_EVENT_TYPES == ev.INVENTORY_EVENT_TYPES
    assert d.INVENTORY_EVENT_SOURCE in d.CRM_EVENT_PATTERN["source"]
    assert set(ev.INVENTORY_EVENT_TYPES) <= set(d.CRM_EVENT_PATTERN["detail-type"])
    assert set(d.CRM_EVENT_TYPES) <= set(d.CRM_EVENT_PATTERN["detail-type"])  # the CRM's still flow


def test_the_projection_holds_the_vod_key() -> None:
    assert "vod_key" in d.PROJECTION.grants


@pytest.mark.parametrize(
    ("name", "path", "value", "location"),
    [
        ("LineSimChanged", ("sim", "iccid"), "8937710310000000067", ("sim", "iccid")),  # Luhn
        ("LineSimChanged", ("sim", "puk"), "1234", ("sim", "puk")),
        ("LineStatusChanged", ("state",), "barred", ("state",)),
        ("LineCreated", ("line", "line_type"), "satellite", ("line", "line_type")),
        ("VodViewsRecorded", ("views",), [], ("views",)),
        ("LineEnded", ("ended_at",), "2026-11-30T23:59:59", ("ended_at",)),  # a naive time
        ("BoxChanged", ("box", "colour"), "red", ("box", "colour")),  # unknown fields are refused
    ],
)
def test_malformed_details_are_refused_where_they_are_wrong(
    name: str, path: tuple[str, ...], value: Any, location: tuple[str, ...]
) -> None:
    detail = load(name)["detail"]
    target = detail
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(ValidationError) as raised:
        ev.INVENTORY_DETAIL_MODELS[name].model_validate(detail)
    assert {error["loc"][: len(location)] for error in raised.value.errors()} == {location}


# Mapping ---------------------------------------------------------------------------------------------------
def test_a_created_line_keeps_the_read_models_layout() -> None:
    sets, removals = line_attributes(detail_of("LineCreated").line)
    assert sets["details"] == {"user": "Paul Dupont"}  # as the account view reads it (Line.details)
    assert sets["offer"] == "Forfait 50 Go" and sets["line_type"] == "mobile"
    assert sets["renewal_eligible_on"] == "2028-11-20" and sets["commitment_ends_on"] == "2027-11-20"
    assert sets["options"] == [{"code": "eu-calls", "label": "Unlimited calls to the EU", "monthly_price_cents": 500}]
    assert sets["?status"] == "active"  # only for a line that has no status yet (the workflows own it after)
    assert "tv_login" in removals and "iccid" not in removals and "puk" not in removals


def test_a_change_sets_what_it_names_and_removes_what_it_nulls() -> None:
    sets, removals = change_attributes(detail_of("LineChanged").changes)
    assert sets == {"offer": "Forfait 100 Go", "options": []}
    assert removals == ("commitment_ends_on",)
    sets, removals = change_attributes(ev.LineChanges(user="Lou Dupont"))
    assert (sets, removals) == ({"details.user": "Lou Dupont"}, ())


def test_usage_is_stored_as_the_lines_read_it() -> None:
    record = ev.LineUsage.model_validate(
        {"record_id": "7", "started_at": "2026-11-02T10:00:00Z", "type": "DATA", "origin_country": "MC",
         "volume_bytes": 5 * 1024 * 1024, "amount_excl_tax_cents": 0}
    )  # fmt: skip
    item = usage_item("I-0001", record)
    assert item["sk"] == "LINE#I-0001#USAGE#2026-11-02T10:00:00.000Z#7"
    assert (item["kind"], item["volume_kb"], item["started_at"]) == ("data", 5120, "2026-11-02T10:00:00.000Z")


def test_a_vod_title_reference_is_hashed_with_the_key_and_the_customer() -> None:
    view = detail_of("VodViewsRecorded").views[0]
    item = vod_item("C0001", "T-0001", view, KEY)
    assert item["title_ref"] == anonymise("CAT-IT-2022-000318", "C0001", KEY)
    assert item["title_ref"].startswith(PREFIX) and "CAT-IT" not in json.dumps(item)
    assert vod_item("C0002", "T-0002", view, KEY)["title_ref"] != item["title_ref"]


# The projector's decisions ----------------------------------------------------------------------------------
class MemoryStore:
    def __init__(self, snapshot: LineSnapshot | None) -> None:
        self.snapshot = snapshot
        self.status_writes: list[Mapping[str, Any]] = []
        self.records: list[dict[str, Any]] = []

    def line(self, customer_id: str, line_id: str) -> LineSnapshot | None:
        return self.snapshot

    def change_status(
        self,
        customer_id: str,
        line_id: str,
        seen: LineSnapshot,
        sets: Mapping[str, Any],
        version: int,
        event_id: str,
        *,
        release_iccid: str | None = None,
        keys: list[Any] | None = None,
    ) -> WriteResult:
        self.status_writes.append({**sets, "release": release_iccid})
        return WriteResult.APPLIED

    def put_records(self, customer_id: str, line_id: str, items: list[dict[str, Any]], event_id: str) -> WriteResult:
        self.records += items
        return WriteResult.APPLIED if self.snapshot else WriteResult.MISSING


class Profiles:
    def __init__(self, *known: str) -> None:
        self.known = set(known)

    def get_profile(self, customer_id: str) -> Any:
        return object() if customer_id in self.known else None


class Letters:
    def __init__(self) -> None:
        self.reasons: list[RejectReason] = []

    def __call__(
        self,
        reason: RejectReason,
        explanation: str,
        raw: Any,
        *,
        event_id: str | None = None,
        detail_type: str | None = None,
    ) -> Outcome:
        self.reasons.append(reason)
        assert "CAT-" not in explanation
        return Outcome.REJECTED


def projector(store: MemoryStore, *customers: str) -> InventoryProjector:
    return InventoryProjector(store=store, customers=Profiles(*customers), hash_key=StaticHashKey(KEY))  # type: ignore[arg-type]


def snapshot(status: str, status_version: int = 2, iccid: str | None = "8937710310000000066") -> LineSnapshot:
    return LineSnapshot(status=status, status_version=status_version, iccid=iccid, inventory_version=3)


def test_a_network_suspension_of_an_idle_line_changes_its_status_and_its_status_version() -> None:
    store = MemoryStore(snapshot("active"))
    assert projector(store, "C0001").project(load("LineStatusChanged"), Letters()) is Outcome.APPLIED
    (written,) = store.status_writes
    assert (written["status"], written["status_version"], written["network_status"]) == ("suspended", 3, "suspended")


def test_the_echo_of_a_status_the_line_has_already_leaves_the_status_version_alone() -> None:
    store = MemoryStore(snapshot("suspended"))
    projector(store, "C0001").project(load("LineStatusChanged"), Letters())
    (written,) = store.status_writes
    assert "status_version" not in written and written["network_status"] == "suspended"


@pytest.mark.parametrize("pending", ["suspension_pending", "reactivation_pending"])
@pytest.mark.parametrize("name", ["LineStatusChanged", "LineEnded"])
def test_a_status_event_waits_while_a_workflow_owns_the_line(
    pending: str, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=logger.name)
    store = MemoryStore(snapshot(pending))
    letters = Letters()
    event = load(name)
    with pytest.raises(LineBusy):
        projector(store, "C0001").project(event, letters)
    assert store.status_writes == [] and letters.reasons == []
    # The log says why, never the line id (it holds the phone number)
    deferred = [r for r in caplog.records if "a workflow owns the line" in r.getMessage()]
    number = event["detail"]["line_id"].split("-", 1)[1]
    assert len(deferred) == 1 and number not in str(vars(deferred[0]))


def test_an_ended_line_frees_its_sim_card() -> None:
    store = MemoryStore(snapshot("active"))
    projector(store, "C0001").project(load("LineEnded"), Letters())
    (written,) = store.status_writes
    assert (written["status"], written["release"], written["ended_at"]) == (
        "ended",
        "8937710310000000066",
        "2026-11-30T23:59:59.000Z",
    )


def test_unknown_customer_and_unknown_line_are_refused_with_their_reason() -> None:
    letters = Letters()
    assert projector(MemoryStore(None)).project(load("VodViewsRecorded"), letters) is Outcome.REJECTED
    assert projector(MemoryStore(None), "C0001").project(load("VodViewsRecorded"), letters) is Outcome.REJECTED
    assert letters.reasons == [RejectReason.UNKNOWN_CUSTOMER, RejectReason.UNKNOWN_LINE]


def test_envelopes_and_types_are_checked_before_anything_is_read() -> None:
    letters = Letters()
    wrong_type = load("BoxChanged") | {"detail-type": "InvoiceIssued"}
    bad_detail = load("BoxChanged")
    bad_detail["detail"]["box"]["model"] = ""
    for raw in (wrong_type, bad_detail, {"source": "operator.inventory"}):
        assert projector(MemoryStore(None), "C0001").project(raw, letters) is Outcome.REJECTED
    assert letters.reasons == [
        RejectReason.UNKNOWN_EVENT_TYPE,
        RejectReason.MALFORMED_DETAIL,
        RejectReason.MALFORMED_ENVELOPE,
    ]


def test_vod_views_are_stored_hashed() -> None:
    store = MemoryStore(snapshot("active"))
    projector(store, "C0001").project(load("VodViewsRecorded"), Letters())
    (item,) = store.records
    assert item["sk"] == f"LINE#T-0001#{ChildKind.VOD.value}#v100"
    assert item["title_ref"] == anonymise("CAT-IT-2022-000318", "C0001", KEY)
