"""Validation of phone numbers a customer gives for a service (call forwarding destinations)."""

from __future__ import annotations

from selfcare.errors import FieldProblem, InvalidInput
from selfcare.identifiers import normalize_phone


def is_premium_rate(e164: str) -> bool:
    import phonenumbers  # metadata loads on first use only (cold start)

    number = phonenumbers.parse(e164, None)
    return bool(phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.PREMIUM_RATE)


def forwarding_destination(raw: str, field: str = "destination") -> str:
    """The E.164 form of a valid, non-premium-rate number; InvalidInput (422, located) otherwise."""
    e164 = normalize_phone(raw)
    if e164 is None:
        raise InvalidInput([FieldProblem(("body", field), "Not a valid phone number.", "invalid_phone_number")])
    if is_premium_rate(e164):
        raise InvalidInput([FieldProblem(("body", field), "Premium-rate numbers are not allowed.", "premium_rate")])
    return e164
