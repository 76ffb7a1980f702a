"""Sessions table: sessions, assisted-access grants and recovery tokens, all expiring with TTL.

Items:
- `SESSION#<id>`: a login session (refresh token digest, revocation); GSI `by_principal`. A session opened by
  a switch to a linked account records where it came from (`switched_from_customer`, `switched_from_session`);
  a session that switches records it (`switches`: a counter, `switched_to`: a string set of
  `<session id>:<expires_at>`): an unlink follows these with consistent reads (not the GSI, which lags) to the
  sessions to revoke, and its conditions on the counters tell it whether a switch raced it.
- `GRANT#<id>`: an assisted-access grant (staff, customer, reason, expiry); GSI `by_principal`.
- `RECOVERY#<digest>`: a password-recovery token, single use, 15 minutes.
- `COUNTER#<name>`: requests counted in a fixed window (recovery emails per account, activation codes per
  account), expiring with the window.
Reads treat an item past `expires_at` as absent, whatever TTL deletion has done yet.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from selfcare.account.models import SessionRef, SwitchedSession, SwitchOrigin
from selfcare.auth.models import Grant, RecoveryToken, Session
from selfcare.auth.policy import PrincipalType, StaffRole
from selfcare.dal.dynamo import (
    ConditionFailed,
    Item,
    RawItem,
    batch_get,
    client,
    from_raw,
    is_condition_failure,
    key,
    live,
    query_all,
    to_raw,
    values,
)

BY_PRINCIPAL = "by_principal"
MAX_BATCH_GET_KEYS = 100


def session_ref_value(ref: SessionRef) -> str:
    """How a switched session is named in a string set (on the link and on the session it came from)."""
    return f"{ref.session_id}:{ref.expires_at}"


def session_refs(values_: set[str] | None) -> frozenset[SessionRef]:
    refs = set()
    for value in values_ or ():
        session_id, _, expires_at = value.rpartition(":")
        refs.add(SessionRef(session_id, int(expires_at)))
    return frozenset(refs)


def session_key(session_id: str) -> str:
    return f"SESSION#{session_id}"


def grant_key(grant_id: str) -> str:
    return f"GRANT#{grant_id}"


def recovery_key(token_digest: str) -> str:
    return f"RECOVERY#{token_digest}"


def _session(item: Item) -> Session:
    return Session(
        session_id=item["session_id"],
        principal_type=PrincipalType(item["principal_type"]),
        principal_id=item["principal_id"],
        created_at=item["created_at"],
        expires_at=int(item["expires_at"]),
        auth_time=int(item["auth_time"]),
        refresh_digest=item["refresh_digest"],
        used_refresh_digests=frozenset(item.get("used_refresh_digests", set())),
        revoked=bool(item.get("revoked", False)),
        last_used_at=item.get("last_used_at"),
        device=item.get("device"),
        role=StaffRole(item["role"]) if item.get("role") else None,
        password_expired=bool(item.get("password_expired", False)),
        account_closed=bool(item.get("account_closed", False)),
    )


def _grant(item: Item) -> Grant:
    return Grant(
        grant_id=item["grant_id"],
        staff_id=item["staff_id"],
        role=StaffRole(item["role"]),
        customer_id=item["customer_id"],
        reason=item["reason"],
        created_at=item["created_at"],
        expires_at=int(item["expires_at"]),
        revoked=bool(item.get("revoked", False)),
        reference=item.get("reference"),
        account_closed=bool(item.get("account_closed", False)),
    )


class SessionsRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    # Sessions ----------------------------------------------------------------------------------
    def put_session_op(self, session: Session, origin: SwitchOrigin | None = None) -> RawItem:
        """A new session; `origin`: the customer and session it was switched from (a linked account's)."""
        item: Item = {
            "pk": session_key(session.session_id),
            "kind": "session",
            "session_id": session.session_id,
            "principal": session.principal_key,
            "principal_type": session.principal_type.value,
            "principal_id": session.principal_id,
            "created_at": session.created_at,
            "expires_at": session.expires_at,
            "auth_time": session.auth_time,
            "refresh_digest": session.refresh_digest,
            "revoked": session.revoked,
            "device": session.device,
            "role": session.role.value if session.role else None,
            "password_expired": session.password_expired,
        }
        if origin is not None:
            item |= {"switched_from_customer": origin.customer_id, "switched_from_session": origin.session_id}
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_raw(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def get_session(self, session_id: str, now: int) -> Session | None:
        raw = client().get_item(TableName=self.table, Key=key(pk=session_key(session_id)), ConsistentRead=True)
        item = live(from_raw(raw["Item"]) if "Item" in raw else None, now)
        return _session(item) if item and item.get("kind") == "session" else None

    def session_and_grant(self, session_id: str, grant_id: str | None, now: int) -> tuple[Session | None, Grant | None]:
        """The authorizer's one read: the session, and the grant the request names (if any)."""
        found = batch_get(self.table, [session_key(session_id)] + ([grant_key(grant_id)] if grant_id else []))
        session_item = live(found.get(session_key(session_id)), now)
        grant_item = live(found.get(grant_key(grant_id)), now) if grant_id else None
        session = _session(session_item) if session_item and session_item.get("kind") == "session" else None
        grant = _grant(grant_item) if grant_item and grant_item.get("kind") == "grant" else None
        return session, grant

    def rotate_refresh(self, session_id: str, presented: str, replacement: str, used_at: str) -> None:
        """Swap the refresh digest, only if the presented one is still the current one."""
        try:
            client().update_item(
                TableName=self.table,
                Key=key(pk=session_key(session_id)),
                UpdateExpression="SET refresh_digest = :new, last_used_at = :at ADD used_refresh_digests :old",
                ConditionExpression="refresh_digest = :presented AND revoked = :false",
                ExpressionAttributeValues={
                    **values(new=replacement, at=used_at, presented=presented, false=False),
                    ":old": {"SS": [presented]},
                },
            )
        except client().exceptions.ConditionalCheckFailedException as error:
            raise ConditionFailed() from error

    def revoke_op(self, session_id: str, principal: str, revoked_at: str) -> RawItem:
        """Revoke a session that belongs to `principal` (condition: else it is not theirs)."""
        return {
            "Update": {
                "TableName": self.table,
                "Key": key(pk=session_key(session_id)),
                "UpdateExpression": "SET revoked = :true, revoked_at = :at",
                "ConditionExpression": "principal = :p AND kind = :session",
                "ExpressionAttributeValues": values(true=True, at=revoked_at, p=principal, session="session"),
            }
        }

    def reauthenticate_op(self, session_id: str, principal: str, auth_time: int) -> RawItem:
        return {
            "Update": {
                "TableName": self.table,
                "Key": key(pk=session_key(session_id)),
                "UpdateExpression": "SET auth_time = :t",
                "ConditionExpression": "principal = :p AND revoked = :false",
                "ExpressionAttributeValues": values(t=auth_time, p=principal, false=False),
            }
        }

    # Switches between linked accounts ------------------------------------------------------------------
    def switch_from_op(self, session_id: str, principal: str, now: int, opened: SessionRef) -> RawItem:
        """Record a switch made from this session, if it is still live (in the switch's transaction): a session
        that an unlink revoked opens nothing more, and an unlink sees that a switch raced it."""
        return {
            "Update": {
                "TableName": self.table,
                "Key": key(pk=session_key(session_id)),
                "UpdateExpression": "ADD switches :one, switched_to :opened",
                "ConditionExpression": "principal = :p AND kind = :session AND revoked = :false AND expires_at > :now",
                "ExpressionAttributeValues": {
                    **values(one=1, p=principal, session="session", false=False, now=now),
                    ":opened": {"SS": [session_ref_value(opened)]},
                },
            }
        }

    def switched_sessions(self, refs: set[SessionRef], now: int) -> list[SwitchedSession]:
        """The sessions named, unexpired (revoked ones included): consistent BatchGetItems of 100."""
        ids = sorted({ref.session_id for ref in refs if ref.expires_at > now})
        found: list[SwitchedSession] = []
        for start in range(0, len(ids), MAX_BATCH_GET_KEYS):
            items = batch_get(self.table, [session_key(i) for i in ids[start : start + MAX_BATCH_GET_KEYS]])
            for item in items.values():
                if live(item, now) is None or item.get("kind") != "session":
                    continue
                found.append(
                    SwitchedSession(
                        session_id=item["session_id"],
                        customer_id=item["principal_id"],
                        revoked=bool(item.get("revoked", False)),
                        switches=int(item.get("switches", 0)),
                        switched_to=session_refs(item.get("switched_to")),
                    )
                )
        return found

    def revoke_switched_op(self, session: SwitchedSession, revoked_at: str) -> RawItem:
        """Revoke a switched session, only if no switch was made from it since it was read."""
        unchanged = "switches = :seen" if session.switches else "attribute_not_exists(switches) OR switches = :seen"
        return {
            "Update": {
                "TableName": self.table,
                "Key": key(pk=session_key(session.session_id)),
                "UpdateExpression": "SET revoked = :true, revoked_at = :at",
                "ConditionExpression": f"principal = :p AND kind = :session AND ({unchanged})",
                "ExpressionAttributeValues": values(
                    true=True,
                    at=revoked_at,
                    p=f"{PrincipalType.CUSTOMER.value}#{session.customer_id}",
                    session="session",
                    seen=session.switches,
                ),
            }
        }

    def _by_principal(self, principal: str, kind: str, now: int) -> list[Item]:
        return query_all(
            TableName=self.table,
            IndexName=BY_PRINCIPAL,
            KeyConditionExpression="principal = :p",
            FilterExpression="kind = :kind AND expires_at > :now AND revoked = :false",
            ExpressionAttributeValues=values(p=principal, kind=kind, now=now, false=False),
            ScanIndexForward=False,
        )

    def live_sessions(self, principal: str, now: int) -> list[Session]:
        return [_session(item) for item in self._by_principal(principal, "session", now)]

    # Grants ------------------------------------------------------------------------------------
    def put_grant_op(self, grant: Grant) -> RawItem:
        item: Item = {
            "pk": grant_key(grant.grant_id),
            "kind": "grant",
            "grant_id": grant.grant_id,
            "principal": f"{PrincipalType.STAFF.value}#{grant.staff_id}",
            "staff_id": grant.staff_id,
            "role": grant.role.value,
            "customer_id": grant.customer_id,
            "reason": grant.reason,
            "created_at": grant.created_at,
            "expires_at": grant.expires_at,
            "revoked": False,
            "reference": grant.reference,
        }
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_raw(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def live_grants(self, staff_id: str, now: int) -> list[Grant]:
        return [_grant(item) for item in self._by_principal(f"staff#{staff_id}", "grant", now)]

    def end_grant_op(self, grant_id: str, staff_id: str, ended_at: str) -> RawItem:
        return {
            "Update": {
                "TableName": self.table,
                "Key": key(pk=grant_key(grant_id)),
                "UpdateExpression": "SET revoked = :true, revoked_at = :at",
                "ConditionExpression": "staff_id = :s AND kind = :grant",
                "ExpressionAttributeValues": values(true=True, at=ended_at, s=staff_id, grant="grant"),
            }
        }

    # Request counters --------------------------------------------------------------------------
    def count_request(self, counter: str, now: int, limit: int, window_seconds: int) -> bool:
        """Count one request under `counter` (e.g. the recovery emails of one principal): True while at most
        `limit` fall in the window (a fixed window starting with the first request). One write when allowed;
        the item expires with the window (TTL)."""
        item_key = key(pk=f"COUNTER#{counter}")
        try:
            client().update_item(
                TableName=self.table,
                Key=item_key,
                UpdateExpression="SET requests = requests + :one",
                ConditionExpression="expires_at > :now AND requests < :limit",
                ExpressionAttributeValues=values(one=1, now=now, limit=limit),
            )
            return True
        except ClientError as error:
            if not is_condition_failure(error):
                raise
        try:
            client().put_item(
                TableName=self.table,
                Item=to_raw(
                    {"pk": f"COUNTER#{counter}", "kind": "counter", "requests": 1, "expires_at": now + window_seconds}
                ),
                ConditionExpression="attribute_not_exists(pk) OR expires_at <= :now",
                ExpressionAttributeValues=values(now=now),
            )
            return True
        except ClientError as error:
            if not is_condition_failure(error):
                raise
        return False

    # Recovery tokens ---------------------------------------------------------------------------
    def put_recovery(self, token_digest: str, token: RecoveryToken) -> None:
        client().put_item(
            TableName=self.table,
            Item=to_raw(
                {
                    "pk": recovery_key(token_digest),
                    "kind": "recovery",
                    "principal_id": token.principal_id,
                    "expires_at": token.expires_at,
                }
            ),
        )

    def get_recovery(self, token_digest: str, now: int) -> RecoveryToken | None:
        raw = client().get_item(TableName=self.table, Key=key(pk=recovery_key(token_digest)), ConsistentRead=True)
        item = live(from_raw(raw["Item"]) if "Item" in raw else None, now)
        if not item or item.get("kind") != "recovery":
            return None
        return RecoveryToken(principal_id=item["principal_id"], expires_at=int(item["expires_at"]))

    def consume_recovery_op(self, token_digest: str, now: int) -> RawItem:
        """Delete the token if it still exists and has not expired: a token works once."""
        return {
            "Delete": {
                "TableName": self.table,
                "Key": key(pk=recovery_key(token_digest)),
                "ConditionExpression": "attribute_exists(pk) AND expires_at > :now",
                "ExpressionAttributeValues": values(now=now),
            }
        }


__all__ = ["SessionsRepository", "is_condition_failure"]
