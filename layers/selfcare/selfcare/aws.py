"""AWS clients for the dal and the port adapters: one botocore session and one client per service
per process, created on first use (never at import).

botocore directly, not boto3: boto3's clients are botocore clients, and importing boto3 (with
s3transfer) costs a cold start for nothing we use. Region, credentials and endpoint (AWS_ENDPOINT_URL
on the local stack) come from the environment, as for any AWS SDK.
"""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
_session: Any = None
_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    global _session
    if service not in _clients:
        if _session is None:
            _session = botocore.session.get_session()
        _clients[service] = _session.create_client(service, config=_CONFIG)
    return _clients[service]


def reset() -> None:
    """Forget every client (tests switch between moto instances)."""
    global _session
    _session = None
    _clients.clear()
