"""Capability `sms` (inbound): SMS received on the short numbers (the two-way channel publishes each one to an
SNS topic), STOP / START and their variants -> the opt-out list, one confirmation reply (no route)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from selfcare import coldstart
from selfcare.config import SmsSettings
from selfcare.observability import count, logger, metrics
from selfcare.sms.optout import parse_inbound
from selfcare.sms.wiring import build_sms_services

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

services = build_sms_services(SmsSettings.from_env())


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    handled: list[dict[str, str | bool | None]] = []
    for record in event.get("Records", []):
        try:
            sms = parse_inbound(record["Sns"]["Message"])
        except (ValueError, KeyError, TypeError):
            # Not a two-way channel message: retrying would not make it one. Logged without its content.
            logger.warning("inbound sms not understood", extra={"message_id": record.get("Sns", {}).get("MessageId")})
            handled.append({"keyword": None, "changed": False})
            continue
        result = services.inbound.handle(sms)
        if result.changed:
            count("SmsOptOutChanged")
        handled.append({"keyword": result.keyword.value if result.keyword else None, "changed": result.changed})
    return {"handled": handled}


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded()
