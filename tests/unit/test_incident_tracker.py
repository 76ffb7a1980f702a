"""The incident tracker's HTTPS adapter (issue 8, section 4) against a fake transport: no socket.

Open, closed and unknown incidents are told apart; a timeout, a refused connection, a refused token, a 5xx or an
answer that is not the contract's JSON is an IncidentTrackerError (the API's 503), and the grant logic turns it into
IncidentTrackerUnavailable: fail closed, never a 500, never a silent pass.
"""

from __future__ import annotations

import json

import pytest
from selfcare.auth.incidents import OpenIncidents, incident_of, incident_tracker_from
from selfcare.config import IncidentTrackerSettings
from selfcare.errors import IncidentTrackerUnavailable
from selfcare.ports.incident_tracker import IncidentState, IncidentTrackerError, UnconfiguredIncidentTracker
from selfcare.ports.incident_tracker_https import HttpsIncidentTracker

BASE = "https://incidents.operator.example/api"


class FakeTransport:
    """Answers each request with the next scripted outcome: (status, body) or an exception to raise."""

    def __init__(self, *outcomes: tuple[int, bytes] | Exception) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[tuple[str, str, dict[str, str], float]] = []

    def __call__(self, method: str, url: str, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
        self.requests.append((method, url, headers, timeout))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def _answer(reference: str, state: str) -> tuple[int, bytes]:
    return 200, json.dumps({"reference": reference, "state": state, "title": "x"}).encode()


def _tracker(transport: FakeTransport, tokens: list[str] | None = None) -> HttpsIncidentTracker:
    given = tokens if tokens is not None else ["t0ken"]
    return HttpsIncidentTracker(BASE, lambda: given.pop(0) if len(given) > 1 else given[0], transport=transport)


def test_an_open_incident_is_asked_by_reference_with_the_bearer_token_and_a_short_timeout() -> None:
    # Given a tracker that knows INC-204518 as open
    transport = FakeTransport(_answer("INC-204518", "open"))
    # When its state is asked
    state = _tracker(transport).state("INC-204518")
    # Then it is open, asked at {base}/incidents/{reference} with the token, within 2 s
    assert state is IncidentState.OPEN
    ((method, url, headers, timeout),) = transport.requests
    assert (method, url) == ("GET", f"{BASE}/incidents/INC-204518")
    assert headers["Authorization"] == "Bearer t0ken" and headers["Accept"] == "application/json"
    assert timeout == 2.0


def test_a_closed_incident_is_closed_and_an_unknown_one_unknown() -> None:
    transport = FakeTransport(_answer("INC-1111", "closed"), (404, b'{"error": "not_found"}'))
    tracker = _tracker(transport)
    assert tracker.state("INC-1111") is IncidentState.CLOSED
    assert tracker.state("INC-2222") is IncidentState.UNKNOWN


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        (TimeoutError("timed out"), "incident_tracker_timeout"),
        (ConnectionRefusedError(), "incident_tracker_unreachable"),
        ((503, b"maintenance"), "incident_tracker_status_503"),
        ((401, b""), "incident_tracker_status_401"),
        ((302, b""), "incident_tracker_status_302"),
        ((200, b"<html>moved</html>"), "incident_tracker_garbage"),
        ((200, b"[1, 2]"), "incident_tracker_garbage"),
        ((200, b'{"reference": "INC-1111", "state": "resolved-ish"}'), "incident_tracker_garbage"),
        ((200, b'{"reference": "INC-1111"}'), "incident_tracker_garbage"),
        ((200, b'{"reference": "INC-9999", "state": "open"}'), "incident_tracker_garbage"),  # another incident
        ((200, b"\xff\xfe"), "incident_tracker_garbage"),
        (
            (200, b'{"reference": "INC-1111", "state": "open", "x": "' + b"a" * 70_000 + b'"}'),
            "incident_tracker_garbage",
        ),
    ],
)
def test_a_tracker_that_cannot_say_is_an_error_never_an_answer(
    outcome: tuple[int, bytes] | Exception, code: str
) -> None:
    # Given a tracker that times out, is down, refuses the token or answers garbage
    tracker = _tracker(FakeTransport(outcome))
    # When a state is asked, Then the adapter raises with a reason code (no state is made up)
    with pytest.raises(IncidentTrackerError) as raised:
        tracker.state("INC-1111")
    assert raised.value.code == code


def test_the_logic_turns_a_tracker_error_into_the_503_error() -> None:
    incidents = OpenIncidents(_tracker(FakeTransport(TimeoutError())))
    with pytest.raises(IncidentTrackerUnavailable) as raised:
        incidents.state("INC-1111")
    assert raised.value.code == "incident_tracker_unavailable"


def test_a_refused_token_is_read_again_next_time() -> None:
    # Given a token that was rotated: the first answer is 401
    transport = FakeTransport((401, b""), _answer("INC-1111", "open"))
    tracker = _tracker(transport, tokens=["old", "new"])
    with pytest.raises(IncidentTrackerError):
        tracker.state("INC-1111")
    # When asked again, Then the secret is read again and the new token used
    assert tracker.state("INC-1111") is IncidentState.OPEN
    assert [r[2]["Authorization"] for r in transport.requests] == ["Bearer old", "Bearer new"]


def test_an_unreadable_token_secret_fails_closed() -> None:
    def broken() -> str:
        raise RuntimeError("secrets manager down")

    tracker = HttpsIncidentTracker(BASE, broken, transport=FakeTransport())
    with pytest.raises(IncidentTrackerError) as raised:
        tracker.state("INC-1111")
    assert raised.value.code == "incident_tracker_token_unavailable"


def test_without_configuration_every_question_fails_closed() -> None:
    # Given no CDK context incident_tracker_url (empty variables)
    tracker = incident_tracker_from(IncidentTrackerSettings.from_env({"INCIDENT_TRACKER_URL": ""}))
    assert isinstance(tracker, UnconfiguredIncidentTracker)
    # Then the question is a 503, not a pass
    with pytest.raises(IncidentTrackerUnavailable):
        OpenIncidents(tracker).state("INC-1111")


def test_plain_http_only_on_the_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        HttpsIncidentTracker("http://incidents.operator.example", lambda: "t")
    HttpsIncidentTracker("http://127.0.0.1:8123", lambda: "t")


def test_the_incident_a_grant_records() -> None:
    assert incident_of("incident:INC-1234") == "INC-1234"
    assert incident_of("ticket:req-00000001") is None and incident_of(None) is None
