"""Shared constrained types: defined once, used by every boundary model."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, StringConstraints

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
# Passwords are length-limited here; the policy (length, common passwords) is in selfcare.auth.passwords.
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
