"""DynamoDB calls per request through the emulated API Gateway, counted with botocore's event hooks.

`count_calls(gateway)` returns a Counter keyed by phase: "authorizer" (calls the authorizer Lambda
makes), "handler" (the capability's handler), "usage" (the usage statistics' one UpdateItem per answered
request, made by the shared resolver, counted apart so that the handler figures stay comparable) and "tasks"
(calls from other threads, e.g. Step Functions tasks run in-process on moto). Clear it before a request, read it
after.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

from selfcare import aws

from infra.definitions import USAGE_STATS

USAGE_STATS_SUFFIX = USAGE_STATS.logical_id  # local table names end with the logical id


def _table_of(request: Any) -> str:
    """The table a DynamoDB request names (before-call sees the serialised request: a JSON body)."""
    body = (request or {}).get("body") or b"{}"
    try:
        return str(json.loads(body).get("TableName", ""))
    except (ValueError, AttributeError):
        return ""


def is_usage_write(model: Any, request: Any) -> bool:
    """The usage statistics' UpdateItem (one per answered request, made by the shared resolver)."""
    return getattr(model, "name", "") == "UpdateItem" and _table_of(request).endswith(USAGE_STATS_SUFFIX)


def count_calls(gateway: Any) -> Counter[str]:
    counts: Counter[str] = Counter()
    phase = {"name": "handler"}
    main = threading.get_ident()

    def count(model: Any = None, params: Any = None, **_: Any) -> None:
        if threading.get_ident() != main:
            counts["tasks"] += 1
        elif is_usage_write(model, params):
            counts["usage"] += 1
        else:
            counts[phase["name"]] += 1

    aws.client("dynamodb").meta.events.register("before-call.dynamodb", count)
    authorizer = gateway.handlers["authorizer"]
    original = authorizer.lambda_handler

    def counted_authorizer(event: Any, context: Any) -> Any:
        phase["name"] = "authorizer"
        try:
            return original(event, context)
        finally:
            phase["name"] = "handler"

    authorizer.lambda_handler = counted_authorizer
    return counts
