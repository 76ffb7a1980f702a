"""Line workflows without AWS: ICCID and Luhn, handles, the ASL's shape and its retry policies."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError
from selfcare.types import Iccid, luhn_valid
from selfcare.workflows.models import WorkflowKind, handle_for, line_digest, parse_handle

from infra import definitions as d
from infra.workflows.suspension import (
    SUCCESS_PATH,
    TRANSIENT_PROVISIONING,
    definition,
    definitions_for,
    render,
    success_path_transitions,
)

ICCIDS = TypeAdapter(Iccid)


@pytest.mark.parametrize("digits", ["79927398713", "8937701000000000007", "4539578763621486", "0"])
def test_luhn_accepts_valid_numbers(digits: str) -> None:
    assert luhn_valid(digits)


@pytest.mark.parametrize("digits", ["79927398710", "8937701000000000002", "", "12a4", "٣٣"])
def test_luhn_refuses_wrong_check_digits_and_non_digits(digits: str) -> None:
    assert not luhn_valid(digits)


def test_iccid_is_19_or_20_digits_starting_89_with_its_check_digit() -> None:
    assert ICCIDS.validate_python("8937701000000000007") == "8937701000000000007"
    assert ICCIDS.validate_python("8937 7010 0000 0000 007") == "8937701000000000007"
    twenty = next(p for p in (f"8937701000000000000{c}" for c in "0123456789") if luhn_valid(p))
    assert ICCIDS.validate_python(twenty) == twenty
    for bad in ("8937701000000000002", "9937701000000000007", "89377010000000007", "893770100000000000000", 89):
        with pytest.raises(ValidationError):
            ICCIDS.validate_python(bad)


def test_handles_are_deterministic_opaque_and_parsed_back() -> None:
    handle = handle_for(WorkflowKind.SUSPENSION, "C0001", "M-377612345678", 3)
    assert handle == handle_for(WorkflowKind.SUSPENSION, "C0001", "M-377612345678", 3)
    assert handle != handle_for(WorkflowKind.SUSPENSION, "C0001", "M-377612345678", 4)
    assert "377612345678" not in handle and len(handle) <= 80  # execution names: 80 characters at most
    parsed = parse_handle(handle)
    assert parsed is not None
    assert (parsed.kind, parsed.digest, parsed.version) == (
        WorkflowKind.SUSPENSION,
        line_digest("C0001", "M-377612345678"),
        3,
    )
    assert parse_handle("suspension-xyz-v1") is None
    assert parse_handle(handle + "x") is None


@pytest.mark.parametrize("kind", list(WorkflowKind))
def test_success_path_is_four_transitions(kind: WorkflowKind) -> None:
    asl = definition(kind, d.WORKFLOW_RETRY, d.COMPENSATION_RETRY)
    assert success_path_transitions(asl) == len(SUCCESS_PATH) == 4


@pytest.mark.parametrize("kind", list(WorkflowKind))
def test_every_task_retries_a_bounded_number_of_times_and_failures_compensate(kind: WorkflowKind) -> None:
    states = definition(kind, d.WORKFLOW_RETRY, d.COMPENSATION_RETRY)["States"]
    for name, state in states.items():
        if state["Type"] != "Task":
            continue
        assert state["Retry"], name
        for retrier in state["Retry"]:
            assert 1 <= retrier["MaxAttempts"] <= 10 and retrier["BackoffRate"] >= 1, name
            assert retrier["MaxDelaySeconds"] <= 60, name
    provision_retry = states["Provision"]["Retry"][0]
    assert set(TRANSIENT_PROVISIONING) <= set(provision_retry["ErrorEquals"])
    assert "States.ALL" not in provision_retry["ErrorEquals"], "a permanent refusal is not retried"
    for step in ("Begin", "Provision", "Complete"):
        assert {"ErrorEquals": ["States.ALL"], "Next": "Compensate", "ResultPath": "$.error"} in states[step]["Catch"]
    assert states["Compensate"]["Next"] == "RaiseIncident"
    assert states["RaiseIncident"]["Resource"] == "arn:aws:states:::events:putEvents"
    assert states[states["RaiseIncident"]["Next"]]["Type"] == "Fail"


def test_render_substitutes_every_placeholder() -> None:
    for asl in definitions_for().values():
        text = render(asl, {"LineTasksFunctionArn": "arn:fn", "IncidentBusName": "bus"})
        assert "${" not in text and '"arn:fn"' in text and '"bus"' in text
