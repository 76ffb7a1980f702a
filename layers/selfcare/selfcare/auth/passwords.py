"""Password hashing (argon2id, parameters stored in each hash) and the password policy."""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from selfcare.errors import FieldProblem, InvalidInput
from selfcare.types import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH

MIN_LENGTH = PASSWORD_MIN_LENGTH
MAX_LENGTH = PASSWORD_MAX_LENGTH
MIN_DISTINCT_CHARACTERS = 5


@dataclass(frozen=True)
class HashParameters:
    """argon2id cost. Raising them later is safe: every hash carries its own parameters, and a
    login with an older hash rehashes it (`needs_rehash`)."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4


class Passwords:
    def __init__(self, params: HashParameters) -> None:
        self._hasher = PasswordHasher(
            time_cost=params.time_cost, memory_cost=params.memory_kib, parallelism=params.parallelism
        )
        # Ready now, not at the first unknown identifier (else that login alone would cost two hashes, and its
        # timing would tell that the identifier is unknown), and without hashing at the cold start: an encoded
        # hash with this hasher's parameters and random salt and digest costs one full argon2 computation to
        # verify, as a real one does, and matches no password.
        self._dummy_hash = _unmatchable_hash(self._hasher)

    def hash(self, password: str) -> str:
        return str(self._hasher.hash(password))

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Constant work whether or not there is a stored hash (unknown accounts cost the same)."""
        if stored_hash is None:
            stored_hash = self._dummy_hash
            password = password + "\x00"  # never matches
        try:
            return bool(self._hasher.verify(stored_hash, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return bool(self._hasher.check_needs_rehash(stored_hash))


def _unmatchable_hash(hasher: PasswordHasher) -> str:
    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii").rstrip("=")

    return (
        f"$argon2id$v=19$m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}"
        f"${b64(secrets.token_bytes(hasher.salt_len))}${b64(secrets.token_bytes(hasher.hash_len))}"
    )


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("selfcare.auth").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


_TRAILING_NOISE = re.compile(r"[0-9!@#$%^&*()_+=.,;:?-]+$")
_LEADING_NOISE = re.compile(r"^[0-9!@#$%^&*()_+=.,;:?-]+")


def policy_problems(password: str, personal: tuple[str, ...] = ()) -> list[str]:
    """Why a new password is refused (empty when it is accepted)."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"must have at most {MAX_LENGTH} characters")
    lowered = password.lower()
    common = _common_passwords()
    core = _LEADING_NOISE.sub("", _TRAILING_NOISE.sub("", lowered))
    if lowered in common or (core and core in common and len(core) >= len(lowered) - 6):
        problems.append("is too common: it is on the list of common passwords")
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        problems.append(f"must use at least {MIN_DISTINCT_CHARACTERS} different characters")
    for value in personal:
        token = value.lower().split("@")[0]
        if len(token) >= 4 and token in lowered:
            problems.append("must not contain your login identifier or email")
            break
    return problems


def check_policy(password: str, field: str = "new_password", personal: tuple[str, ...] = ()) -> None:
    problems = policy_problems(password, personal)
    if problems:
        raise InvalidInput(
            [FieldProblem(loc=("body", field), message=f"The password {p}.", type="weak_password") for p in problems]
        )
