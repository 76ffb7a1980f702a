"""The per-message decision and the night-time window (selfcare.sms.policy)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from selfcare.sms.models import Provider, ProviderStatus, RefusalReason
from selfcare.sms.policy import NightWindow, SendingPolicy, Thresholds, decide, proposal_reasons

NOON = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # 12:00 in Monaco
PROVIDER = Provider(
    provider_id="P1",
    legal_name="Riviera Promo",
    declaration_number="D-1",
    contract_reference="C-1",
    contract_start="2026-01-01",
    contract_end="2026-12-31",
    sender_ids=("RIVIERA",),
    opt_out_number="36180",
    throughput_per_second=10,
    status=ProviderStatus.ACTIVE,
)
GOOD = "Soldes ! STOP au 36180"
POLICY = SendingPolicy()


def reason(**changes: object) -> RefusalReason | None:
    arguments: dict[str, object] = {
        "provider": PROVIDER,
        "sender_id": "RIVIERA",
        "text": GOOD,
        "opt_out_scopes": set(),
        "moment": NOON,
        "policy": POLICY,
    } | changes
    return decide(**arguments).reason  # type: ignore[arg-type]


def test_an_acceptable_message() -> None:
    assert decide(PROVIDER, "RIVIERA", GOOD, set(), NOON, POLICY).accepted


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"provider": replace(PROVIDER, status=ProviderStatus.SUSPENDED)}, RefusalReason.PROVIDER_SUSPENDED),
        ({"provider": replace(PROVIDER, status=ProviderStatus.ENDED)}, RefusalReason.PROVIDER_ENDED),
        ({"provider": replace(PROVIDER, contract_end="2026-11-24")}, RefusalReason.OUTSIDE_CONTRACT),
        ({"provider": replace(PROVIDER, contract_start="2026-11-26")}, RefusalReason.OUTSIDE_CONTRACT),
        ({"sender_id": "OTHER"}, RefusalReason.SENDER_ID_NOT_ALLOWED),
        ({"text": "Soldes !"}, RefusalReason.MISSING_OPT_OUT_MENTION),
        ({"consented": False}, RefusalReason.NO_CONSENT),
        ({"opt_out_scopes": {"all"}}, RefusalReason.OPTED_OUT),
        ({"opt_out_scopes": {"short:36180"}}, RefusalReason.OPTED_OUT),
        ({"opt_out_scopes": {"short:36190"}}, None),  # another provider's short number
        ({"moment": datetime(2026, 11, 25, 22, 30, tzinfo=UTC)}, RefusalReason.NIGHT_TIME),  # 23:30 in Monaco
        ({"moment": datetime(2026, 11, 25, 6, 59, tzinfo=UTC)}, RefusalReason.NIGHT_TIME),  # 07:59 in Monaco
        ({"moment": datetime(2026, 11, 25, 7, 0, tzinfo=UTC)}, None),  # 08:00 in Monaco
        # The first failing check is the one recorded
        ({"sender_id": "OTHER", "text": "Soldes !", "opt_out_scopes": {"all"}}, RefusalReason.SENDER_ID_NOT_ALLOWED),
    ],
)
def test_each_check_and_its_reason(changes: dict[str, object], expected: RefusalReason | None) -> None:
    assert reason(**changes) is expected


def test_no_night_window_when_start_equals_end() -> None:
    assert not NightWindow(time(0, 0), time(0, 0)).contains(datetime(2026, 11, 25, 23, 0, tzinfo=UTC))


def test_summer_time_is_local_time() -> None:
    # 20:30 UTC in July is 22:30 in Monaco (UTC+2): night
    assert NightWindow().contains(datetime(2026, 7, 1, 20, 30, tzinfo=UTC))


@pytest.mark.parametrize(
    ("moment", "resumes"),
    [
        # 23:30 in Monaco (winter, UTC+1): the next morning, 08:00 local = 07:00 UTC
        (datetime(2026, 11, 25, 22, 30, tzinfo=UTC), datetime(2026, 11, 26, 7, 0, tzinfo=UTC)),
        # 00:30 and 07:59 in Monaco: the same morning
        (datetime(2026, 11, 25, 23, 30, tzinfo=UTC), datetime(2026, 11, 26, 7, 0, tzinfo=UTC)),
        (datetime(2026, 11, 25, 6, 59, tzinfo=UTC), datetime(2026, 11, 25, 7, 0, tzinfo=UTC)),
        # summer (UTC+2): 08:00 local = 06:00 UTC
        (datetime(2026, 7, 1, 20, 30, tzinfo=UTC), datetime(2026, 7, 2, 6, 0, tzinfo=UTC)),
        # the night of the change to summer time (29 March 2026, 02:00 -> 03:00): still 08:00 local
        (datetime(2026, 3, 28, 22, 0, tzinfo=UTC), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
    ],
)
def test_a_paused_campaign_resumes_when_the_local_night_ends(moment: datetime, resumes: datetime) -> None:
    window = NightWindow()
    assert window.contains(moment) and window.ends_after(moment) == resumes
    assert not window.contains(resumes) and window.contains(resumes - timedelta(seconds=1))


def test_suspension_proposal_thresholds() -> None:
    limits = Thresholds(missing_mention_rate=0.05, complaints_per_10k=5.0, min_submitted=20)
    assert proposal_reasons(100, 5, 95, 0, limits) == []
    assert proposal_reasons(100, 6, 94, 0, limits)[0].startswith("missing_mention_rate 0.060")
    assert proposal_reasons(10, 10, 0, 0, limits) == []  # too few to say
    assert proposal_reasons(20_000, 0, 20_000, 11, limits)[0].startswith("complaints_per_10k 5.5")
