"""Domain exceptions. Mapped to HTTP in one place: selfcare.api.errors.

Logic raises these; handlers never build error responses by hand and nothing branches on an
error's message text. `code` is the stable, documented error code of the API.
"""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    code = "error"
    message = "The request could not be processed."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message


class NotFound(DomainError):
    code = "not_found"
    message = "Not found."


class InvalidCredentials(DomainError):
    """Wrong identifier or password, unknown account or locked account: one answer for all."""

    code = "invalid_credentials"
    message = "The identifier or the password is not correct."


class Unauthenticated(DomainError):
    code = "unauthorized"
    message = "Missing or invalid credentials."


class InvalidRefreshToken(DomainError):
    code = "invalid_refresh_token"
    message = "The refresh token is not valid."


class InvalidRecoveryToken(DomainError):
    code = "invalid_recovery_token"
    message = "The recovery token is not valid or has expired."


class ReauthenticationRequired(DomainError):
    code = "reauthentication_required"
    message = "This action needs a recent authentication: call POST /auth/reauthenticate first."


class Forbidden(DomainError):
    code = "forbidden"
    message = "Your role does not allow this action."


class AssistedAccessRequired(Forbidden):
    code = "assisted_access_required"
    message = "Staff reach a customer's space only through an assisted-access grant."


class IncidentGrantRequired(Forbidden):
    code = "incident_grant_required"
    message = "Logs are read under an assisted-access grant that names an incident (INC-...)."


class PasswordChangeRequired(Forbidden):
    code = "password_change_required"
    message = "Your password has expired: change it before anything else."


class AccountClosed(DomainError):
    """Retention: the customer's space is closed (1 month after the end of the contract), for everyone."""

    code = "account_closed"
    message = "This customer space is closed: the contract ended more than a month ago."


class Conflict(DomainError):
    code = "conflict"
    message = "The request conflicts with the current state."


class UnlinkInterrupted(Conflict):
    code = "unlink_interrupted"
    message = "Switches between these accounts kept happening during the unlink: try again."


class IdentifierTaken(Conflict):
    code = "identifier_taken"
    message = "This login identifier is already in use."


class TooManyRequests(DomainError):
    code = "too_many_requests"
    message = "Too many attempts: try again later."

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__()
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class FieldProblem:
    loc: tuple[str | int, ...]
    message: str
    type: str


class InvalidInput(DomainError):
    """A value that is well-formed but refused by a business rule (422 with its location)."""

    code = "validation_error"
    message = "The request is not valid."

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__()
        self.problems = problems


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    message = "The request body is too large."


class ProvisioningUnavailable(DomainError):
    """The network provisioning system failed transiently (timeout, unavailable): retry later."""

    code = "provisioning_unavailable"
    message = "The network could not apply the change now: try again later."


class ProvisioningRefused(DomainError):
    """The network provisioning system refused the change for good."""

    code = "provisioning_refused"
    message = "The network refused the change."


class LineNotActive(Conflict):
    """The line is not in the state the action needs (already suspended, not suspended, ...)."""

    code = "line_not_active"
    message = "The line is not in a state that allows this action."


class WorkflowInProgress(Conflict):
    """Another workflow (suspension or reactivation) is under way on the line."""

    code = "workflow_in_progress"
    message = "Another change of this line's status is in progress: check its workflow, then try again."


class IccidInUse(Conflict):
    """One SIM, one line: the ICCID is already held by a line (any customer's)."""

    code = "iccid_in_use"
    message = "This SIM card is already in use."


# Bills and payments ----------------------------------------------------------------------------
class PaymentDeclined(DomainError):
    code = "payment_declined"
    message = "The payment provider declined the payment: nothing was charged."


class PaymentProviderUnavailable(DomainError):
    code = "payment_provider_unavailable"
    message = (
        "The payment provider did not answer in time: the payment stays pending. Try again: "
        "it will not be charged twice."
    )


class NothingToPay(Conflict):
    code = "nothing_to_pay"
    message = "There is no amount due."


class WebhookRefused(Unauthenticated):
    """A provider webhook with a missing, forged or stale signature."""

    code = "webhook_refused"
    message = "The webhook's signature is missing, not valid or too old."


class WebhookReplayed(Conflict):
    code = "webhook_replayed"
    message = "This webhook was already processed."


class InvalidVerificationCode(DomainError):
    """A contact-change code that is wrong, used, expired or past its attempts: one answer for all."""

    code = "invalid_verification_code"
    message = "The code is not valid or has expired: request a new one."


class MonacoAddressRefused(InvalidInput):
    """Postal addresses in Monaco come from the operator's records: the space never changes them."""

    code = "monaco_address_managed_by_operator"
    message = "Addresses in Monaco come from the operator's records and cannot be changed here: call customer service."


class AlreadyLinked(Conflict):
    code = "already_linked"
    message = "These accounts are already linked."


class IdempotencyKeyReused(InvalidInput):
    """The key of an earlier creation, sent with another request: refused (the IETF Idempotency-Key draft's 422)."""

    code = "idempotency_key_reused"
    message = "This Idempotency-Key was used for another request: use a new key for a new ticket."

    def __init__(self) -> None:
        super().__init__(
            [
                FieldProblem(
                    ("header", "Idempotency-Key"), "Already used with another request.", "idempotency_key_reused"
                )
            ]
        )


# The contract (issue 12): requests that cannot be read, and a provider's refusal of an address ------
class BadRequest(DomainError):
    """A body that cannot be parsed safely (nested deeper than the parser goes, an integer past 4,300 digits)."""

    code = "bad_request"
    message = "The request body cannot be read: it is nested too deeply or holds a number too long."


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    message = "Send the request body as JSON, with Content-Type: application/json."


class EmailAddressRefused(InvalidInput):
    """The email provider refused to send to the address (SES MessageRejected & co): nothing was kept."""

    code = "email_address_refused"
    message = "The email provider refused this address: check it or use another one. Nothing was changed."

    def __init__(self, field: str = "email") -> None:
        super().__init__([FieldProblem(("body", field), "Refused by the email provider.", "email_address_refused")])


# Identity (issue 8): CAPTCHA and activation ---------------------------------------------------------------
class CaptchaRequired(DomainError):
    """A solved CAPTCHA (GET /auth/captcha) is needed, or the one given is missing, forged, expired, of another
    difficulty or already used: one answer for all, saying nothing of any account."""

    code = "captcha_required"
    message = "Solve a new CAPTCHA challenge (GET /auth/captcha) and send its solution."


class InvalidActivationCode(DomainError):
    """An activation code that is wrong, used, expired or past its attempts: one answer for all."""

    code = "invalid_activation_code"
    message = "The activation code is not valid or has expired: ask for a new one."


# Digital-identity login (OpenID Connect) and staff from the directory ------------------------------------
class InvalidAuthorizationState(DomainError):
    """A callback whose `state` is unknown, already used, expired, or of another flow: start again."""

    code = "invalid_authorization_state"
    message = "This sign-in attempt is unknown, already used or expired: start again."


class DigitalIdentityRefused(Unauthenticated):
    """The provider refused the code (unknown, replayed, expired, wrong verifier), or its ID token failed a check
    (signature, issuer, audience, dates, nonce). The reason code goes to the logs, never to the caller."""

    code = "digital_identity_refused"
    message = "The identity provider's answer could not be verified: start again."


class AssuranceLevelTooLow(Unauthenticated):
    code = "assurance_level_too_low"
    message = "This sign-in method's level of assurance is too low: use one of a higher level."


class IdentityProviderUnavailable(DomainError):
    code = "identity_provider_unavailable"
    message = "The identity provider did not answer: try again later."


class InvalidLinkTicket(DomainError):
    code = "invalid_link_ticket"
    message = "The link ticket is not valid or has expired: sign in with the digital identity again."


class DigitalIdentityAlreadyLinked(Conflict):
    code = "digital_identity_already_linked"
    message = "This account or this digital identity is already linked."


class NotInDirectory(Forbidden):
    """Signed in at the operator's identity provider, but in no group that maps to a Selfcare role."""

    code = "staff_role_not_granted"
    message = "Your directory groups give you no role in Selfcare."


# Commercial SMS governance ---------------------------------------------------------------------
class ProviderCredentialsRefused(Unauthenticated):
    """A provider API call without valid provider credentials (unknown provider, wrong or rotated secret)."""

    code = "provider_credentials_refused"
    message = "Send `Authorization: SmsProvider <provider id>:<secret>` with the provider's current secret."


class ProviderNotAllowed(Forbidden):
    """The provider is suspended, its contract ended or is not in force: every call is refused at once."""

    code = "provider_not_allowed"
    message = "This provider may not send: it is suspended, or its contract is not in force."


class CampaignNotDraft(Conflict):
    code = "campaign_not_draft"
    message = "The campaign was started already, or has no recipients yet."


class ProviderEnded(Conflict):
    code = "provider_ended"
    message = "The provider's contract ended: its record can no longer change."


# Staff grants bound to an open incident (issue 8, section 4): the operator's incident tracker ------------------
class IncidentTrackerUnavailable(DomainError):
    """The incident tracker could not say whether the incident is open (unreachable, timeout, unreadable answer,
    or not configured): what needs an open incident is refused (fail closed). The reason code goes to the logs."""

    code = "incident_tracker_unavailable"
    message = "The incident tracker could not confirm that the incident is open: try again later."
