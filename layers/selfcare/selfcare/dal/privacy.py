"""Which stores of the personal-data registry hold items of one customer (the notice's categories held for them).

Keys only (projections): nothing personal is read. One Query of the customer's partition (consistent), which also
says whether the derived stores hold something (usage partitions from `USAGE_LINES`, SIM claims from the lines'
`iccid`, payment references from the payments, invoice PDFs from the invoices' `pdf_key`), one GetItem of the
credential, and one Query (Limit 1) each of the sessions index, the grants index and the connection log.
"""

from __future__ import annotations

from selfcare.dal.credentials import principal_key
from selfcare.dal.customers import customer_pk
from selfcare.dal.dynamo import client, key, query_all, values
from selfcare.privacy import registry
from selfcare.privacy.registry import Store

BY_PRINCIPAL = "by_principal"
BY_CUSTOMER = "by_customer"


class PrivacyRepository:
    def __init__(
        self, customers_table: str, credentials_table: str, sessions_table: str, connection_log_table: str
    ) -> None:
        self.customers_table = customers_table
        self.credentials_table = credentials_table
        self.sessions_table = sessions_table
        self.connection_log_table = connection_log_table

    def held_stores(self, customer_id: str) -> list[Store]:
        """The registry entries with at least one item of this customer, in the registry's order."""
        found: set[str] = set()
        pk = customer_pk(customer_id)
        for item in query_all(
            TableName=self.customers_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=values(pk=pk),
            ProjectionExpression="pk, sk, line_ids, iccid, pdf_key",
            ConsistentRead=True,
        ):
            sk = str(item["sk"])
            _add(found, registry.store_of(registry.CUSTOMERS, pk, sk))
            if sk == "USAGE_LINES" and item.get("line_ids"):
                _add(found, registry.store_of(registry.CUSTOMERS, f"USAGE#{customer_id}#line"))
            if sk.startswith("LINE#") and item.get("iccid"):
                _add(found, registry.store_of(registry.CUSTOMERS, "ICCID#", "ICCID#"))
            if sk.startswith("PAYMENT#"):
                _add(found, registry.store_of(registry.CUSTOMERS, "PAYREF#", "PAYREF#"))
            if sk.startswith("INVOICE#") and item.get("pdf_key"):
                _add(found, registry.store_of(registry.INVOICES_BUCKET, "invoices/"))
        credential = (
            client()
            .get_item(
                TableName=self.credentials_table,
                Key=key(pk=principal_key(customer_id)),
                ProjectionExpression="pk, digital_identity_id",
            )
            .get("Item")
        )
        if credential:
            _add(found, registry.store_of(registry.CREDENTIALS, principal_key(customer_id)))
            _add(found, registry.store_of(registry.CREDENTIALS, "LOGIN#"))
            _add(found, registry.store_of(registry.CUSTOMERS, "LOGIN#", "LOGIN"))
            if "digital_identity_id" in credential:
                _add(found, registry.store_of(registry.CREDENTIALS, "DIGITAL_IDENTITY#"))
        if self._any(index=BY_PRINCIPAL, name="principal", value=f"customer#{customer_id}"):
            _add(found, registry.store_of(registry.SESSIONS, "SESSION#"))
        if self._any(index=BY_CUSTOMER, name="customer_id", value=customer_id):
            _add(found, registry.store_of(registry.SESSIONS, "GRANT#"))
        if self._any(table=self.connection_log_table, name="principal", value=f"customer#{customer_id}"):
            _add(found, registry.store_of(registry.CONNECTION_LOG, f"customer#{customer_id}"))
        return [store for store in registry.REGISTRY if _id(store) in found]

    def _any(self, name: str, value: str, table: str | None = None, index: str | None = None) -> bool:
        kwargs: dict[str, object] = {
            "TableName": table or self.sessions_table,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": name},
            "ExpressionAttributeValues": values(v=value),
            "Limit": 1,
            "Select": "COUNT",
        }
        if index:
            kwargs["IndexName"] = index
        return int(client().query(**kwargs).get("Count", 0)) > 0


def _id(store: Store) -> str:
    return f"{store.location}|{store.pk_prefix}|{store.sk_prefix}"


def _add(found: set[str], store: Store | None) -> None:
    if store is not None:
        found.add(_id(store))
