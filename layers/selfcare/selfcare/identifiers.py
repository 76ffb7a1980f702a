"""Login identifiers: what a person may type at login, and the lookup keys it may stand for.

The identifier may be the contact email, the operator-issued login id, a phone number (any usual
form, normalised to E.164; national numbers are read as Monaco's) or the customer account number.
"""

from __future__ import annotations

import re
from enum import StrEnum

DEFAULT_PHONE_REGION = "MC"
_ACCOUNT_NUMBER = re.compile(r"^[0-9]{6,12}$")
_LOGIN_ID = re.compile(r"^(?=.*[a-z])[a-z0-9._-]{3,64}$")
_PHONE_CHARS = re.compile(r"^[+0-9 ().-]{6,24}$")


class IdentifierKind(StrEnum):
    EMAIL = "email"
    LOGIN_ID = "login"
    PHONE = "phone"
    ACCOUNT_NUMBER = "account"
    STAFF_EMAIL = "staff_email"


def normalize_email(raw: str) -> str:
    return raw.strip().lower()


def normalize_phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> str | None:
    """E.164 form of a phone number, or None when it is not a valid number."""
    candidate = raw.strip()
    if not _PHONE_CHARS.match(candidate):
        return None
    # Its metadata loads only for a phone-like identifier (~50 ms of cold start otherwise).
    import phonenumbers

    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def customer_lookup_keys(raw: str) -> list[tuple[IdentifierKind, str]]:
    """The lookup keys a customer identifier may stand for, most specific first."""
    text = raw.strip()
    if "@" in text:
        return [(IdentifierKind.EMAIL, normalize_email(text))]
    keys: list[tuple[IdentifierKind, str]] = []
    lowered = text.lower()
    if _LOGIN_ID.match(lowered):
        keys.append((IdentifierKind.LOGIN_ID, lowered))
    if _ACCOUNT_NUMBER.match(text):
        keys.append((IdentifierKind.ACCOUNT_NUMBER, text))
    phone = normalize_phone(text)
    if phone:
        keys.append((IdentifierKind.PHONE, phone))
    return keys
