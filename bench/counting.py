"""DynamoDB calls per request through the emulated API Gateway, counted with botocore's event hooks.

`count_calls(gateway)` returns a Counter keyed by phase: "authorizer" (calls the authorizer Lambda
makes), "handler" (the capability's handler) and "tasks" (calls from other threads, e.g. Step
Functions tasks run in-process on moto). Clear it before a request, read it after.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from selfcare import aws


def count_calls(gateway: Any) -> Counter[str]:
    counts: Counter[str] = Counter()
    phase = {"name": "handler"}
    main = threading.get_ident()

    def count(**_: Any) -> None:
        counts[phase["name"] if threading.get_ident() == main else "tasks"] += 1

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
