"""Response models of the account capability (the HTTP boundary)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    Tag,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from selfcare.account.consents import ConsentState
from selfcare.account.contact import CodeSent
from selfcare.account.models import (
    AccountLink,
    Address,
    ConsentChannel,
    ConsentPurpose,
    ConsentRecord,
    CustomerProfile,
    CustomerType,
    LinkCodeChannel,
    LinkProof,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketStatus,
)
from selfcare.api.schema import Schema
from selfcare.auth.core import Tokens
from selfcare.auth.schemas import LoginCaptcha
from selfcare.types import EmailAddress, ItemId, LineId, Password


class AddressView(Schema):
    line1: str
    line2: str | None = None
    postal_code: str
    city: str
    country: str = Field(description="ISO 3166-1 alpha-2")


class SalesRepresentativeView(Schema):
    name: str
    email: str | None = None
    phone: str | None = None


class AccountView(Schema):
    account_number: str
    customer_type: CustomerType
    last_name: str | None
    first_name: str | None
    company_name: str | None
    trade_name: str | None
    address: AddressView
    sales_representative: SalesRepresentativeView | None
    contact_email: str | None
    contact_mobile: str | None
    contact_landline: str | None
    service_secret_code: str = Field(description="Customer-service secret code")

    @staticmethod
    def of(profile: CustomerProfile) -> AccountView:
        rep = profile.sales_representative
        return AccountView(
            account_number=profile.account_number,
            customer_type=profile.customer_type,
            last_name=profile.last_name,
            first_name=profile.first_name,
            company_name=profile.company_name,
            trade_name=profile.trade_name,
            address=AddressView(**vars(profile.address)),
            sales_representative=SalesRepresentativeView(name=rep.name, email=rep.email, phone=rep.phone)
            if rep
            else None,
            contact_email=profile.contact_email,
            contact_mobile=profile.contact_mobile,
            contact_landline=profile.contact_landline,
            service_secret_code=profile.service_secret_code,
        )


# Changes ---------------------------------------------------------------------------------------
class Command(Schema):
    """Base of every write request: unknown fields are refused (422 with their location)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")


class EmailChangeRequest(Command):
    email: EmailAddress = Field(description="The new contact email (checked as mail systems do)")


class MobileChangeRequest(Command):
    mobile: str = Field(min_length=4, max_length=32, description="The new contact mobile (E.164 or national form)")


class LandlineChangeRequest(Command):
    landline: str = Field(min_length=4, max_length=32, description="The new contact landline (E.164 or national)")


class CodeConfirmation(Command):
    code: str = Field(pattern=r"^[0-9]{6}$", description="The code sent to the new address or number")


class CodeSentView(Schema):
    message: str
    sent_to: str = Field(description="The new address or number, masked")
    expires_in: int = Field(description="Seconds the code stays valid")

    @staticmethod
    def of(sent: CodeSent, what: str) -> CodeSentView:
        return CodeSentView(
            message=f"A code was sent to the new {what}: confirm it to apply the change.",
            sent_to=sent.sent_to,
            expires_in=sent.expires_in,
        )


class AddressChangeRequest(Command):
    line1: str = Field(min_length=1, max_length=120)
    line2: str | None = Field(None, max_length=120)
    postal_code: str = Field(min_length=2, max_length=12, pattern=r"^[A-Za-z0-9 -]+$")
    city: str = Field(min_length=1, max_length=80)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2; MC is refused (operator's records)")

    def address(self) -> Address:
        return Address(
            line1=self.line1, line2=self.line2, postal_code=self.postal_code, city=self.city, country=self.country
        )


# Consents --------------------------------------------------------------------------------------
class ConsentRequest(Command):
    granted: StrictBool = Field(description="true: subscribe / consent; false: unsubscribe / refuse")
    channel: ConsentChannel | None = Field(
        None, description="Staff only: how the customer expressed it (default phone). Customers: always web."
    )


class ConsentRecordView(Schema):
    purpose: ConsentPurpose
    granted: bool
    at: str
    channel: ConsentChannel
    set_by: str = Field(description="customer#<id> or staff#<id>")

    @staticmethod
    def of(record: ConsentRecord) -> ConsentRecordView:
        return ConsentRecordView(
            purpose=record.purpose,
            granted=record.granted,
            at=record.at,
            channel=record.channel,
            set_by=record.set_by,
        )


class ConsentView(Schema):
    purpose: ConsentPurpose
    granted: bool = Field(description="The latest decision; false when none was ever recorded")
    since: str | None
    channel: ConsentChannel | None
    set_by: str | None

    @staticmethod
    def of(state: ConsentState) -> ConsentView:
        latest = state.latest
        return ConsentView(
            purpose=state.purpose,
            granted=state.granted,
            since=latest.at if latest else None,
            channel=latest.channel if latest else None,
            set_by=latest.set_by if latest else None,
        )


class ConsentsView(Schema):
    consents: list[ConsentView]


class ConsentHistoryView(Schema):
    records: list[ConsentRecordView] = Field(description="Newest first")


# Tickets ---------------------------------------------------------------------------------------
class TicketRequest(Command):
    category: TicketCategory
    subject: str = Field(min_length=3, max_length=120)
    description: str = Field(min_length=1, max_length=4000)
    related_line_id: LineId | None = None
    related_invoice_id: ItemId | None = None


class TicketStatusChangeView(Schema):
    status: TicketStatus
    at: str


class TicketNoteView(Schema):
    at: str
    author: str
    text: str


class TicketSummaryView(Schema):
    ticket_id: str
    category: TicketCategory
    subject: str
    status: TicketStatus
    channel: TicketChannel
    created_at: str
    related_line_id: str | None
    related_invoice_id: str | None

    @staticmethod
    def of(ticket: Ticket) -> TicketSummaryView:
        return TicketSummaryView(
            ticket_id=ticket.ticket_id,
            category=ticket.category,
            subject=ticket.subject,
            status=ticket.status,
            channel=ticket.channel,
            created_at=ticket.created_at,
            related_line_id=ticket.related_line_id,
            related_invoice_id=ticket.related_invoice_id,
        )


class TicketView(TicketSummaryView):
    description: str
    history: list[TicketStatusChangeView]
    notes: list[TicketNoteView]

    @staticmethod
    def of(ticket: Ticket) -> TicketView:
        return TicketView(
            **TicketSummaryView.of(ticket).model_dump(),
            description=ticket.description,
            history=[TicketStatusChangeView(status=h.status, at=h.at) for h in ticket.history],
            notes=[TicketNoteView(at=n.at, author=n.author, text=n.text) for n in ticket.notes],
        )


class TicketListView(Schema):
    tickets: list[TicketSummaryView]


# Account unification -----------------------------------------------------------------------------
IDENTIFIER_DESCRIPTION = "The other account's login id, email, phone or account number"


class LinkWithPassword(Command):
    """Proof of control of the other account: its password (checked and counted like a login)."""

    identifier: str = Field(min_length=1, max_length=254, description=IDENTIFIER_DESCRIPTION)
    password: Password = Field(description="The other account's password (proof of control; counted like a login)")
    # Identity (issue 8): the login's CAPTCHA after repeated failures (400 captcha_required).
    captcha: LoginCaptcha = None


class LinkWithCode(Command):
    """Proof of control of the other account: the code sent to its contact (POST /account/links/codes)."""

    identifier: str = Field(
        min_length=1, max_length=254, description=f"{IDENTIFIER_DESCRIPTION}: the one the code was asked for"
    )
    code: str = Field(pattern=r"^[0-9]{6}$", description="The code sent to the other account's contact")


_PROOFS = ("password", "code")


def _proof_of(value: Any) -> str:
    return "code" if isinstance(value, LinkWithCode) or (isinstance(value, dict) and "code" in value) else "password"


def _one_proof(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Exactly one of password and code, with the error at both fields' locations otherwise (the union's own
    errors would carry its tags in their locations)."""
    if not isinstance(value, dict):
        if isinstance(value, LinkWithPassword | LinkWithCode):
            return handler(value)
        raise PydanticCustomError("model_type", "Input should be an object with a password or a code")
    sent = [name for name in _PROOFS if name in value]
    if len(sent) == 1:
        return (LinkWithCode if sent == ["code"] else LinkWithPassword).model_validate(value)
    message = "Send the password or the code, not both." if sent else "Send the password or the code."
    raise ValidationError.from_exception_data(
        "LinkRequest",
        [
            InitErrorDetails(type=PydanticCustomError("one_proof", message), loc=(name,), input=value)
            for name in _PROOFS
        ],
    )


# oneOf in the document; validated by `_one_proof`.
LinkRequest = Annotated[
    Annotated[LinkWithPassword, Tag("password")] | Annotated[LinkWithCode, Tag("code")],
    Discriminator(_proof_of),
    WrapValidator(_one_proof),
]


class LinkCodeRequest(Command):
    identifier: str = Field(min_length=1, max_length=254, description=IDENTIFIER_DESCRIPTION)
    channel: LinkCodeChannel = Field(description="email: its contact email; sms: its contact mobile")
    # Identity (issue 8): checked after the caller's rights, so a missing one answers 400 captcha_required.
    captcha: str | None = Field(
        None, max_length=4096, description="The solved CAPTCHA (GET /auth/captcha): base64 JSON {challenge, solution}"
    )


class LinkCodeAcceptedView(Schema):
    message: str
    expires_in: int = Field(description="Seconds a code stays valid, if one was sent")


class LinkView(Schema):
    account_number: str = Field(description="The linked account's number")
    linked_at: str
    proof: LinkProof = Field(description="How control of the other account was proved")

    @staticmethod
    def of(link: AccountLink) -> LinkView:
        return LinkView(account_number=link.linked_account_number, linked_at=link.linked_at, proof=link.proof)


class LinkListView(Schema):
    links: list[LinkView]


class SwitchView(Schema):
    """A new session of the linked customer: use its tokens for that account's space."""

    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int
    refresh_token: str | None
    session_id: str

    @staticmethod
    def of(tokens: Tokens) -> SwitchView:
        return SwitchView(
            access_token=tokens.access_token,
            expires_in=tokens.expires_in,
            refresh_token=tokens.refresh_token,
            session_id=tokens.session_id,
        )
