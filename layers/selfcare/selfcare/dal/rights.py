"""Data-subject rights (issue 10, section 1): the requests, the personal-data reader of the export, the files.

Items (customers table, the customer's partition `CUSTOMER#<id>`):
- `RIGHTS#<request id>`: one request of access or rectification, with its clock (`received_at`, `due_at`) and
  status; while open it carries `rights_queue` = "open", which puts it on the sparse index `by_rights_due`
  (staff queue, ordered by due time; the daily due-soon count). Status changes are conditional on the status
  they leave, so two workers never both finish a request.
- `RIGHTS_REQUEST#<idempotency key>`: which request a creation with that key made (and a digest of it),
  written in the request's transaction, `expires_at` 24 hours later.

The reader (`PersonalDataReader`) finds everything the personal-data registry (selfcare.privacy.registry)
declares about one customer, with one routine per `Locator`, the same locators as the anonymisation
(selfcare.dal.erasure): a registry entry whose locator has no routine here raises (and a unit test fails).
The files (`ExportFiles`): the rights bucket, `exports/<request id>/...` (7 days, lifecycle rule) and
`identity-documents/<request id>` (deleted on verification, 30 days at most).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from selfcare import aws
from selfcare.billing.models import UsageType
from selfcare.clock import iso
from selfcare.dal.credentials import CredentialsRepository, login_key, login_keys_of
from selfcare.dal.credentials import _credential as credential_of
from selfcare.dal.customers import customer_pk
from selfcare.dal.dynamo import (
    ConditionFailed,
    Item,
    RawItem,
    client,
    from_raw,
    key,
    query_all,
    to_raw,
    transact,
    values,
)
from selfcare.dal.sms import PROVIDERS_PK as SMS_PROVIDERS_PK
from selfcare.identifiers import IdentifierKind
from selfcare.privacy import registry
from selfcare.privacy.registry import Locator, Store
from selfcare.rights.models import OPEN, RightsChannel, RightsRequest, RightsRequestKind, RightsRequestStatus

RIGHTS = "RIGHTS#"
RIGHTS_REQUEST = "RIGHTS_REQUEST#"
QUEUE_INDEX = "by_rights_due"  # infra/definitions.py, CUSTOMERS.indexes
OPEN_QUEUE = "open"


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def request_item(request: RightsRequest) -> Item:
    item: Item = {
        "pk": customer_pk(request.customer_id),
        "sk": f"{RIGHTS}{request.request_id}",
        "request_id": request.request_id,
        "customer_id": request.customer_id,
        "kind": request.kind.value,
        "channel": request.channel.value,
        "status": request.status.value,
        "received_at": iso(request.received_at),
        "due_at": iso(request.due_at),
        "registered_by": request.registered_by,
        "changes": dict(request.changes) or None,
        "identity_method": request.identity_method,
        "identity_verified_at": iso(request.identity_verified_at) if request.identity_verified_at else None,
        "attempts": request.attempts,
    }
    if request.is_open:
        item["rights_queue"] = OPEN_QUEUE
    return item


def request_of(item: Item) -> RightsRequest:
    return RightsRequest(
        request_id=str(item["request_id"]),
        customer_id=str(item["customer_id"]),
        kind=RightsRequestKind(item["kind"]),
        channel=RightsChannel(item["channel"]),
        status=RightsRequestStatus(item["status"]),
        received_at=_dt(item["received_at"]) or datetime.min,
        due_at=_dt(item["due_at"]) or datetime.min,
        registered_by=str(item.get("registered_by") or ""),
        changes=dict(item.get("changes") or {}),
        identity_method=item.get("identity_method"),
        identity_verified_at=_dt(item.get("identity_verified_at")),
        files={str(k): str(v) for k, v in (item.get("files") or {}).items()},
        ready_at=_dt(item.get("ready_at")),
        files_expire_at=_dt(item.get("files_expire_at")),
        notified_at=_dt(item.get("notified_at")),
        attempts=int(item.get("attempts") or 0),
        failure=item.get("failure"),
        code_digest=item.get("code_digest"),
        code_expires_at=int(item["code_expires_at"]) if item.get("code_expires_at") else None,
        code_attempts=int(item.get("code_attempts") or 0),
        document_key=item.get("document_key"),
        document_shown_at=_dt(item.get("document_shown_at")),
        closed_at=_dt(item.get("closed_at")),
        refusal_reason=item.get("refusal_reason"),
    )


@dataclass(frozen=True)
class IdempotencyRecord:
    request_id: str
    fingerprint: str


class RightsRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def _key(self, customer_id: str, request_id: str) -> RawItem:
        return key(pk=customer_pk(customer_id), sk=f"{RIGHTS}{request_id}")

    # Writes (as transaction operations: the caller adds the audit entry) ----------------------------------
    def put_op(self, request: RightsRequest) -> RawItem:
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_raw(request_item(request)),
                "ConditionExpression": "attribute_not_exists(sk)",
            }
        }

    def idempotency_put_op(
        self, customer_id: str, idempotency_key: str, record: IdempotencyRecord, expires_at: int, now: int
    ) -> RawItem:
        item: Item = {
            "pk": customer_pk(customer_id),
            "sk": f"{RIGHTS_REQUEST}{idempotency_key}",
            "request_id": record.request_id,
            "fingerprint": record.fingerprint,
            "expires_at": expires_at,
        }
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_raw(item),
                "ConditionExpression": "attribute_not_exists(sk) OR expires_at <= :now",
                "ExpressionAttributeValues": values(now=now),
            }
        }

    def idempotency_record(self, customer_id: str, idempotency_key: str, now: int) -> IdempotencyRecord | None:
        raw = client().get_item(
            TableName=self.table,
            Key=key(pk=customer_pk(customer_id), sk=f"{RIGHTS_REQUEST}{idempotency_key}"),
            ConsistentRead=True,
        )
        item = from_raw(raw["Item"]) if "Item" in raw else None
        if item is None or int(item.get("expires_at") or 0) <= now:
            return None
        return IdempotencyRecord(str(item["request_id"]), str(item["fingerprint"]))

    def transition_op(
        self,
        request: RightsRequest,
        leaving: frozenset[RightsRequestStatus],
        to: RightsRequestStatus,
        within_code_attempts: int | None = None,
        **fields: Any,
    ) -> RawItem:
        """Set the status (and fields) only while the request is in one of `leaving`; off the queue once answered
        (any status not in OPEN: ready, completed, refused). `within_code_attempts`: also only while fewer wrong
        identity codes than that were counted (a code proven right while concurrent wrong ones used up the tries)."""
        names = {"#status": "status"}
        sets = ["#status = :to"]
        vals: dict[str, Any] = {"to": to.value}
        removes: list[str] = []
        for n, (name, value) in enumerate(fields.items()):
            names[f"#f{n}"] = name
            if value is None:
                removes.append(f"#f{n}")
            else:
                sets.append(f"#f{n} = :f{n}")
                vals[f"f{n}"] = iso(value) if isinstance(value, datetime) else value
        if to not in OPEN:
            names["#q"] = "rights_queue"
            removes.append("#q")
        else:
            names["#q"] = "rights_queue"
            sets.append("#q = :open")
            vals["open"] = OPEN_QUEUE
        leaving_names = []
        for n, status in enumerate(sorted(leaving)):
            leaving_names.append(f":l{n}")
            vals[f"l{n}"] = status.value
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        attempts_condition = ""
        if within_code_attempts is not None:
            names["#ca"] = "code_attempts"
            vals["max_attempts"] = within_code_attempts
            attempts_condition = " AND (attribute_not_exists(#ca) OR #ca < :max_attempts)"
        return {
            "Update": {
                "TableName": self.table,
                "Key": self._key(request.customer_id, request.request_id),
                "UpdateExpression": expression,
                "ConditionExpression": f"#status IN ({', '.join(leaving_names)})" + attempts_condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values(**vals),
            }
        }

    def count_code_failure_op(self, request: RightsRequest) -> RawItem:
        """One more wrong identity code, counted atomically (ADD): concurrent wrong codes each count."""
        return {
            "Update": {
                "TableName": self.table,
                "Key": self._key(request.customer_id, request.request_id),
                "UpdateExpression": "ADD code_attempts :one",
                "ConditionExpression": "#status = :awaiting",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": values(one=1, awaiting=RightsRequestStatus.AWAITING_IDENTITY.value),
            }
        }

    def update_op(self, request: RightsRequest, condition: str, **fields: Any) -> RawItem:
        """Set (or remove, None) fields of the request while `condition` holds (names as #<field>)."""
        names = {f"#{name}": name for name in fields} | {"#status": "status"}
        sets = [f"#{name} = :{name}" for name, value in fields.items() if value is not None]
        removes = [f"#{name}" for name, value in fields.items() if value is None]
        vals = {name: (iso(v) if isinstance(v, datetime) else v) for name, v in fields.items() if v is not None}
        expression = ("SET " + ", ".join(sets) if sets else "") + (" REMOVE " + ", ".join(removes) if removes else "")
        operation: dict[str, Any] = {
            "TableName": self.table,
            "Key": self._key(request.customer_id, request.request_id),
            "UpdateExpression": expression.strip(),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
        }
        condition_values = {
            "awaiting": RightsRequestStatus.AWAITING_IDENTITY.value,
        }
        used = {n: v for n, v in condition_values.items() if f":{n}" in condition}
        if vals or used:
            operation["ExpressionAttributeValues"] = values(**vals, **used)
        return {"Update": operation}

    def mark_notified(self, request: RightsRequest, at: datetime) -> None:
        client().update_item(
            TableName=self.table,
            Key=self._key(request.customer_id, request.request_id),
            UpdateExpression="SET notified_at = :at",
            ConditionExpression="attribute_exists(sk)",
            ExpressionAttributeValues=values(at=iso(at)),
        )

    # Reads ------------------------------------------------------------------------------------------------
    def get(self, customer_id: str, request_id: str) -> RightsRequest | None:
        raw = client().get_item(TableName=self.table, Key=self._key(customer_id, request_id), ConsistentRead=True)
        return request_of(from_raw(raw["Item"])) if "Item" in raw else None

    def of_customer(self, customer_id: str) -> list[RightsRequest]:
        items = query_all(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues=values(pk=customer_pk(customer_id), p=RIGHTS),
        )
        return sorted((request_of(i) for i in items), key=lambda r: r.received_at, reverse=True)

    def open_by_due(self, due_before: datetime | None = None) -> list[RightsRequest]:
        """The open requests, earliest due first (the sparse index; eventually consistent)."""
        condition = "rights_queue = :q"
        vals: dict[str, Any] = {"q": OPEN_QUEUE}
        if due_before is not None:
            condition += " AND due_at <= :d"
            vals["d"] = iso(due_before)
        items = query_all(
            TableName=self.table,
            IndexName=QUEUE_INDEX,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values(**vals),
        )
        return [request_of(i) for i in items]


def run(operations: list[RawItem]) -> bool:
    """The transaction; False when a condition failed (the request moved meanwhile)."""
    try:
        transact(operations)
    except ConditionFailed:
        return False
    return True


# --- The reader: every store of the registry, for one customer ----------------------------------------------
@dataclass
class Found:
    """What the reader found: per registry store, the customer's items (or object keys)."""

    items: dict[str, list[Item]] = field(default_factory=dict)  # store name -> items
    reads: int = 0  # DynamoDB and S3 calls made

    def add(self, store: Store, item: Item) -> None:
        self.items.setdefault(store.name, []).append(item)


class PersonalDataReader:
    """Reads everything the registry declares about one customer, one routine per Locator."""

    def __init__(
        self,
        customers_table: str,
        credentials_table: str,
        sessions_table: str,
        connection_log_table: str,
        audit_log_table: str,
        invoices_bucket: str,
        sms_table: str,
    ) -> None:
        self.table = customers_table
        self.sms_table = sms_table
        self.credentials_table = credentials_table
        self.sessions_table = sessions_table
        self.connection_log_table = connection_log_table
        self.audit_log_table = audit_log_table
        self.invoices_bucket = invoices_bucket
        self.routines: dict[Locator, Callable[[str, Found, dict[str, Any]], None]] = {
            Locator.CUSTOMER_PARTITION: self._customer_partition,
            Locator.RETENTION_STEP: self._in_partition,
            Locator.SIM_CLAIMS: self._sim_claims,
            Locator.PAYMENT_REFERENCES: self._payment_references,
            Locator.USAGE_PARTITIONS: self._usage_partitions,
            Locator.CREDENTIAL: self._credential,
            Locator.SESSIONS: self._sessions,
            Locator.GRANTS: self._grants,
            Locator.CONNECTION_LOG: self._connection_log,
            Locator.INVOICE_OBJECTS: self._invoice_objects,
            Locator.NEVER: self._audit_trail,
            Locator.NOT_LINKED: self._not_linked,
            Locator.SMS_COMPLAINTS: self._sms_complaints,
        }

    def read(self, customer_id: str) -> Found:
        found = Found()
        context: dict[str, Any] = {}
        # In the registry's order of locators, the partition first: it names the lines, payments, invoices.
        order = [Locator.CUSTOMER_PARTITION, *(loc for loc in Locator if loc is not Locator.CUSTOMER_PARTITION)]
        for locator in order:
            if any(s.locator is locator for s in registry.REGISTRY):
                self.routines[locator](customer_id, found, context)
        return found

    def _query(self, found: Found, **kwargs: Any) -> list[Item]:
        items: list[Item] = []
        while True:
            response = client().query(**kwargs)
            found.reads += 1
            items.extend(from_raw(raw) for raw in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return items
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _get(self, found: Found, table: str, item_key: RawItem) -> Item | None:
        found.reads += 1
        raw = client().get_item(TableName=table, Key=item_key, ConsistentRead=True).get("Item")
        return from_raw(raw) if raw else None

    def _customer_partition(self, customer_id: str, found: Found, context: dict[str, Any]) -> None:
        items = self._query(
            found,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=values(pk=customer_pk(customer_id)),
            ConsistentRead=True,
        )
        context["partition"] = items
        line_ids: set[str] = set()
        for item in items:
            sk = str(item["sk"])
            store = registry.store_of(registry.CUSTOMERS, str(item["pk"]), sk)
            if store is None or store.locator is not Locator.CUSTOMER_PARTITION:
                continue
            found.add(store, item)
            if store.sk_prefix == "LINE#":
                line_ids.add(str(item.get("line_id") or sk.split("#")[1]))
            if sk == "USAGE_LINES":
                line_ids |= {str(x) for x in item.get("line_ids") or ()}
        context["line_ids"] = line_ids

    def _in_partition(self, customer_id: str, found: Found, context: dict[str, Any]) -> None:
        """RETENTION_STEP: the pending steps are items of the partition already read."""
        for item in context.get("partition", []):
            store = registry.store_of(registry.CUSTOMERS, str(item["pk"]), str(item["sk"]))
            if store is not None and store.locator is Locator.RETENTION_STEP:
                found.add(store, item)

    def _derived(self, found: Found, customer_id: str, pk: str) -> None:
        item = self._get(found, self.table, key(pk=pk, sk=pk))
        if item and item.get("customer_id") == customer_id:
            store = registry.store_of(registry.CUSTOMERS, pk, pk)
            if store is not None:
                found.add(store, item)

    def _sim_claims(self, customer_id: str, found: Found, context: dict[str, Any]) -> None:
        for item in context.get("partition", []):
            if str(item["sk"]).startswith("LINE#"):
                iccid = item.get("iccid") or (item.get("details") or {}).get("iccid")
                if iccid:
                    self._derived(found, customer_id, f"ICCID#{iccid}")

    def _payment_references(self, customer_id: str, found: Found, context: dict[str, Any]) -> None:
        for item in context.get("partition", []):
            if str(item["sk"]).startswith("PAYMENT#") and item.get("payment_id"):
                self._derived(found, customer_id, f"PAYREF#{item['payment_id']}")

    def _usage_partitions(self, customer_id: str, found: Found, context: dict[str, Any]) -> None:
        """Every usage partition of the lines, as the anonymisation finds them. The per-type partitions hold copies
        of the per-line records (selfcare.dal.billing): the per-line partition is read whole, the per-type ones by
        their keys only (ProjectionExpression), and a per-type partition is read whole only when it holds a record
        the per-line one lacks; a record is exported once (by line and sort key). Half the bytes of reading both
        whole, for the same calls (bench/rights.py: moto's response serialisation was most of the export's time)."""
        for line_id in sorted(context.get("line_ids", set())):
            seen: set[str] = set()
            base = f"USAGE#{customer_id}#{line_id}"
            self._usage_items(found, base, seen)
            for usage_type in UsageType:
                pk = f"{base}#{usage_type.value}"
                keys = self._query(
                    found,
                    TableName=self.table,
                    KeyConditionExpression="pk = :pk",
                    ExpressionAttributeValues=values(pk=pk),
                    ProjectionExpression="sk",
                )
                missing = {str(k["sk"]) for k in keys} - seen
                if missing:  # a record only the per-type partition holds: read it whole, keep those
                    self._usage_items(found, pk, seen, only=missing)

    def _usage_items(self, found: Found, pk: str, seen: set[str], only: set[str] | None = None) -> None:
        for item in self._query(
            found,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=values(pk=pk),
        ):
            sk = str(item["sk"])
            if sk in seen or (only is not None and sk not in only):
                continue
            seen.add(sk)
            store = registry.store_of(registry.CUSTOMERS, pk, sk)
            if store is not None:
                found.add(store, item)

    def _credential(self, customer_id: str, found: Found, context: dict[str, Any]) -> None:
        credential = self._get(found, self.credentials_table, key(pk=f"PRINCIPAL#{customer_id}"))
        if credential is None:
            return
        store = registry.store_of(registry.CREDENTIALS, str(credential["pk"]))
        if store is not None:
            found.add(store, credential)
        # The login keys naming the customer (selfcare.dal.credentials: where each lives), the credential's and
        # those the record's current contacts moved to, as the anonymisation finds them.
        repository = CredentialsRepository(self.credentials_table, self.table)
        model = credential_of(credential)
        logins = login_keys_of(model)
        for item in context.get("partition", []):
            if item.get("sk") == "PROFILE":
                for kind, name in ((IdentifierKind.EMAIL, "contact_email"), (IdentifierKind.PHONE, "contact_mobile")):
                    if item.get(name):
                        logins.append(login_key(kind, str(item[name])))
        for login in dict.fromkeys(logins):
            table, item_key = repository.where(login)
            item = self._get(found, table, item_key)
            if item and item.get("principal_id") == customer_id:
                location = registry.CUSTOMERS if table == self.table else registry.CREDENTIALS
                store = registry.store_of(location, login, str(item.get("sk")) if "sk" in item else None)
                if store is not None:
                    found.add(store, item)
        subject = credential.get("digital_identity_id")
        if subject:
            link = self._get(found, self.credentials_table, key(pk=f"DIGITAL_IDENTITY#{subject}"))
            if link and link.get("principal_id") == customer_id:
                store = registry.store_of(registry.CREDENTIALS, str(link["pk"]))
                if store is not None:
                    found.add(store, link)

    def _sessions_table_index(self, found: Found, index: str, name: str, value: str) -> None:
        for item in self._query(
            found,
            TableName=self.sessions_table,
            IndexName=index,
            KeyConditionExpression=f"{name} = :v",
            ExpressionAttributeValues=values(v=value),
        ):
            store = registry.store_of(registry.SESSIONS, str(item["pk"]))
            if store is not None:
                found.add(store, item)

    def _sessions(self, customer_id: str, found: Found, context: dict[str, Any]) -> None:
        self._sessions_table_index(found, "by_principal", "principal", f"customer#{customer_id}")

    def _grants(self, customer_id: str, found: Found, context: dict[str, Any]) -> None:
        self._sessions_table_index(found, "by_customer", "customer_id", customer_id)

    def _connection_log(self, customer_id: str, found: Found, context: dict[str, Any]) -> None:
        principal = f"customer#{customer_id}"
        store = registry.store_of(registry.CONNECTION_LOG, principal)
        for item in self._query(
            found,
            TableName=self.connection_log_table,
            KeyConditionExpression="principal = :p",
            ExpressionAttributeValues=values(p=principal),
        ):
            if store is not None:
                found.add(store, item)

    def _invoice_objects(self, customer_id: str, found: Found, context: dict[str, Any]) -> None:
        """The invoice documents: their names (the documents themselves are downloadable from the space)."""
        s3 = aws.client("s3")
        names = {str(i["pdf_key"]) for i in context.get("partition", []) if i.get("pdf_key")}
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.invoices_bucket, Prefix=f"invoices/{customer_id}/"
        ):
            found.reads += 1
            names |= {str(o["Key"]) for o in page.get("Contents", [])}
        for name in sorted(names):
            store = registry.store_of(registry.INVOICES_BUCKET, name)
            if store is not None:
                found.add(store, {"object": name})

    def _audit_trail(self, customer_id: str, found: Found, context: dict[str, Any]) -> None:
        """The audit trail's entries about the customer (pseudonymous; read, never changed)."""
        subject = f"customer#{customer_id}"
        store = registry.store_of(registry.AUDIT_LOG, subject, "")
        for item in self._query(
            found,
            TableName=self.audit_log_table,
            KeyConditionExpression="subject = :s",
            ExpressionAttributeValues=values(s=subject),
            ProjectionExpression="actor, on_behalf_of, #a, target, #at, request_id, grant_id",
            ExpressionAttributeNames={"#a": "action", "#at": "at"},
        ):
            if store is not None:
                found.add(store, item)

    def _sms_complaints(self, customer_id: str, found: Found, context: dict[str, Any]) -> None:
        """The customer's reports of unwanted SMS: one partition per provider (the register lists them, a few
        hundred at most) and one for an unknown sender, each read for the items naming this customer."""
        store = registry.store_of(registry.SMS, "COMPLAINT#unknown")
        providers = self._query(
            found,
            TableName=self.sms_table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues=values(pk=SMS_PROVIDERS_PK, p="PROVIDER#"),
            ProjectionExpression="sk",
        )
        partitions = [f"COMPLAINT#{str(p['sk']).removeprefix('PROVIDER#')}" for p in providers] + ["COMPLAINT#unknown"]
        for partition in partitions:
            for item in self._query(
                found,
                TableName=self.sms_table,
                KeyConditionExpression="pk = :pk",
                FilterExpression="customer_id = :c",
                ExpressionAttributeValues=values(pk=partition, c=customer_id),
            ):
                if store is not None:
                    found.add(store, item)

    def _not_linked(self, customer_id: str, found: Found, context: dict[str, Any]) -> None:
        """NOT_LINKED: nothing names the customer; the export says so per store (its purpose and retention)."""


# --- The files: exports and identity documents in the rights bucket ------------------------------------------
EXPORTS = "exports/"
IDENTITY_DOCUMENTS = "identity-documents/"


class RightsFiles:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def export_key(self, request_id: str, name: str) -> str:
        return f"{EXPORTS}{request_id}/{name}"

    def put(self, object_key: str, body: bytes, content_type: str) -> None:
        aws.client("s3").put_object(Bucket=self.bucket, Key=object_key, Body=body, ContentType=content_type)

    def download_url(self, object_key: str, expires_in: int, filename: str) -> str:
        return str(
            aws.client("s3").generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": object_key,
                    "ResponseContentDisposition": f'attachment; filename="{filename}"',
                },
                ExpiresIn=expires_in,
            )
        )

    def upload_url(self, object_key: str, expires_in: int) -> str:
        """A presigned PUT (the identity document; the bucket's default encryption applies)."""
        return str(
            aws.client("s3").generate_presigned_url(
                "put_object", Params={"Bucket": self.bucket, "Key": object_key}, ExpiresIn=expires_in
            )
        )

    def view_url(self, object_key: str, expires_in: int) -> str:
        return str(
            aws.client("s3").generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": object_key}, ExpiresIn=expires_in
            )
        )

    def exists(self, object_key: str) -> bool:
        try:
            aws.client("s3").head_object(Bucket=self.bucket, Key=object_key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound", "403"):
                return False
            raise
        return True

    def delete(self, object_key: str) -> None:
        aws.client("s3").delete_object(Bucket=self.bucket, Key=object_key)
