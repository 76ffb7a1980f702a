"""Account unification: a customer links another customer account after proving control of it, lists the
linked accounts, switches to one (a new session of that customer, opened by the auth capability), unlinks.

Two proofs of control of the other account:
- its credentials, verified and counted like a login by the auth capability;
- a code sent to its contact email or contact mobile (POST /account/links/codes): single use, 6 digits, stored
  as a digest bound to the requesting customer and to the target account, 10 minutes, 5 wrong tries. The
  request answers alike (and takes as long) whether the account exists or not; it is counted per requester.

Only the customer: staff never use a customer's credentials, and a switch is a session of the customer's.
Both sides of a link are written (and removed) in one transaction with an audit entry for each customer.
An unlink also revokes, in that same transaction, every session that depends on the link (see `unlink`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Protocol

from selfcare.account.common import audit_entry
from selfcare.account.models import AccountLink, CustomerProfile, LinkCodeChannel, LinkProof, PendingLinkCode
from selfcare.api.context import RequestInfo
from selfcare.auth.core import Tokens
from selfcare.auth.policy import Caller, Permission, authorize, require_customer
from selfcare.clock import Clock, epoch, iso
from selfcare.dal import account as records
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.dynamo import ConditionFailed, RawItem, transact
from selfcare.dal.logs import LogsRepository
from selfcare.dal.verifications import VerificationsRepository
from selfcare.errors import (
    AlreadyLinked,
    FieldProblem,
    InvalidInput,
    InvalidVerificationCode,
    NotFound,
    ReauthenticationRequired,
    TooManyRequests,
    UnlinkInterrupted,
)
from selfcare.observability import count, logger
from selfcare.ports.notifications import Notification, Notifier, Sms, SmsSender

MAX_TRANSACTION_ITEMS = 100
NO_TARGET = "-"  # the target of a code checked against an identifier that names nobody: never matches


class CaptchaCheck(Protocol):
    """Identity (issue 8): a solved CAPTCHA, accepted once (selfcare.auth.captcha.Captcha)."""

    def require(self, payload: str | None) -> None: ...


class AccountAuth(Protocol):
    """What unification needs from the auth capability (selfcare.auth.linked_sessions.LinkedSessions)."""

    def verify_customer_credentials(
        self, identifier: str, password: str, request: RequestInfo, captcha: str | None = None
    ) -> str: ...

    def find_customer(self, identifier: str, request: RequestInfo) -> str | None: ...

    def open_linked_session(self, caller: Caller, link: AccountLink, request: RequestInfo) -> Tokens: ...

    def linked_session_revocations(self, sides: list[AccountLink]) -> list[RawItem]: ...


@dataclass(frozen=True)
class LinkPolicy:
    recent_auth_seconds: int = 5 * 60
    code_seconds: int = 10 * 60
    code_digits: int = 6
    max_attempts: int = 5
    # Codes one customer may ask for per window: with 5 tries each, at most 25 guesses a day of a 6-digit code.
    code_requests_per_window: int = 5
    code_request_window_seconds: int = 24 * 3600
    # The code request never answers sooner than this, whether the account exists or not.
    code_response_floor_ms: int = 600
    unlink_attempts: int = 3


def link_code_digest(requester: str, target: str, code: str) -> str:
    # Bound to both customers: the same code means nothing for another requester or another target account.
    return hashlib.sha256(f"link:{requester}:{target}:{code}".encode()).hexdigest()


def requester_shown(profile: CustomerProfile) -> str:
    """Who asks, masked: initials and the end of the account number (the owner recognises it, a stranger who
    reads the message learns little)."""
    names = [profile.first_name, profile.last_name] if profile.last_name else [profile.company_name]
    initials = " ".join(f"{name[:1].upper()}." for name in names if name)
    return f"{initials or 'A customer'} (customer account ending in {profile.account_number[-3:]})"


class LinkService:
    def __init__(
        self,
        *,
        customers: CustomersRepository,
        verifications: VerificationsRepository,
        logs: LogsRepository,
        auth: AccountAuth,
        notifier: Notifier,
        sms: SmsSender,
        clock: Clock,
        policy: LinkPolicy | None = None,
        captcha: CaptchaCheck | None = None,
    ) -> None:
        self.captcha = captcha  # identity (issue 8): required on code requests when set (the auth handler sets it)
        self.customers = customers
        self.verifications = verifications
        self.logs = logs
        self.auth = auth
        self.notifier = notifier
        self.sms = sms
        self.clock = clock
        self.policy = policy or LinkPolicy()

    def _recent(self, caller: Caller) -> str:
        me = require_customer(caller)
        authorize(caller, Permission.MODIFY)
        if epoch(self.clock.now()) - caller.auth_time > self.policy.recent_auth_seconds:
            raise ReauthenticationRequired()
        return me

    # Proof by credentials ----------------------------------------------------------------------------
    def link(
        self, caller: Caller, identifier: str, password: str, request: RequestInfo, captcha: str | None = None
    ) -> AccountLink:
        """Proof by the other account's password: counted like a login, with the login's CAPTCHA after repeated
        failures (identity, issue 8: 400 captcha_required, the same `captcha` field)."""
        me = self._recent(caller)
        other = self.auth.verify_customer_credentials(identifier, password, request, captcha)
        return self._link(caller, me, other, LinkProof.CREDENTIALS, request)

    # Proof by a code sent to the other account's contact -------------------------------------------------
    def request_code(
        self,
        caller: Caller,
        identifier: str,
        channel: LinkCodeChannel,
        request: RequestInfo,
        captcha_payload: str | None = None,
    ) -> None:
        """Send a code to the contact of the account `identifier` names, if there is one and it has a contact of
        that channel. The same answer, and no sooner than the floor, either way: nothing tells whether the
        account exists. A solved CAPTCHA first, then counted per requester (a full window answers 429 whatever
        the identifier)."""
        me = self._recent(caller)
        if self.captcha is not None:
            self.captcha.require(captcha_payload)
        allowance = self.verifications.count_link_code_request(
            me, epoch(self.clock.now()), self.policy.code_requests_per_window, self.policy.code_request_window_seconds
        )
        if not allowance.allowed:
            count("LinkCodeRequestThrottled")
            raise TooManyRequests(allowance.retry_after)
        # Audited (issue 9) before anything depends on the identifier: the channel, never the account asked for.
        now = self.clock.now()
        self.logs.audit(
            audit_entry(caller, me, "account.link_code.requested", f"link_code#{channel.value}", request, now), now
        )
        started = time.monotonic()
        own = False
        try:
            own = self._send_code(me, identifier, channel, request)
        except Exception as error:  # noqa: BLE001 - the answer must not depend on what happened
            logger.error("link code not sent", extra={"customer_id": me, "error_type": type(error).__name__})
        remaining = self.policy.code_response_floor_ms / 1000 - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        if own:
            # The caller's own identifier: nothing to hide from them.
            raise _own_account()

    def _send_code(self, me: str, identifier: str, channel: LinkCodeChannel, request: RequestInfo) -> bool:
        """Whether the identifier is the requester's own (then nothing is sent)."""
        target = self.auth.find_customer(identifier, request)
        if target == me:
            return True
        if target is None:
            return False
        theirs = self.customers.get_profile(target)
        mine = self.customers.get_profile(me)
        if theirs is None or theirs.terminated_at is not None or mine is None:
            return False
        to = theirs.contact_email if channel is LinkCodeChannel.EMAIL else theirs.contact_mobile
        if not to:
            return False
        code = f"{secrets.randbelow(10**self.policy.code_digits):0{self.policy.code_digits}d}"
        self.verifications.put_link_code(
            PendingLinkCode(
                customer_id=me,
                target_customer_id=target,
                channel=channel,
                code_digest=link_code_digest(me, target, code),
                expires_at=epoch(self.clock.now()) + self.policy.code_seconds,
            )
        )
        who = requester_shown(mine)
        minutes = self.policy.code_seconds // 60
        if channel is LinkCodeChannel.EMAIL:
            self.notifier.send(
                Notification(
                    to=to,
                    kind="account_link_code",
                    subject="A request to link your customer account",
                    body=(
                        f"{who} asks to link your customer account to theirs. Once linked, they can open your "
                        "customer space from theirs.\n\n"
                        f"If you agree, give them this code: {code}\n"
                        f"It works once and expires in {minutes} minutes.\n\n"
                        "If you do not know this request, ignore this message: nothing is linked without the code."
                    ),
                )
            )
        else:
            self.sms.send_sms(
                Sms(
                    to=to,
                    kind="account_link_code",
                    body=f"Selfcare: {who} asks to link your account to theirs. Code {code} (once, {minutes} min). "
                    "Not expected? Ignore this SMS: nothing is linked without the code.",
                )
            )
        logger.info("link code sent", extra={"customer_id": me, "channel": channel.value})
        return False

    def link_with_code(self, caller: Caller, identifier: str, code: str, request: RequestInfo) -> AccountLink:
        """Link the account `identifier` names with the code sent to its contact for this customer: once, before
        expiry, within the attempts. A wrong code, an identifier of another account (or of none) and a spent
        code answer alike, and all but the spent one count as a wrong try."""
        me = self._recent(caller)
        t = epoch(self.clock.now())
        pending = self.verifications.get_link_code(me, t)
        if pending is None or pending.attempts >= self.policy.max_attempts:
            raise InvalidVerificationCode()
        target = self.auth.find_customer(identifier, request)
        if target == me:
            raise _own_account()
        if not hmac.compare_digest(pending.code_digest, link_code_digest(me, target or NO_TARGET, code)):
            self.verifications.count_link_code_failure(pending)
            logger.info("link code refused", extra={"customer_id": me})
            count("LinkCodeRefused")
            raise InvalidVerificationCode()
        return self._link(
            caller,
            me,
            pending.target_customer_id,
            LinkProof.CODE,
            request,
            consume=self.verifications.consume_link_code_op(pending, t),
        )

    # Both proofs: the link itself --------------------------------------------------------------------
    def _link(
        self,
        caller: Caller,
        me: str,
        other: str,
        proof: LinkProof,
        request: RequestInfo,
        consume: RawItem | None = None,
    ) -> AccountLink:
        if other == me:
            raise _own_account()
        mine, theirs = self.customers.get_profile(me), self.customers.get_profile(other)
        if mine is None or theirs is None:
            raise NotFound("No such account.")
        now = self.clock.now()
        at = iso(now)
        side = AccountLink(me, mine.account_number, other, theirs.account_number, at, caller.actor, proof)
        back = AccountLink(other, theirs.account_number, me, mine.account_number, at, caller.actor, proof)
        ops = [
            records.link_put_op(self.customers.table, side),
            records.link_put_op(self.customers.table, back),
            self.logs.audit_op(audit_entry(caller, me, "account.linked", f"customer#{other}", request, now), now),
            self.logs.audit_op(audit_entry(caller, other, "account.linked", f"customer#{me}", request, now), now),
        ]
        try:
            transact([*ops, consume] if consume else ops)
        except ConditionFailed as failed:
            if failed.index is not None and failed.index >= len(ops):
                raise InvalidVerificationCode() from None  # the code was used or counted meanwhile
            raise AlreadyLinked() from None
        logger.info("accounts linked", extra={"customer_id": me, "linked_customer_id": other, "proof": proof.value})
        return side

    def list(self, caller: Caller, request: RequestInfo) -> list[AccountLink]:
        customer_id = authorize(caller, Permission.READ)
        if caller.is_staff:
            now = self.clock.now()
            self.logs.audit(audit_entry(caller, customer_id, "links.viewed", "links", request, now), now)
        return records.links(self.customers.table, customer_id)

    def _mine(self, caller: Caller, account_number: str) -> AccountLink:
        me = require_customer(caller)
        authorize(caller, Permission.MODIFY)
        found = records.link(self.customers.table, me, account_number)
        if found is None:
            raise NotFound("No such linked account.")
        return found

    def switch(self, caller: Caller, account_number: str, request: RequestInfo) -> Tokens:
        """The tokens of a new session of the linked customer (opened by the auth capability)."""
        return self.auth.open_linked_session(caller, self._mine(caller, account_number), request)

    def unlink(self, caller: Caller, account_number: str, request: RequestInfo) -> None:
        """Remove both sides and revoke every session that depends on the link, in the same transaction: the
        sessions switched between the two accounts (both ways), and those switched onward from them. A failure
        changes nothing (retrying the unlink is enough). The link sides and the revoked sessions are conditioned on
        the switches made from them since they were read, and a switch is recorded on its link side and its
        session in its own transaction: a switch that races the unlink fails it, and the unlink starts again (a
        few times, then 409 unlink_interrupted, nothing changed). More sessions than one transaction holds (96):
        the excess is revoked first (same conditions), the link removed last with the rest. Whatever fails, a
        link never disappears while a session depending on it stays alive."""
        for _ in range(self.policy.unlink_attempts):
            found = self._mine(caller, account_number)
            try:
                self._unlink(caller, found, request)
                return
            except ConditionFailed:
                count("UnlinkRetried")
        raise UnlinkInterrupted()

    def _unlink(self, caller: Caller, side: AccountLink, request: RequestInfo) -> None:
        now = self.clock.now()
        me, other = side.customer_id, side.linked_customer_id
        back = records.link(self.customers.table, other, side.account_number)
        revocations = self.auth.linked_session_revocations([side, *([back] if back else [])])
        ops = [
            records.link_delete_op(self.customers.table, side),
            *([records.link_delete_op(self.customers.table, back)] if back else []),
            self.logs.audit_op(audit_entry(caller, me, "account.unlinked", f"customer#{other}", request, now), now),
            self.logs.audit_op(audit_entry(caller, other, "account.unlinked", f"customer#{me}", request, now), now),
        ]
        excess = max(len(revocations) - (MAX_TRANSACTION_ITEMS - len(ops)), 0)
        early, last = revocations[:excess], revocations[excess:]
        for start in range(0, len(early), MAX_TRANSACTION_ITEMS):
            transact(early[start : start + MAX_TRANSACTION_ITEMS])
        transact([*ops, *last])
        logger.info(
            "accounts unlinked",
            extra={"customer_id": me, "linked_customer_id": other, "sessions_revoked": len(revocations)},
        )


def _own_account() -> InvalidInput:
    return InvalidInput([FieldProblem(("body", "identifier"), "This is your own account.", "own_account")])
