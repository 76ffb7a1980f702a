"""The in-process world the DynamoDB-call benchmarks run in: moto, the local stack's resources, the demo
data and the emulated API Gateway, with cheap password hashing. The environment is restored afterwards."""

from __future__ import annotations

import contextlib
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
