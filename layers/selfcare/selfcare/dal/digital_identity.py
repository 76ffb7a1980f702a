"""Digital-identity login (OpenID Connect): the flows' state, link tickets, and links.

Items:
- sessions table, `OIDC#<digest of state>`: one login attempt (purpose customer or staff, nonce, PKCE verifier),
  10 minutes (TTL), taken once: a conditional DeleteItem that returns it, so a second callback with the same
  state finds nothing.
- sessions table, `DILINK#<digest of ticket>`: a link ticket (the verified subject and its claims, waiting for
  the proof of control of an account), 10 minutes, consumed in the link's transaction.
- credentials table, `DIGITAL_IDENTITY#<subject>`: the link of a digital identity to a customer (principal_id,
  account_number, the claims shown to the customer, linked_at); the customer's credential names the subject
  (`digital_identity_id`). Both are written, and removed, in one transaction; erasure deletes the link item.
Reads treat an item past `expires_at` as absent.
"""

from __future__ import annotations

from dataclasses import dataclass

from selfcare.auth.tokens import digest
from selfcare.dal.credentials import principal_key
from selfcare.dal.dynamo import (
    ConditionFailed,
    Item,
    RawItem,
    client,
    from_raw,
    key,
    live,
    to_raw,
    values,
)


def state_key(state: str) -> str:
    return f"OIDC#{digest(state)}"


def ticket_key(ticket: str) -> str:
    return f"DILINK#{digest(ticket)}"


def link_key(subject: str) -> str:
    return f"DIGITAL_IDENTITY#{subject}"


@dataclass(frozen=True)
class FlowState:
    purpose: str  # "customer" | "staff"
    nonce: str
    code_verifier: str
    expires_at: int


@dataclass(frozen=True)
class IdentityClaims:
    """What the digital identity says of the person (SPEC: name, first name, date of birth, stable id)."""

    subject: str
    family_name: str | None = None
    given_name: str | None = None
    birth_date: str | None = None


@dataclass(frozen=True)
class LinkTicket:
    claims: IdentityClaims
    expires_at: int


@dataclass(frozen=True)
class IdentityLink:
    claims: IdentityClaims
    customer_id: str
    account_number: str | None
    linked_at: str


def _claims(item: Item) -> IdentityClaims:
    return IdentityClaims(
        subject=item["subject"],
        family_name=item.get("family_name"),
        given_name=item.get("given_name"),
        birth_date=item.get("birth_date"),
    )


def _claims_item(claims: IdentityClaims) -> Item:
    return {
        "subject": claims.subject,
        "family_name": claims.family_name,
        "given_name": claims.given_name,
        "birth_date": claims.birth_date,
    }


class DigitalIdentityRepository:
    def __init__(self, sessions_table: str, credentials_table: str) -> None:
        self.sessions_table = sessions_table
        self.credentials_table = credentials_table

    # Flow state (sessions table) -------------------------------------------------------------------
    def put_state(self, state: str, flow: FlowState) -> None:
        client().put_item(
            TableName=self.sessions_table,
            Item=to_raw(
                {
                    "pk": state_key(state),
                    "kind": "oidc_state",
                    "purpose": flow.purpose,
                    "nonce": flow.nonce,
                    "code_verifier": flow.code_verifier,
                    "expires_at": flow.expires_at,
                }
            ),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def take_state(self, state: str, purpose: str, now: int) -> FlowState | None:
        """The attempt `state` names, deleted in the same call (single use); None if unknown, used, expired or
        begun for another purpose."""
        try:
            raw = client().delete_item(
                TableName=self.sessions_table,
                Key=key(pk=state_key(state)),
                ConditionExpression="attribute_exists(pk) AND kind = :kind AND purpose = :purpose "
                "AND expires_at > :now",
                ExpressionAttributeValues=values(kind="oidc_state", purpose=purpose, now=now),
                ReturnValues="ALL_OLD",
            )
        except client().exceptions.ConditionalCheckFailedException:
            return None
        item = from_raw(raw.get("Attributes", {}))
        if not item:
            return None
        return FlowState(item["purpose"], item["nonce"], item["code_verifier"], int(item["expires_at"]))

    # Link tickets (sessions table) ------------------------------------------------------------------
    def put_ticket(self, ticket: str, claims: IdentityClaims, expires_at: int) -> None:
        client().put_item(
            TableName=self.sessions_table,
            Item=to_raw(
                {"pk": ticket_key(ticket), "kind": "di_link_ticket", "expires_at": expires_at} | _claims_item(claims)
            ),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get_ticket(self, ticket: str, now: int) -> LinkTicket | None:
        raw = client().get_item(TableName=self.sessions_table, Key=key(pk=ticket_key(ticket)), ConsistentRead=True)
        item = live(from_raw(raw["Item"]) if "Item" in raw else None, now)
        if not item or item.get("kind") != "di_link_ticket":
            return None
        return LinkTicket(_claims(item), int(item["expires_at"]))

    def consume_ticket_op(self, ticket: str, now: int) -> RawItem:
        return {
            "Delete": {
                "TableName": self.sessions_table,
                "Key": key(pk=ticket_key(ticket)),
                "ConditionExpression": "attribute_exists(pk) AND expires_at > :now",
                "ExpressionAttributeValues": values(now=now),
            }
        }

    # Links (credentials table) ---------------------------------------------------------------------
    def get_link(self, subject: str) -> IdentityLink | None:
        raw = client().get_item(TableName=self.credentials_table, Key=key(pk=link_key(subject)), ConsistentRead=True)
        if "Item" not in raw:
            return None
        item = from_raw(raw["Item"])
        return IdentityLink(_claims(item), item["principal_id"], item.get("account_number"), item["linked_at"])

    def put_link_op(self, link: IdentityLink) -> RawItem:
        """The link item, only if the subject is linked to no one yet."""
        item: Item = {
            "pk": link_key(link.claims.subject),
            "kind": "digital_identity",
            "principal_id": link.customer_id,
            "principal_type": "customer",
            "account_number": link.account_number,
            "linked_at": link.linked_at,
        } | _claims_item(link.claims)
        return {
            "Put": {
                "TableName": self.credentials_table,
                "Item": to_raw(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def link_check_op(self, subject: str, customer_id: str) -> RawItem:
        """The link still names this customer (the login's transaction fails if it was removed meanwhile)."""
        return {
            "ConditionCheck": {
                "TableName": self.credentials_table,
                "Key": key(pk=link_key(subject)),
                "ConditionExpression": "principal_id = :p",
                "ExpressionAttributeValues": values(p=customer_id),
            }
        }

    def space_open_check_op(self, customer_id: str) -> RawItem:
        """The customer's space is not closed (retention's hide step flags the credential `account_closed`)."""
        return {
            "ConditionCheck": {
                "TableName": self.credentials_table,
                "Key": key(pk=principal_key(customer_id)),
                "ConditionExpression": "attribute_not_exists(account_closed) OR account_closed = :false",
                "ExpressionAttributeValues": values(false=False),
            }
        }

    def delete_link_op(self, subject: str, customer_id: str) -> RawItem:
        return {
            "Delete": {
                "TableName": self.credentials_table,
                "Key": key(pk=link_key(subject)),
                "ConditionExpression": "principal_id = :p",
                "ExpressionAttributeValues": values(p=customer_id),
            }
        }

    def set_credential_subject_op(self, customer_id: str, subject: str) -> RawItem:
        """Name the subject on the customer's credential, only if it names none yet (one identity per account)."""
        return {
            "Update": {
                "TableName": self.credentials_table,
                "Key": key(pk=principal_key(customer_id)),
                "UpdateExpression": "SET digital_identity_id = :s",
                "ConditionExpression": "attribute_exists(pk) AND principal_type = :customer AND "
                "(attribute_not_exists(digital_identity_id) OR digital_identity_id = :null)",
                "ExpressionAttributeValues": {
                    **values(s=subject, customer="customer"),
                    ":null": {"NULL": True},
                },
            }
        }

    def clear_credential_subject_op(self, customer_id: str, subject: str) -> RawItem:
        return {
            "Update": {
                "TableName": self.credentials_table,
                "Key": key(pk=principal_key(customer_id)),
                "UpdateExpression": "REMOVE digital_identity_id",
                "ConditionExpression": "digital_identity_id = :s",
                "ExpressionAttributeValues": values(s=subject),
            }
        }


__all__ = [
    "ConditionFailed",
    "DigitalIdentityRepository",
    "FlowState",
    "IdentityClaims",
    "IdentityLink",
    "LinkTicket",
    "link_key",
]
