"""The CRM event schemas and the sample events of events/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from selfcare.projection import events

from infra.definitions import ROOT

SAMPLES = sorted((ROOT / "events").glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def test_there_is_one_sample_per_event_type() -> None:
    assert sorted(path.stem for path in SAMPLES) == sorted(events.EVENT_TYPES)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.stem)
def test_every_sample_is_valid_against_its_model(path: Path) -> None:
    envelope = events.Envelope.model_validate(load(path))
    assert envelope.source == events.CRM_SOURCE
    assert envelope.detail_type == path.stem
    detail = events.DETAIL_MODELS[envelope.detail_type].model_validate(envelope.detail)
    assert detail.entity_version >= 1
    assert detail.occurred_at.tzinfo is not None


def customer_detail() -> dict[str, Any]:
    return load(ROOT / "events" / "CustomerCreated.json")["detail"]


@pytest.mark.parametrize(
    "masked",
    ["MC5811222000010123456789030", "4242424242424242", "FR76 3000 6000 0112 3456 7890 189", "**** 4242 4242 4242"],
)
def test_a_payment_method_in_clear_is_refused(masked: str) -> None:
    detail = customer_detail()
    detail["customer"]["billing"]["payment_method"]["masked"] = masked
    with pytest.raises(ValidationError) as raised:
        events.CustomerCreated.model_validate(detail)
    assert [error["loc"][-1] for error in raised.value.errors()] == ["masked"]


@pytest.mark.parametrize("masked", ["MC58 **** **** **** 0189", "**** **** **** 4242", "FR76 **** 0189"])
def test_masked_payment_methods_are_accepted(masked: str) -> None:
    detail = customer_detail()
    detail["customer"]["billing"]["payment_method"]["masked"] = masked
    events.CustomerCreated.model_validate(detail)


def test_unknown_fields_and_naive_times_are_refused() -> None:
    detail = customer_detail()
    detail["customer"]["shoe_size"] = 42
    detail["occurred_at"] = "2026-10-01T09:00:00"
    with pytest.raises(ValidationError) as raised:
        events.CustomerCreated.model_validate(detail)
    assert {error["loc"] for error in raised.value.errors()} == {("customer", "shoe_size"), ("occurred_at",)}


def test_usage_records_carry_every_spec_field() -> None:
    spec_fields = {
        "line_number",
        "started_at",
        "type",
        "origin_country",
        "destination_country",
        "called_number",
        "duration_seconds",
        "quantity",
        "volume_bytes",
        "amount_excl_tax_cents",
    }
    assert spec_fields <= set(events.UsageRecord.model_fields)


def test_the_inbound_rule_lets_every_crm_event_type_through() -> None:
    # The rule's pattern (CDK and the local stack) and the projection's models name the same CRM events, the
    # rectification's answers (rights, issue 10) included.
    from infra import definitions as d

    assert d.CRM_EVENT_TYPES == events.EVENT_TYPES
    assert {"RectificationCompleted", "RectificationRefused"} <= set(d.CRM_EVENT_PATTERN["detail-type"])


def test_a_refusal_carries_a_reason_code_not_free_text() -> None:
    detail = load(ROOT / "events" / "RectificationRefused.json")["detail"]
    with pytest.raises(ValidationError) as raised:
        events.RectificationRefused.model_validate(detail | {"reason": "Le client a dit non, voir M. Rossi"})
    assert [error["loc"][-1] for error in raised.value.errors()] == ["reason"]
