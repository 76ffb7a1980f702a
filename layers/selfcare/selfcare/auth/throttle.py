"""Brute-force throttling: growing delays per account and per source address.

Per account: from the 5th consecutive failure, the account is locked for 15 s, then 30 s, 60 s...
up to 15 minutes. A locked account answers exactly like a wrong password (it never tells).
Per source address: from the 20th failure within an hour, the address is blocked for 1 minute,
then 2, 4... up to an hour, with 429 and Retry-After (this reveals nothing about any account).
CAPTCHA: after 3 failed logins naming one identifier (known or not, within 15 minutes of the last one) or from one
source address (within its one-hour window), the login asks for a solved CAPTCHA (400 captcha_required) before
it checks anything else; a solved one covers the failures counted so far, so the next failure asks again.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottlePolicy:
    account_threshold: int = 5
    account_base_seconds: int = 15
    account_max_seconds: int = 15 * 60
    address_threshold: int = 20
    address_base_seconds: int = 60
    address_max_seconds: int = 60 * 60
    address_window_seconds: int = 60 * 60
    captcha_after_failures: int = 3
    identifier_window_seconds: int = 15 * 60

    def captcha_needed(self, failures: int, cleared: int) -> bool:
        """A counter asks for a CAPTCHA once it holds 3 failures, unless a solved one covered them all."""
        return failures >= self.captcha_after_failures and failures > cleared

    def account_lock_seconds(self, failures: int) -> int:
        """Lock duration after `failures` consecutive failed attempts on one account."""
        if failures < self.account_threshold:
            return 0
        return int(min(self.account_max_seconds, self.account_base_seconds * 2 ** (failures - self.account_threshold)))

    def address_block_seconds(self, failures: int) -> int:
        if failures < self.address_threshold:
            return 0
        return int(min(self.address_max_seconds, self.address_base_seconds * 2 ** (failures - self.address_threshold)))
