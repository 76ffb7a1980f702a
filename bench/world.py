"""The in-process world the DynamoDB-call benchmarks run in: moto, the local stack's resources, the demo
data and the emulated API Gateway, with cheap password hashing. The environment is restored afterwards."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from typing import Any

BENCH_ENV = {
    "AWS_DEFAULT_REGION": "eu-west-3",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
}
CHEAP_HASHING = {
    "ARGON2_TIME_COST": "1",
    "ARGON2_MEMORY_KIB": "1024",
    "ARGON2_PARALLELISM": "1",
    "RECOVERY_RESPONSE_FLOOR_MS": "0",
}


@contextlib.contextmanager
def local_stack() -> Iterator[tuple[Any, Any, Any]]:
    """moto in-process with the local stack's resources and demo data: (gateway, world, resources)."""
    import boto3
    from moto import mock_aws
    from selfcare import aws

    from infra.local.gateway import Gateway
    from infra.local.resources import create_resources
    from infra.local.seed import seed_demo

    saved = dict(os.environ)
    try:
        for name, value in BENCH_ENV.items():
            os.environ.setdefault(name, value)
        with mock_aws():
            resources = create_resources(boto3.Session(region_name="eu-west-3"))
            os.environ.update(resources.merged_environment() | CHEAP_HASHING)
            aws.reset()
            world = seed_demo()
            yield Gateway(), world, resources
            aws.reset()
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Recorder:
    """Requests through the gateway, each recorded as (label, authorizer calls, handler calls, target)."""

    def __init__(self, gateway: Any) -> None:
        from bench.counting import count_calls

        self.gateway = gateway
        self.counts = count_calls(gateway)
        self.rows: list[tuple[str, int, int, str]] = []

    def login(self, path: str, payload: dict[str, str]) -> str:
        response = self.gateway.handle("POST", path, {"Content-Type": "application/json"}, json.dumps(payload))
        return str(json.loads(response.body)["access_token"])

    def call(
        self, label: str, method: str, path: str, payload: Any, expect: int, target: str, headers: dict[str, str]
    ) -> Any:
        self.counts.clear()
        response = self.gateway.handle(
            method, path, {"Content-Type": "application/json"} | headers, json.dumps(payload) if payload else None
        )
        if response.status != expect:
            raise SystemExit(f"{label}: {response.status} {response.body!r}")
        self.rows.append((label, self.counts["authorizer"], self.counts["handler"], target))
        is_json = "json" in str(response.headers.get("Content-Type", ""))
        return json.loads(response.body) if response.body and is_json else None
