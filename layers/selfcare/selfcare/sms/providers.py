"""The register of VAS providers (staff) and the providers' credentials.

Every change is one transaction with its audit entry (subject `sms-provider#<id>`), under a condition on the
record's version. Credentials: a 256-bit random secret, shown once when issued, stored as its SHA-256 (a
random secret of that size needs no slow hash: there is nothing to guess), compared in constant time.
Issuing a new secret replaces the previous one at once (rotation). Every provider request reads the record
(strongly consistent, no cache), so a suspension or the end of the contract refuses the very next call.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from selfcare.api.context import RequestInfo
from selfcare.auth.models import AuditEntry
from selfcare.auth.policy import Caller, require_staff
from selfcare.clock import Clock, iso
from selfcare.dal.dynamo import ConditionFailed
from selfcare.dal.logs import LogsRepository
from selfcare.dal.sms import SmsRepository
from selfcare.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ProviderCredentialsRefused,
    ProviderEnded,
    ProviderNotAllowed,
)
from selfcare.sms.models import Provider, ProviderStatus
from selfcare.sms.policy import REGISTER_KEEPERS, REGISTER_READERS, provider_refusal

AUTH_SCHEME = "SmsProvider"


def subject_of(provider_id: str) -> str:
    return f"sms-provider#{provider_id}"


def audit_entry(actor: str, provider_id: str, action: str, request: RequestInfo, now: datetime) -> AuditEntry:
    return AuditEntry(
        actor=actor,
        on_behalf_of=subject_of(provider_id),
        action=action,
        target=f"sms_provider:{provider_id}",
        at=iso(now),
        request_id=request.request_id,
    )


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class ProviderDraft:
    legal_name: str
    declaration_number: str
    contract_reference: str
    contract_start: str
    contract_end: str | None
    sender_ids: tuple[str, ...]
    opt_out_number: str
    throughput_per_second: int


@dataclass(frozen=True)
class IssuedCredentials:
    provider_id: str
    secret: str  # shown once
    issued_at: str


class RegisterService:
    def __init__(self, *, repository: SmsRepository, logs: LogsRepository, clock: Clock) -> None:
        self.repository = repository
        self.logs = logs
        self.clock = clock

    def _keeper(self, caller: Caller) -> None:
        if require_staff(caller) not in REGISTER_KEEPERS:
            raise Forbidden("Your role does not keep the register of SMS providers.")

    def _reader(self, caller: Caller) -> None:
        if require_staff(caller) not in REGISTER_READERS:
            raise Forbidden("Your role does not read the register of SMS providers.")

    def _get(self, provider_id: str) -> Provider:
        provider = self.repository.provider(provider_id)
        if provider is None or provider.is_operator:
            raise NotFound("No such SMS provider.")
        return provider

    def _save(
        self, caller_actor: str, provider: Provider, previous: Provider | None, action: str, request: RequestInfo
    ) -> Provider:
        now = self.clock.now()
        saved = replace(provider, updated_at=iso(now), version=(previous.version + 1) if previous else 1)
        audit = self.logs.audit_op(audit_entry(caller_actor, provider.provider_id, action, request, now), now)
        try:
            self.repository.save_provider(saved, previous.version if previous else None, audit)
        except ConditionFailed as error:
            raise Conflict("The provider changed meanwhile: read it again.") from error
        return saved

    def list(self, caller: Caller) -> list[Provider]:
        self._reader(caller)
        return sorted((p for p in self.repository.providers() if not p.is_operator), key=lambda p: p.provider_id)

    def get(self, caller: Caller, provider_id: str) -> Provider:
        self._reader(caller)
        return self._get(provider_id)

    def register(self, caller: Caller, draft: ProviderDraft, request: RequestInfo) -> Provider:
        self._keeper(caller)
        now = self.clock.now()
        provider = Provider(
            provider_id=f"P{uuid.uuid4().hex[:11]}",
            status=ProviderStatus.ACTIVE,
            created_at=iso(now),
            **draft.__dict__,
        )
        return self._save(caller.actor, provider, None, "sms_provider.registered", request)

    def update(self, caller: Caller, provider_id: str, draft: ProviderDraft, request: RequestInfo) -> Provider:
        self._keeper(caller)
        current = self._get(provider_id)
        if current.status is ProviderStatus.ENDED:
            raise ProviderEnded()
        changed = replace(current, **draft.__dict__)
        return self._save(caller.actor, changed, current, "sms_provider.updated", request)

    def suspend(self, caller: Caller, provider_id: str, reason: str, request: RequestInfo) -> Provider:
        self._keeper(caller)
        current = self._get(provider_id)
        if current.status is ProviderStatus.ENDED:
            raise ProviderEnded()
        changed = replace(current, status=ProviderStatus.SUSPENDED, status_reason=reason)
        return self._save(caller.actor, changed, current, "sms_provider.suspended", request)

    def reinstate(self, caller: Caller, provider_id: str, request: RequestInfo) -> Provider:
        self._keeper(caller)
        current = self._get(provider_id)
        if current.status is ProviderStatus.ENDED:
            raise ProviderEnded()
        changed = replace(current, status=ProviderStatus.ACTIVE, status_reason=None)
        return self._save(caller.actor, changed, current, "sms_provider.reinstated", request)

    def end(self, caller: Caller, provider_id: str, reason: str, request: RequestInfo) -> Provider:
        self._keeper(caller)
        current = self._get(provider_id)
        if current.status is ProviderStatus.ENDED:
            raise ProviderEnded()
        changed = replace(current, status=ProviderStatus.ENDED, status_reason=reason, secret_hash=None)
        return self._save(caller.actor, changed, current, "sms_provider.ended", request)

    def issue_credentials(self, caller: Caller, provider_id: str, request: RequestInfo) -> IssuedCredentials:
        """A new secret (the previous one, if any, stops working at once)."""
        self._keeper(caller)
        current = self._get(provider_id)
        if current.status is ProviderStatus.ENDED:
            raise ProviderEnded()
        secret = secrets.token_urlsafe(32)
        now = self.clock.now()
        changed = replace(current, secret_hash=hash_secret(secret), credential_rotated_at=iso(now))
        action = "sms_provider.credentials_rotated" if current.secret_hash else "sms_provider.credentials_issued"
        self._save(caller.actor, changed, current, action, request)
        return IssuedCredentials(provider_id, secret, iso(now))


def parse_authorization(header: str | None) -> tuple[str, str]:
    """`SmsProvider <id>:<secret>` -> (id, secret), else ProviderCredentialsRefused."""
    if not header:
        raise ProviderCredentialsRefused()
    scheme, _, value = header.strip().partition(" ")
    provider_id, colon, secret = value.strip().partition(":")
    if scheme != AUTH_SCHEME or not colon or not provider_id or not secret:
        raise ProviderCredentialsRefused()
    return provider_id, secret


class ProviderAuthenticator:
    def __init__(self, *, repository: SmsRepository, clock: Clock) -> None:
        self.repository = repository
        self.clock = clock

    def authenticate(self, header: str | None) -> Provider:
        """The calling provider, read now: refused when the secret is wrong or rotated (401), or when the
        provider is suspended, ended or outside its contract's dates (403), at the very next request."""
        provider_id, secret = parse_authorization(header)
        provider = self.repository.provider(provider_id)
        expected = provider.secret_hash if provider and not provider.is_operator else None
        if not expected or not hmac.compare_digest(expected, hash_secret(secret)):
            raise ProviderCredentialsRefused()
        assert provider is not None
        if provider_refusal(provider, self.clock.now()) is not None:
            raise ProviderNotAllowed()
        return provider
