r"""Lines and what belongs to them in the Customers table (the read model): one partition per customer.

Items of `CUSTOMER#<id>`:
- `LINE#<line id>`: the line (type, offer, number, status) and its type-specific attributes
  (options, `iccid`, `puk`, VoIP settings, nomadic access, drive, TV login, ...);
- `LINE#<line id>#<KIND>#<child id>`: what belongs to the line (boxes, mailboxes, TV packs, VOD
  views, usage records, out-of-bundle charges), `KIND` one of selfcare.lines.models.ChildKind.
And, outside customer partitions, `ICCID#<iccid>` / `ICCID#<iccid>`: the claim of a SIM card by
one line (one SIM, one line), found by its key alone.

A line with everything under it is one Query (`sk BETWEEN LINE#<id> AND LINE#<id>#\uffff`: line ids
use [A-Za-z0-9_-] only, all above '#', so no other line's items fall in that range). A customer's
lines of one type are one Query on `begins_with(sk, LINE#)` filtered on the type (items under lines
have no type). The line's status is the suspension workflows' (selfcare.dal.lines): never written here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfcare.account.models import LineType
from selfcare.dal.customers import customer_pk
from selfcare.dal.dynamo import ConditionFailed, Item, RawItem, client, key, query_all, to_raw, transact, values
from selfcare.lines.models import ChildKind, LineDetail

_HEADER = ("pk", "sk", "line_id", "line_type", "offer", "number", "status", "details")
_END = "#\uffff"

__all__ = ["ConditionFailed", "LineItemsRepository", "child_sk", "line_sk"]


def line_sk(line_id: str) -> str:
    return f"LINE#{line_id}"


def child_sk(line_id: str, kind: ChildKind, child_id: str) -> str:
    return f"LINE#{line_id}#{kind.value}#{child_id}"


def iccid_key(iccid: str) -> str:
    return f"ICCID#{iccid}"


def _line(customer_id: str, item: Item, children: dict[ChildKind, list[Item]] | None = None) -> LineDetail:
    attributes: dict[str, Any] = dict(item.get("details") or {})
    attributes |= {k: v for k, v in item.items() if k not in _HEADER}
    return LineDetail(
        customer_id=customer_id,
        line_id=item["line_id"],
        line_type=LineType(item["line_type"]),
        offer=item["offer"],
        number=item.get("number"),
        status=item.get("status", "active"),
        attributes=attributes,
        children={kind: tuple(found) for kind, found in (children or {}).items()},
    )


def _names(path: str, names: dict[str, str]) -> str:
    """`a.b` -> `#n0.#n1`, registering the attribute names (nested map updates)."""
    parts = []
    for part in path.split("."):
        placeholder = f"#n{len(names)}"
        names[placeholder] = part
        parts.append(placeholder)
    return ".".join(parts)


def _update(
    table: str,
    pk: str,
    sk: str,
    changes: Mapping[str, Any],
    removals: tuple[str, ...] = (),
    absent: str | None = None,
) -> RawItem:
    """An Update of an existing item; `absent` names an attribute that must not exist yet."""
    names: dict[str, str] = {}
    sets = []
    vals: dict[str, Any] = {}
    for index, (path, value) in enumerate(changes.items()):
        sets.append(f"{_names(path, names)} = :v{index}")
        vals[f"v{index}"] = value
    expression = ("SET " + ", ".join(sets)) if sets else ""
    if removals:
        expression += " REMOVE " + ", ".join(_names(path, names) for path in removals)
    condition = "attribute_exists(sk)" + (f" AND attribute_not_exists({_names(absent, names)})" if absent else "")
    update: dict[str, Any] = {
        "TableName": table,
        "Key": key(pk=pk, sk=sk),
        "UpdateExpression": expression.strip(),
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
    }
    if vals:
        update["ExpressionAttributeValues"] = values(**vals)
    return {"Update": update}


class LineItemsRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    # Reads: one call each --------------------------------------------------------------------
    def line(self, customer_id: str, line_id: str) -> LineDetail | None:
        """The line and every item under it, in one Query."""
        items = query_all(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :line AND :end",
            ExpressionAttributeValues=values(
                pk=customer_pk(customer_id), line=line_sk(line_id), end=line_sk(line_id) + _END
            ),
            ConsistentRead=True,
        )
        header = next((i for i in items if i["sk"] == line_sk(line_id)), None)
        if header is None:
            return None
        children: dict[ChildKind, list[Item]] = {}
        prefix = line_sk(line_id) + "#"
        for item in items:
            if item["sk"].startswith(prefix):
                kind = item["sk"][len(prefix) :].split("#", 1)[0]
                if kind in ChildKind.__members__:
                    children.setdefault(ChildKind(kind), []).append(item)
        return _line(customer_id, header, children)

    def lines(self, customer_id: str, line_type: LineType) -> list[LineDetail]:
        """The customer's lines of one type (without what is under them), in one Query."""
        items = query_all(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :line)",
            FilterExpression="line_type = :type",
            ExpressionAttributeValues=values(pk=customer_pk(customer_id), line="LINE#", type=line_type.value),
        )
        return [_line(customer_id, item) for item in items]

    # Transaction operations ------------------------------------------------------------------
    def set_line_op(
        self,
        customer_id: str,
        line_id: str,
        changes: Mapping[str, Any],
        absent: str | None = None,
        removals: tuple[str, ...] = (),
    ) -> RawItem:
        """Set attributes of an existing line (dotted paths reach into maps: `voip.pin`); with
        `absent`, only if the line has no such attribute yet."""
        return _update(self.table, customer_pk(customer_id), line_sk(line_id), changes, removals, absent)

    def put_child_op(self, customer_id: str, line_id: str, kind: ChildKind, child_id: str, item: Item) -> RawItem:
        """Add an item under a line; fails (ConditionFailed) if one with that id exists."""
        stored = {**item, "pk": customer_pk(customer_id), "sk": child_sk(line_id, kind, child_id), "id": child_id}
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_raw(stored),
                "ConditionExpression": "attribute_not_exists(sk)",
            }
        }

    def set_child_op(
        self,
        customer_id: str,
        line_id: str,
        kind: ChildKind,
        child_id: str,
        changes: Mapping[str, Any],
        removals: tuple[str, ...] = (),
    ) -> RawItem:
        return _update(self.table, customer_pk(customer_id), child_sk(line_id, kind, child_id), changes, removals)

    def delete_child_op(self, customer_id: str, line_id: str, kind: ChildKind, child_id: str) -> RawItem:
        return {
            "Delete": {
                "TableName": self.table,
                "Key": key(pk=customer_pk(customer_id), sk=child_sk(line_id, kind, child_id)),
                "ConditionExpression": "attribute_exists(sk)",
            }
        }

    def apply(self, operations: list[RawItem]) -> None:
        """All operations in one transaction. ConditionFailed names the operation that failed."""
        transact(operations)

    # SIM claims ------------------------------------------------------------------------------
    def claim_iccid(self, customer_id: str, line_id: str, iccid: str) -> None:
        """One SIM, one line: claim an ICCID. ConditionFailed if a line (any customer's) holds it."""
        try:
            client().put_item(
                TableName=self.table,
                Item=to_raw(
                    {"pk": iccid_key(iccid), "sk": iccid_key(iccid), "customer_id": customer_id, "line_id": line_id}
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except client().exceptions.ConditionalCheckFailedException as error:
            raise ConditionFailed() from error

    def release_iccid(self, line_id: str, iccid: str) -> None:
        """Undo a claim (the activation it was for failed)."""
        client().delete_item(
            TableName=self.table,
            Key=key(pk=iccid_key(iccid), sk=iccid_key(iccid)),
            ConditionExpression="line_id = :line",
            ExpressionAttributeValues=values(line=line_id),
        )

    # Read-model writes (the projection; the local stack's demo seed) -------------------------
    def put_items(self, customer_id: str, items: list[Item]) -> None:
        for item in items:
            client().put_item(TableName=self.table, Item=to_raw({**item, "pk": customer_pk(customer_id)}))

    def put_raw(self, item: Item) -> None:
        """An item with its own keys (SIM claims)."""
        client().put_item(TableName=self.table, Item=to_raw(item))

    def set_line(self, customer_id: str, line_id: str, changes: Mapping[str, Any]) -> None:
        client().update_item(**_update(self.table, customer_pk(customer_id), line_sk(line_id), changes)["Update"])
