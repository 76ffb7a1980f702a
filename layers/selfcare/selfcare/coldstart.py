"""Cold start: the end of a handler module's init, and SnapStart's priming.

Every handler module ends with `coldstart.loaded(...)`:
- In Lambda (`AWS_LAMBDA_FUNCTION_NAME` set), importing `selfcare` disabled the garbage collector for
  the init phase (selfcare/__init__.py): the objects init creates (modules, classes, pydantic
  validators) live as long as the process, and collecting among them cost ~10 % of a cold start
  (bench/). `loaded` moves them to the permanent generation (`gc.freeze`: never scanned again) and
  enables the collector again, so invocations collect as usual. Elsewhere (tests, the local stack)
  `loaded` leaves the collector alone.
- With SnapStart (infra/stacks/constructs/functions.py), `loaded` registers a before-snapshot hook
  that primes what the first request would otherwise build after each restore: the AWS clients the
  function names and the validation models of its routes. `snapshot_restore_py` is the Lambda Python
  runtime's module; it is absent elsewhere, and then nothing is registered.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable
from typing import Any

from selfcare import aws
from selfcare.observability import logger


def in_lambda() -> bool:
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def loaded(*, clients: Iterable[str] = ("dynamodb",), resolver: Any = None) -> None:
    """The handler module is loaded: settle the collector and register SnapStart's priming."""
    if in_lambda():
        gc.freeze()
        gc.enable()
    register_before_snapshot(lambda: prime(tuple(clients), resolver))


def prime(clients: tuple[str, ...], resolver: Any = None) -> None:
    """Build before the snapshot what the first request would build: clients (no call: a connection
    opened before the snapshot would be stale after a restore) and every route's validation models."""
    for service in clients:
        aws.client(service)
    if resolver is not None:
        for route in [*resolver._static_routes, *resolver._dynamic_routes]:
            route.dependant  # noqa: B018 - Powertools builds the route's pydantic fields on first access
    logger.info("primed before snapshot", extra={"clients": list(clients)})


def register_before_snapshot(hook: Callable[[], None]) -> bool:
    """Registers `hook` with the Lambda runtime's SnapStart hooks; False where the runtime has none."""
    try:
        from snapshot_restore_py import register_before_snapshot as register  # type: ignore[import-not-found]
    except ImportError:
        return False
    register(hook)
    return True
