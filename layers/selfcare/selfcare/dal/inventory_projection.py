"""The projection's writes of the lines' read model from the product inventory (selfcare.projection.inventory).

Same items as the line capabilities read and write (selfcare.dal.line_items, selfcare.dal.lines):
`LINE#<id>` (the line, its type-specific attributes), `LINE#<id>#<KIND>#<child id>` (boxes, mailboxes,
packs, VOD views, usage, charges) and the `ICCID#<iccid>` claims. What the projection adds:
- `inventory_version` and `last_event_id` on the line item and on each versioned child item (boxes,
  mailboxes, packs): every write is conditional on the stored version being older (an older event never
  overwrites a newer state), and `voip_version` for the VoIP settings (a service of its own in the inventory);
- the event's receipt (selfcare.dal.receipts) in the same transaction: a replay writes nothing;
- the moves of the line number's login key (selfcare.dal.login_keys.line_move), when the caller gives them, in the
  same transaction: a key whose holder changed meanwhile cancels it (LoginKeysMoved: read again).
Writes are Updates of named attributes, never a replacement of the item: what the space's capabilities own
(`status_version`, `workflow`, `previous_status`, `sim_activated_at`, `tv_password_changed_at`, a pack's
`replaces_end`...) is left alone. Immutable records (usage, charges, VOD views) are keyed by their ids:
rewriting them is harmless, so a batch is written in BatchWriteItem calls after its line was found, then
its receipt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from selfcare.clock import Clock
from selfcare.dal.customers import customer_pk
from selfcare.dal.dynamo import Item, RawItem, client, from_raw, key, to_raw, values
from selfcare.dal.line_items import child_sk, iccid_key, line_sk
from selfcare.dal.lines import claim_key
from selfcare.dal.receipts import RECEIPT_PREFIX, receipt_put
from selfcare.lines.models import ChildKind
from selfcare.projection.models import WriteResult

_NEWER = "(attribute_not_exists(#version) OR #version < :version)"
_OWN_OR_FREE = "attribute_not_exists(pk) OR (customer_id = :c AND line_id = :l)"


class IccidHeldElsewhere(Exception):
    """Another line holds the SIM card's claim (one SIM, one line)."""


class StatusMoved(Exception):
    """The line's status changed between the read and the write (a workflow began): try the event again."""


class LoginKeysMoved(Exception):
    """A login key given or taken with the line changed holder between the read and the write: try again."""


def _keys_failed(codes: list[str | None], first: int, count: int) -> bool:
    return any(code == "ConditionalCheckFailed" for code in codes[first : first + count])


@dataclass(frozen=True)
class LineSnapshot:
    """What the projection reads of a line before a SIM, status or end event."""

    status: str
    status_version: int
    iccid: str | None
    inventory_version: int
    number: str | None = None


def _expression(sets: Mapping[str, Any], removals: tuple[str, ...], names: dict[str, str]) -> tuple[str, RawItem]:
    """SET / REMOVE of top-level or dotted (`details.user`) attributes."""

    def path(dotted: str) -> str:
        parts = []
        for part in dotted.split("."):
            placeholder = f"#a{len(names)}"
            names[placeholder] = part
            parts.append(placeholder)
        return ".".join(parts)

    assignments, vals = [], {}
    for index, (name, value) in enumerate(sets.items()):
        if name.startswith("?"):  # set only if absent (a new line's status)
            target = path(name[1:])
            assignments.append(f"{target} = if_not_exists({target}, :s{index})")
        else:
            assignments.append(f"{path(name)} = :s{index}")
        vals[f"s{index}"] = value
    expression = "SET " + ", ".join(assignments)
    if removals:
        expression += " REMOVE " + ", ".join(path(name) for name in removals)
    return expression, values(**vals)


class InventoryProjection:
    def __init__(self, customers_table: str, receipts_table: str, clock: Clock) -> None:
        self.table = customers_table
        self.receipts_table = receipts_table
        self.clock = clock

    # Plumbing --------------------------------------------------------------------------------------------
    def _now(self) -> int:
        return int(self.clock.now().timestamp())

    def _versioned(
        self,
        sk: str,
        customer_id: str,
        sets: Mapping[str, Any],
        removals: tuple[str, ...],
        version: int,
        event_id: str,
        *,
        must_exist: bool,
        version_attribute: str = "inventory_version",
        extra_condition: str = "",
        extra_values: Mapping[str, Any] | None = None,
    ) -> RawItem:
        names: dict[str, str] = {"#version": version_attribute}
        expression, vals = _expression({**sets, version_attribute: version, "last_event_id": event_id}, removals, names)
        condition = ("attribute_exists(sk) AND " if must_exist else "") + _NEWER + extra_condition
        return {
            "Update": {
                "TableName": self.table,
                "Key": key(pk=customer_pk(customer_id), sk=sk),
                "UpdateExpression": expression,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": vals | values(version=version, **(extra_values or {})),
            }
        }

    def _line_exists_op(self, customer_id: str, line_id: str) -> RawItem:
        return {
            "ConditionCheck": {
                "TableName": self.table,
                "Key": key(pk=customer_pk(customer_id), sk=line_sk(line_id)),
                "ConditionExpression": "attribute_exists(sk)",
            }
        }

    def _transact(self, operations: list[RawItem], event_id: str) -> list[str | None] | None:
        """The operations and the receipt; None if applied, else each operation's cancellation code (the
        receipt's last)."""
        receipt = receipt_put(self.receipts_table, event_id, self._now())
        try:
            client().transact_write_items(TransactItems=[*operations, receipt])
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            codes = [reason.get("Code") for reason in error.response.get("CancellationReasons") or []]
            if "ConditionalCheckFailed" not in codes:
                raise
            return codes
        return None

    def _seen(self, event_id: str) -> bool:
        raw = client().get_item(
            TableName=self.receipts_table, Key=key(id=f"{RECEIPT_PREFIX}{event_id}"), ConsistentRead=True
        )
        return "Item" in raw

    def _get(self, customer_id: str, sk: str, attributes: str) -> Item | None:
        raw = client().get_item(
            TableName=self.table,
            Key=key(pk=customer_pk(customer_id), sk=sk),
            ConsistentRead=True,
            ProjectionExpression=attributes,
            ExpressionAttributeNames={"#s": "status", "#n": "number"},
        )
        return from_raw(raw["Item"]) if "Item" in raw else None

    def _classify(self, codes: list[str | None], customer_id: str, line_id: str) -> WriteResult:
        """Why a transaction was cancelled: a replay (the receipt), a missing line, or a stale version."""
        if codes and codes[-1] == "ConditionalCheckFailed":  # the receipt: applied before, whatever came since
            return WriteResult.DUPLICATE
        if self.line(customer_id, line_id) is None:
            return WriteResult.MISSING
        return WriteResult.STALE

    # Reads -----------------------------------------------------------------------------------------------
    def line(self, customer_id: str, line_id: str) -> LineSnapshot | None:
        item = self._get(customer_id, line_sk(line_id), "#s, status_version, iccid, inventory_version, #n")
        if item is None:
            return None
        return LineSnapshot(
            status=str(item.get("status", "active")),
            status_version=int(item.get("status_version", 0)),
            iccid=item.get("iccid"),
            inventory_version=int(item.get("inventory_version", 0)),
            number=item.get("number"),
        )

    # Lines -----------------------------------------------------------------------------------------------
    def write_line(
        self,
        customer_id: str,
        line_id: str,
        sets: Mapping[str, Any],
        removals: tuple[str, ...],
        version: int,
        event_id: str,
        *,
        must_exist: bool,
        keys: list[RawItem] | None = None,
    ) -> WriteResult:
        """Create or change a line's attributes (a key starting with "?" is set only if absent), with the moves of
        its number's login key (`keys`) in the same transaction."""
        op = self._versioned(line_sk(line_id), customer_id, sets, removals, version, event_id, must_exist=must_exist)
        keys = keys or []
        codes = self._transact([op, *keys], event_id)
        if codes is None:
            return WriteResult.APPLIED
        result = self._classify(codes, customer_id, line_id)
        if result is WriteResult.STALE and _keys_failed(codes, 1, len(keys)) and codes[0] != "ConditionalCheckFailed":
            raise LoginKeysMoved()
        return result

    def change_sim(
        self, customer_id: str, line_id: str, seen: LineSnapshot, iccid: str, puk: str, version: int, event_id: str
    ) -> WriteResult:
        """The line's SIM: its ICCID and PUK, the claim of the new ICCID (one SIM, one line) and the release of
        the old one's, in one transaction. IccidHeldElsewhere when another line holds the new ICCID."""
        old = seen.iccid
        guard = " AND iccid = :old" if old else " AND attribute_not_exists(iccid)"
        update = self._versioned(
            line_sk(line_id),
            customer_id,
            {"iccid": iccid, "puk": puk},
            (),
            version,
            event_id,
            must_exist=True,
            extra_condition=guard,
            extra_values={"old": old} if old else None,
        )
        ops = [update, self._claim_op(customer_id, line_id, iccid)]
        if old and old != iccid:
            ops.append(self._release_op(customer_id, line_id, old))
        codes = self._transact(ops, event_id)
        if codes is None:
            return WriteResult.APPLIED
        result = self._classify(codes, customer_id, line_id)
        if result is WriteResult.DUPLICATE or result is WriteResult.MISSING:
            return result
        if codes[1] == "ConditionalCheckFailed":
            raise IccidHeldElsewhere()
        current = self.line(customer_id, line_id)
        if current is not None and current.inventory_version < version:
            raise StatusMoved()  # the SIM changed meanwhile (a reactivation's swap): read again
        return WriteResult.STALE

    def _claim_op(self, customer_id: str, line_id: str, iccid: str) -> RawItem:
        claim = {"pk": iccid_key(iccid), "sk": iccid_key(iccid), "customer_id": customer_id, "line_id": line_id}
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_raw(claim),
                "ConditionExpression": _OWN_OR_FREE,
                "ExpressionAttributeValues": values(c=customer_id, l=line_id),
            }
        }

    def _release_op(self, customer_id: str, line_id: str, iccid: str) -> RawItem:
        return {
            "Delete": {
                "TableName": self.table,
                "Key": claim_key(iccid),
                "ConditionExpression": _OWN_OR_FREE,
                "ExpressionAttributeValues": values(c=customer_id, l=line_id),
            }
        }

    def change_status(
        self,
        customer_id: str,
        line_id: str,
        seen: LineSnapshot,
        sets: Mapping[str, Any],
        version: int,
        event_id: str,
        *,
        release_iccid: str | None = None,
        keys: list[RawItem] | None = None,
    ) -> WriteResult:
        """A status set by the network (or the line's end), only if the line is still where it was read: same
        status version (no workflow began meanwhile). StatusMoved otherwise, so the event is tried again. `keys`:
        the moves of the number's login key (a line's end), in the same transaction."""
        guard = (
            " AND (attribute_not_exists(status_version) OR status_version = :sv)"
            if seen.status_version == 0
            else " AND status_version = :sv"
        )
        op = self._versioned(
            line_sk(line_id),
            customer_id,
            sets,
            (),
            version,
            event_id,
            must_exist=True,
            extra_condition=guard,
            extra_values={"sv": seen.status_version},
        )
        ops = [op] + ([self._release_op(customer_id, line_id, release_iccid)] if release_iccid else [])
        keys = keys or []
        first_key = len(ops)
        codes = self._transact([*ops, *keys], event_id)
        if codes is None:
            return WriteResult.APPLIED
        result = self._classify(codes, customer_id, line_id)
        if (
            result is WriteResult.STALE
            and _keys_failed(codes, first_key, len(keys))
            and codes[0] != "ConditionalCheckFailed"
        ):
            raise LoginKeysMoved()
        if result is WriteResult.STALE:
            current = self.line(customer_id, line_id)
            if current is not None and current.inventory_version < version:
                raise StatusMoved()
        return result

    # Services under a line --------------------------------------------------------------------------------
    def write_voip(
        self, customer_id: str, line_id: str, voip: Mapping[str, Any], version: int, event_id: str
    ) -> WriteResult:
        op = self._versioned(
            line_sk(line_id),
            customer_id,
            {"voip": dict(voip)},
            (),
            version,
            event_id,
            must_exist=True,
            version_attribute="voip_version",
        )
        codes = self._transact([op], event_id)
        if codes is None:
            return WriteResult.APPLIED
        return self._classify(codes, customer_id, line_id)

    def write_child(
        self,
        customer_id: str,
        line_id: str,
        kind: ChildKind,
        child_id: str,
        sets: Mapping[str, Any],
        removals: tuple[str, ...],
        version: int,
        event_id: str,
    ) -> WriteResult:
        """Create or change a box, mailbox or pack of an existing line."""
        sk = child_sk(line_id, kind, child_id)
        op = self._versioned(sk, customer_id, {**sets, "id": child_id}, removals, version, event_id, must_exist=False)
        codes = self._transact([self._line_exists_op(customer_id, line_id), op], event_id)
        if codes is None:
            return WriteResult.APPLIED
        return self._classify(codes, customer_id, line_id)

    def put_records(self, customer_id: str, line_id: str, items: list[Item], event_id: str) -> WriteResult:
        """Immutable records under a line (usage, charges, VOD views), keyed by their ids, then the receipt."""
        if self._seen(event_id):
            return WriteResult.DUPLICATE
        if self.line(customer_id, line_id) is None:
            return WriteResult.MISSING
        requests = [{"PutRequest": {"Item": to_raw({**item, "pk": customer_pk(customer_id)})}} for item in items]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[start : start + 25]}
            while pending:
                pending = client().batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        try:
            client().put_item(**receipt_put(self.receipts_table, event_id, self._now())["Put"])
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        return WriteResult.APPLIED
