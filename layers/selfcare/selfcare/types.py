"""Shared constrained types: defined once, used by every boundary model."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

CustomerId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
StaffId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
AccountNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,12}$")]
# Operator-issued login id: lower case, at least one letter, never all digits nor an email, so it
# cannot be mistaken for an account number, a phone number or an email at login.
LoginId = Annotated[
    str,
    StringConstraints(min_length=3, max_length=64, pattern=r"^[a-z0-9._-]*[a-z][a-z0-9._-]*$"),
    BeforeValidator(lambda value: value.strip().lower() if isinstance(value, str) else value),
]
E164 = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]
OpaqueId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]


def _check_email(value: str) -> str:
    """An address that mail systems (SES) accept: email-validator's syntax rules, no DNS query, no
    internationalised local part (SES does not take SMTPUTF8). The message never repeats the input."""
    from email_validator import EmailNotValidError, validate_email  # only where used: cold start

    try:
        return str(validate_email(value, check_deliverability=False, allow_smtputf8=False).normalized)
    except EmailNotValidError:
        raise ValueError("not an email address that mail systems accept") from None


EmailAddress = Annotated[
    str,
    StringConstraints(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    AfterValidator(_check_email),
    Field(json_schema_extra={"format": "email"}),
]
# Passwords are length-limited here; the policy (length, common passwords) is in selfcare.auth.passwords.
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
# The password policy's length (selfcare.auth.passwords checks it, with the rest of the policy, and answers
# 422 weak_password); a new password's type declares it in the OpenAPI document.
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128
NewPassword = Annotated[
    str,
    StringConstraints(min_length=1, max_length=256),
    Field(json_schema_extra={"minLength": PASSWORD_MIN_LENGTH, "maxLength": PASSWORD_MAX_LENGTH}),
]


def luhn_valid(digits: str) -> bool:
    """The Luhn check digit (ISO/IEC 7812) of a string of digits holds (ICCIDs end with one)."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _check_iccid(value: str) -> str:
    if not luhn_valid(value):
        raise ValueError("the ICCID's check digit (Luhn) is not valid")
    return value


# SIM card number (ITU-T E.118): 19 or 20 digits, "89" (telecom) first, Luhn check digit last.
# The pattern comes before the space-stripping validator so that it is in the JSON schema (OpenAPI).
Iccid = Annotated[
    str,
    StringConstraints(pattern=r"^89[0-9]{17,18}$"),
    BeforeValidator(lambda value: value.replace(" ", "") if isinstance(value, str) else value),
    AfterValidator(_check_iccid),
]
# Identifiers of lines and of the things under them (boxes, mailboxes, packs).
LineId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ItemId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
