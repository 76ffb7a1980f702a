"""Customers table, the account capability's own items.

Items (all in the customer's partition `CUSTOMER#<id>`, so every read is one Query or one GetItem):
- `PROFILE`: contact details and postal address are updated in place (the CRM hears of it by event);
- `CONSENT#<purpose>#<at>#<suffix>`: one record per consent decision, never updated: the history;
- `TICKET#<id>`: a support ticket, with its status history and notes;
- `TICKET_REQUEST#<idempotency key>`: which ticket a creation with that Idempotency-Key made (and a digest of
  its request), written in the ticket's transaction, `expires_at` 24 hours later (the table's TTL; reads treat
  an expired record as absent, and a new request with the key replaces it);
- `LINK#<the other account number>`: one side of a link between two accounts, with the switches made from it
  (`switches`: a counter; `switched_sessions`: a string set of `<session id>:<expires_at>`).
"""

from __future__ import annotations

import secrets
from typing import Any

from botocore.exceptions import ClientError

from selfcare.account.models import (
    AccountLink,
    Address,
    ConsentChannel,
    ConsentPurpose,
    ConsentRecord,
    LinkProof,
    SessionRef,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketNote,
    TicketRequest,
    TicketStatus,
    TicketStatusChange,
)
from selfcare.dal.billing import invoice_alias_sk
from selfcare.dal.customers import PROFILE, customer_pk
from selfcare.dal.dynamo import (
    Item,
    RawItem,
    client,
    from_raw,
    is_condition_failure,
    key,
    live,
    query_all,
    to_raw,
    values,
)
from selfcare.dal.sessions import session_ref_value, session_refs

CONSENT = "CONSENT#"
TICKET = "TICKET#"
TICKET_REQUEST = "TICKET_REQUEST#"  # not TICKET#...: the ticket queries never see these records


def contact_update_op(table: str, customer_id: str, attribute: str, value: str) -> RawItem:
    """Set one contact attribute of an existing profile (contact_email, contact_mobile, contact_landline)."""
    if attribute not in {"contact_email", "contact_mobile", "contact_landline"}:
        raise ValueError(attribute)
    return {
        "Update": {
            "TableName": table,
            "Key": key(pk=customer_pk(customer_id), sk=PROFILE),
            "UpdateExpression": "SET #a = :v",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": {"#a": attribute},
            "ExpressionAttributeValues": values(v=value),
        }
    }


def address_update_op(table: str, customer_id: str, address: Address) -> RawItem:
    stored = {k: v for k, v in vars(address).items() if v is not None}
    return {
        "Update": {
            "TableName": table,
            "Key": key(pk=customer_pk(customer_id), sk=PROFILE),
            "UpdateExpression": "SET address = :v",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": values(v=stored),
        }
    }


# Consents --------------------------------------------------------------------------------------
def consent_put_op(table: str, record: ConsentRecord) -> RawItem:
    # The suffix keeps two decisions of the same microsecond apart; the condition keeps records immutable.
    sk = f"{CONSENT}{record.purpose.value}#{record.at}#{secrets.token_hex(4)}"
    item: Item = {
        "pk": customer_pk(record.customer_id),
        "sk": sk,
        "purpose": record.purpose.value,
        "granted": record.granted,
        "at": record.at,
        "channel": record.channel.value,
        "set_by": record.set_by,
        "grant_id": record.grant_id,
    }
    return {"Put": {"TableName": table, "Item": to_raw(item), "ConditionExpression": "attribute_not_exists(sk)"}}


def consents(table: str, customer_id: str) -> list[ConsentRecord]:
    """Every consent record of the customer, oldest first (one Query)."""
    items = query_all(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
        ExpressionAttributeValues=values(pk=customer_pk(customer_id), c=CONSENT),
        ConsistentRead=True,
    )
    records = [
        ConsentRecord(
            customer_id=customer_id,
            purpose=ConsentPurpose(item["purpose"]),
            granted=bool(item["granted"]),
            at=item["at"],
            channel=ConsentChannel(item["channel"]),
            set_by=item["set_by"],
            grant_id=item.get("grant_id"),
        )
        for item in items
    ]
    return sorted(records, key=lambda r: r.at)


# Tickets ---------------------------------------------------------------------------------------
def _ticket(customer_id: str, item: Item) -> Ticket:
    return Ticket(
        customer_id=customer_id,
        ticket_id=item["ticket_id"],
        category=TicketCategory(item["category"]),
        subject=item["subject"],
        description=item["description"],
        channel=TicketChannel(item["channel"]),
        status=TicketStatus(item["status"]),
        created_at=item["created_at"],
        created_by=item["created_by"],
        related_line_id=item.get("related_line_id"),
        related_invoice_id=item.get("related_invoice_id"),
        history=tuple(
            TicketStatusChange(status=TicketStatus(h["status"]), at=h["at"], by=h["by"])
            for h in item.get("history", [])
        ),
        notes=tuple(TicketNote(at=n["at"], author=n["author"], text=n["text"]) for n in item.get("notes", [])),
    )


def ticket_put_op(table: str, ticket: Ticket) -> RawItem:
    item: Item = {
        "pk": customer_pk(ticket.customer_id),
        "sk": f"{TICKET}{ticket.ticket_id}",
        "ticket_id": ticket.ticket_id,
        "category": ticket.category.value,
        "subject": ticket.subject,
        "description": ticket.description,
        "channel": ticket.channel.value,
        "status": ticket.status.value,
        "created_at": ticket.created_at,
        "created_by": ticket.created_by,
        "related_line_id": ticket.related_line_id,
        "related_invoice_id": ticket.related_invoice_id,
        "history": [{"status": h.status.value, "at": h.at, "by": h.by} for h in ticket.history],
        "notes": [{"at": n.at, "author": n.author, "text": n.text} for n in ticket.notes],
    }
    return {"Put": {"TableName": table, "Item": to_raw(item), "ConditionExpression": "attribute_not_exists(sk)"}}


def ticket(table: str, customer_id: str, ticket_id: str, *, consistent: bool = False) -> Ticket | None:
    raw = client().get_item(
        TableName=table, Key=key(pk=customer_pk(customer_id), sk=f"{TICKET}{ticket_id}"), ConsistentRead=consistent
    )
    return _ticket(customer_id, from_raw(raw["Item"])) if "Item" in raw else None


def open_tickets(table: str, customer_id: str, channel: TicketChannel, open_statuses: frozenset[str]) -> list[Ticket]:
    """The customer's open tickets of one channel, newest first (one Query, filtered server-side)."""
    statuses = sorted(open_statuses)
    names = {f":s{i}": s for i, s in enumerate(statuses)}
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :t)",
        "FilterExpression": f"channel = :channel AND #status IN ({', '.join(names)})",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": values(pk=customer_pk(customer_id), t=TICKET, channel=channel.value)
        | {name: {"S": status} for name, status in names.items()},
        "ScanIndexForward": False,
    }
    return [_ticket(customer_id, item) for item in query_all(**kwargs)]


def ticket_request_put_op(table: str, request: TicketRequest, now: int) -> RawItem:
    """Record the key's ticket, unless a live record of the key exists (an expired one is replaced)."""
    item: Item = {
        "pk": customer_pk(request.customer_id),
        "sk": f"{TICKET_REQUEST}{request.key}",
        "ticket_id": request.ticket_id,
        "fingerprint": request.fingerprint,
        "expires_at": request.expires_at,
    }
    return {
        "Put": {
            "TableName": table,
            "Item": to_raw(item),
            "ConditionExpression": "attribute_not_exists(sk) OR expires_at <= :now",
            "ExpressionAttributeValues": values(now=now),
        }
    }


def ticket_request(table: str, customer_id: str, idempotency_key: str, now: int) -> TicketRequest | None:
    raw = client().get_item(
        TableName=table,
        Key=key(pk=customer_pk(customer_id), sk=f"{TICKET_REQUEST}{idempotency_key}"),
        ConsistentRead=True,
    )
    item = live(from_raw(raw["Item"]) if "Item" in raw else None, now)
    if item is None:
        return None
    return TicketRequest(
        customer_id=customer_id,
        key=idempotency_key,
        ticket_id=item["ticket_id"],
        fingerprint=item["fingerprint"],
        expires_at=int(item["expires_at"]),
    )


def has_line(table: str, customer_id: str, line_id: str) -> bool:
    """Whether the customer has this line (one GetItem of its key only)."""
    raw = client().get_item(
        TableName=table, Key=key(pk=customer_pk(customer_id), sk=f"LINE#{line_id}"), ProjectionExpression="pk"
    )
    return "Item" in raw


def has_invoice(table: str, customer_id: str, invoice_id: str, now: int) -> bool:
    """Whether the customer has this invoice, not past its expiry (one GetItem of its alias item)."""
    raw = client().get_item(
        TableName=table,
        Key=key(pk=customer_pk(customer_id), sk=invoice_alias_sk(invoice_id)),
        ProjectionExpression="pk, expires_at",
    )
    return "Item" in raw and live(from_raw(raw["Item"]), now) is not None


# Links between accounts (`LINK#<the other account number>`, one item on each side) ---------------
LINK = "LINK#"


def _link_sk(account_number: str) -> str:
    return f"{LINK}{account_number}"


def _link(item: Item, customer_id: str) -> AccountLink:
    return AccountLink(
        customer_id=customer_id,
        account_number=item["account_number"],
        linked_customer_id=item["linked_customer_id"],
        linked_account_number=item["linked_account_number"],
        linked_at=item["linked_at"],
        linked_by=item["linked_by"],
        proof=LinkProof(item["proof"]),
        switches=int(item.get("switches", 0)),
        switched_sessions=session_refs(item.get("switched_sessions")),
    )


def link_put_op(table: str, link: AccountLink) -> RawItem:
    item: Item = {
        "pk": customer_pk(link.customer_id),
        "sk": _link_sk(link.linked_account_number),
        "account_number": link.account_number,
        "linked_customer_id": link.linked_customer_id,
        "linked_account_number": link.linked_account_number,
        "linked_at": link.linked_at,
        "linked_by": link.linked_by,
        "proof": link.proof.value,
    }
    return {"Put": {"TableName": table, "Item": to_raw(item), "ConditionExpression": "attribute_not_exists(sk)"}}


def link_delete_op(table: str, link: AccountLink) -> RawItem:
    """Delete one side of a link, only if no switch was made from it since it was read (`link.switches`)."""
    unchanged = "switches = :seen" if link.switches else "attribute_not_exists(switches) OR switches = :seen"
    return {
        "Delete": {
            "TableName": table,
            "Key": key(pk=customer_pk(link.customer_id), sk=_link_sk(link.linked_account_number)),
            "ConditionExpression": f"attribute_exists(sk) AND ({unchanged})",
            "ExpressionAttributeValues": values(seen=link.switches),
        }
    }


def link_switch_op(table: str, customer_id: str, linked_account_number: str, opened: SessionRef) -> RawItem:
    """Record a switch made from this side and the session it opened, if the link still exists (in the switch's
    transaction)."""
    return {
        "Update": {
            "TableName": table,
            "Key": key(pk=customer_pk(customer_id), sk=_link_sk(linked_account_number)),
            "UpdateExpression": "ADD switches :one, switched_sessions :opened",
            "ConditionExpression": "attribute_exists(sk)",
            "ExpressionAttributeValues": {**values(one=1), ":opened": {"SS": [session_ref_value(opened)]}},
        }
    }


def forget_switched_sessions(table: str, link: AccountLink, expired: set[SessionRef]) -> None:
    """Drop expired sessions from a link side's set (they need no revoking): keeps the item small. A link gone
    meanwhile: nothing to do."""
    try:
        client().update_item(
            TableName=table,
            Key=key(pk=customer_pk(link.customer_id), sk=_link_sk(link.linked_account_number)),
            UpdateExpression="DELETE switched_sessions :expired",
            ConditionExpression="attribute_exists(sk)",
            ExpressionAttributeValues={":expired": {"SS": sorted(session_ref_value(ref) for ref in expired)}},
        )
    except ClientError as error:
        if not is_condition_failure(error):
            raise


def link(table: str, customer_id: str, linked_account_number: str) -> AccountLink | None:
    raw = client().get_item(
        TableName=table, Key=key(pk=customer_pk(customer_id), sk=_link_sk(linked_account_number)), ConsistentRead=True
    )
    return _link(from_raw(raw["Item"]), customer_id) if "Item" in raw else None


def links(table: str, customer_id: str) -> list[AccountLink]:
    items = query_all(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :l)",
        ExpressionAttributeValues=values(pk=customer_pk(customer_id), l=LINK),
        ConsistentRead=True,
    )
    return [_link(item, customer_id) for item in items]
