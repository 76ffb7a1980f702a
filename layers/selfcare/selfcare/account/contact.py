"""Contact details and postal address: changed by the customer (or staff who may modify), audited,
published to the CRM, and notified to the previous address or number.

Email and mobile take effect only once the code sent to the NEW address or number is confirmed: single
use, short expiry, stored as a digest, attempts limited. Landline and postal address take effect at once.
Every change needs a recent authentication (the caller's auth_time).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from selfcare.account.common import audit_entry, crm_event, mask_email, mask_phone
from selfcare.account.models import Address, ContactKind, CustomerProfile, PendingContactChange
from selfcare.api.context import RequestInfo
from selfcare.auth.models import AuditEntry
from selfcare.auth.policy import Caller, Permission, authorize
from selfcare.clock import Clock, epoch
from selfcare.dal import account as records
from selfcare.dal.crm_outbox import outbox_put_op
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.dynamo import ConditionFailed, RawItem, transact
from selfcare.dal.login_keys import CustomerLoginKeys, KeyMove
from selfcare.dal.logs import LogsRepository
from selfcare.dal.verifications import VerificationsRepository
from selfcare.errors import (
    FieldProblem,
    IdentifierTaken,
    InvalidInput,
    InvalidVerificationCode,
    MonacoAddressRefused,
    NotFound,
    ReauthenticationRequired,
)
from selfcare.identifiers import IdentifierKind, normalize_email, normalize_phone
from selfcare.observability import logger
from selfcare.ports.crm_events import CrmEvent
from selfcare.ports.notifications import Notification, Notifier, Sms, SmsSender

MONACO = "MC"
MONACO_POSTAL_PREFIX = "980"


@dataclass(frozen=True)
class ContactPolicy:
    recent_auth_seconds: int = 5 * 60
    code_seconds: int = 10 * 60
    code_digits: int = 6
    max_attempts: int = 5


@dataclass(frozen=True)
class CodeSent:
    expires_in: int
    sent_to: str  # masked


def in_monaco(address: Address) -> bool:
    postal = address.postal_code.replace(" ", "")
    return address.country.upper() == MONACO or postal.startswith(MONACO_POSTAL_PREFIX)


def code_digest(kind: ContactKind, customer_id: str, code: str) -> str:
    # Bound to the customer and kind: the same code means nothing for another pending change.
    return hashlib.sha256(f"{kind.value}:{customer_id}:{code}".encode()).hexdigest()


class ContactService:
    def __init__(
        self,
        *,
        customers: CustomersRepository,
        verifications: VerificationsRepository,
        logs: LogsRepository,
        notifier: Notifier,
        sms: SmsSender,
        clock: Clock,
        policy: ContactPolicy,
        login_keys: CustomerLoginKeys | None = None,
    ) -> None:
        self.login_keys = login_keys or CustomerLoginKeys(customers.table)  # identity (issue 8)
        self.customers = customers
        self.verifications = verifications
        self.logs = logs
        self.notifier = notifier
        self.sms = sms
        self.clock = clock
        self.policy = policy

    def _authorize_change(self, caller: Caller) -> str:
        customer_id = authorize(caller, Permission.MODIFY)
        if epoch(self.clock.now()) - caller.auth_time > self.policy.recent_auth_seconds:
            raise ReauthenticationRequired()
        return customer_id

    def _profile(self, customer_id: str) -> CustomerProfile:
        profile = self.customers.get_profile(customer_id)
        if profile is None or profile.terminated_at is not None:
            raise NotFound("No such account.")
        return profile

    # Email and mobile: a code to the new address ---------------------------------------------------
    def request_email_change(self, caller: Caller, new_email: str, request: RequestInfo | None = None) -> CodeSent:
        customer_id = self._authorize_change(caller)
        email = normalize_email(new_email)
        self._profile(customer_id)
        code = self._new_code()
        minutes = self.policy.code_seconds // 60
        # Sent first, stored after: an address the provider refuses (EmailAddressRefused, 422) leaves no code.
        self.notifier.send(
            Notification(
                to=email,
                kind="contact_email_code",
                subject="Confirm your new contact email",
                body=(
                    f"Your confirmation code: {code}\n\n"
                    f"Enter it in your customer space within {minutes} minutes to make this address your "
                    "contact email. It works once. If you did not ask for it, ignore this message."
                ),
            )
        )
        self._store_code(ContactKind.EMAIL, customer_id, email, code)
        logger.info("contact change code sent", extra={"kind": "email", "customer_id": customer_id})
        self._audit_code_request(caller, customer_id, ContactKind.EMAIL, request)
        return CodeSent(expires_in=self.policy.code_seconds, sent_to=mask_email(email))

    def request_mobile_change(self, caller: Caller, new_mobile: str, request: RequestInfo | None = None) -> CodeSent:
        customer_id = self._authorize_change(caller)
        mobile = _phone(new_mobile, "mobile")
        self._profile(customer_id)
        code = self._new_code()
        minutes = self.policy.code_seconds // 60
        self.sms.send_sms(
            Sms(
                to=mobile,
                kind="contact_mobile_code",
                body=f"Selfcare: your code is {code}. It confirms this number as your contact mobile; "
                f"valid {minutes} min, once.",
            )
        )
        self._store_code(ContactKind.MOBILE, customer_id, mobile, code)
        logger.info("contact change code sent", extra={"kind": "mobile", "customer_id": customer_id})
        self._audit_code_request(caller, customer_id, ContactKind.MOBILE, request)
        return CodeSent(expires_in=self.policy.code_seconds, sent_to=mask_phone(mobile))

    def _audit_code_request(
        self, caller: Caller, customer_id: str, kind: ContactKind, request: RequestInfo | None
    ) -> None:
        """Code requests are audited (issue 9): which contact, never the address the code went to."""
        now = self.clock.now()
        unknown = RequestInfo(request_id="unknown", source_ip="unknown", user_agent=None)
        entry = audit_entry(
            caller,
            customer_id,
            f"contact.{kind.value}.code_requested",
            f"contact_{kind.value}",
            request or unknown,
            now,
        )
        self.logs.audit(entry, now)

    def _new_code(self) -> str:
        return f"{secrets.randbelow(10**self.policy.code_digits):0{self.policy.code_digits}d}"

    def _store_code(self, kind: ContactKind, customer_id: str, value: str, code: str) -> None:
        """Stored only once the code has gone out: a refused send keeps nothing."""
        expires_at = epoch(self.clock.now()) + self.policy.code_seconds
        self.verifications.put(
            PendingContactChange(
                customer_id=customer_id,
                kind=kind,
                value=value,
                code_digest=code_digest(kind, customer_id, code),
                expires_at=expires_at,
            )
        )

    def confirm(self, caller: Caller, kind: ContactKind, code: str, request: RequestInfo) -> CustomerProfile:
        """Apply the pending change if `code` is its code: once, before expiry, within the attempts."""
        customer_id = authorize(caller, Permission.MODIFY)
        now = self.clock.now()
        t = epoch(now)
        pending = self.verifications.get(kind, customer_id, t)
        if pending is None or pending.attempts >= self.policy.max_attempts:
            raise InvalidVerificationCode()
        if not hmac.compare_digest(pending.code_digest, code_digest(kind, customer_id, code)):
            self.verifications.count_failure(pending)
            logger.info("contact change code refused", extra={"kind": kind.value, "customer_id": customer_id})
            raise InvalidVerificationCode()
        profile = self._profile(customer_id)
        attribute = "contact_email" if kind is ContactKind.EMAIL else "contact_mobile"
        event_type = "ContactEmailChanged" if kind is ContactKind.EMAIL else "ContactMobileChanged"
        event = crm_event(event_type, customer_id, now, caller, **{attribute: pending.value})
        move = self._login_key_move(profile, kind, pending.value)  # identity (issue 8): the login key follows
        try:
            transact(
                [
                    self.verifications.consume_op(pending, t),
                    records.contact_update_op(self.customers.table, customer_id, attribute, pending.value),
                    self.logs.audit_op(
                        audit_entry(caller, customer_id, f"contact.{kind.value}.changed", attribute, request, now), now
                    ),
                    outbox_put_op(self.customers.table, event, now),
                    *move.operations,
                ]
            )
        except ConditionFailed as failed:
            if failed.index == 1:
                raise NotFound("No such account.") from None
            if move.claim_index is not None and failed.index == 4 + move.claim_index:
                raise IdentifierTaken() from None  # the new address is another customer's login key
            raise InvalidVerificationCode() from None
        previous = profile.contact_email if kind is ContactKind.EMAIL else profile.contact_mobile
        if kind is ContactKind.EMAIL:
            self._tell_previous_email(previous, "contact email", mask_email(pending.value))
        else:
            if previous and previous != pending.value:
                self.sms.send_sms(
                    Sms(
                        to=previous,
                        kind="contact_mobile_changed",
                        body="Selfcare: your contact mobile was changed to "
                        f"{mask_phone(pending.value)}. Not you? Call customer service.",
                    )
                )
        return self.customers_profile_after(profile, attribute, pending.value)

    def _login_key_move(self, profile: CustomerProfile, kind: ContactKind, value: str) -> KeyMove:
        if kind is ContactKind.EMAIL:
            return self.login_keys.contact_move(
                profile.customer_id, profile.account_number, IdentifierKind.EMAIL, profile.contact_email, value
            )
        numbers = self.login_keys.line_numbers(profile.customer_id)
        return self.login_keys.contact_move(
            profile.customer_id, profile.account_number, IdentifierKind.PHONE, profile.contact_mobile, value, numbers
        )

    # Landline and postal address: at once -------------------------------------------------------
    def change_landline(self, caller: Caller, landline: str, request: RequestInfo) -> CustomerProfile:
        customer_id = self._authorize_change(caller)
        number = _phone(landline, "landline")
        now = self.clock.now()
        profile = self._profile(customer_id)
        self._write(
            records.contact_update_op(self.customers.table, customer_id, "contact_landline", number),
            audit_entry(caller, customer_id, "contact.landline.changed", "contact_landline", request, now),
            crm_event("ContactLandlineChanged", customer_id, now, caller, contact_landline=number),
        )
        self._tell_previous_email(profile.contact_email, "contact landline", mask_phone(number))
        return self.customers_profile_after(profile, "contact_landline", number)

    def change_address(self, caller: Caller, address: Address, request: RequestInfo) -> CustomerProfile:
        customer_id = self._authorize_change(caller)
        if in_monaco(address):
            loc = ("body", "country") if address.country.upper() == MONACO else ("body", "postal_code")
            raise MonacoAddressRefused(
                [FieldProblem(loc, "An address in Monaco comes from the operator's records.", "monaco_address")]
            )
        now = self.clock.now()
        profile = self._profile(customer_id)
        if in_monaco(profile.address):
            # The current address is the operator's record: moving out of Monaco goes through customer service.
            raise MonacoAddressRefused(
                [FieldProblem(("body",), "The current address is in Monaco: the operator's records.", "monaco_address")]
            )
        self._write(
            records.address_update_op(self.customers.table, customer_id, address),
            audit_entry(caller, customer_id, "address.changed", "address", request, now),
            crm_event(
                "PostalAddressChanged",
                customer_id,
                now,
                caller,
                address={k: v for k, v in vars(address).items() if v is not None},
            ),
        )
        self._tell_previous_email(profile.contact_email, "postal address", f"{address.city} ({address.country})")
        return CustomerProfile(**{**vars(profile), "address": address})

    def _write(self, change: RawItem, entry: AuditEntry, event: CrmEvent) -> None:
        """The change, its audit entry and its event for the CRM (the outbox): all or nothing."""
        now = self.clock.now()
        try:
            transact([change, self.logs.audit_op(entry, now), outbox_put_op(self.customers.table, event, now)])
        except ConditionFailed:
            raise NotFound("No such account.") from None

    def _tell_previous_email(self, previous: str | None, what: str, now_shown: str) -> None:
        if not previous:
            return
        self.notifier.send(
            Notification(
                to=previous,
                kind="contact_changed",
                subject=f"Your {what} was changed",
                body=(
                    f"The {what} of your customer space was changed to {now_shown}.\n\n"
                    "If you did not make this change, call customer service at once."
                ),
            )
        )

    @staticmethod
    def customers_profile_after(profile: CustomerProfile, attribute: str, value: str) -> CustomerProfile:
        return CustomerProfile(**{**vars(profile), attribute: value})


def _phone(raw: str, field: str) -> str:
    number = normalize_phone(raw)
    if number is None:
        raise InvalidInput([FieldProblem(("body", field), "Not a valid phone number.", "phone_number")])
    return number
