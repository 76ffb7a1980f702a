"""Shared test settings: fake AWS credentials and region, never real ones."""

from __future__ import annotations

import os

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_REGION": "eu-west-3",
        "POWERTOOLS_METRICS_DISABLED": "true",
        # Powertools flushes after 100 values of a metric, which needs a namespace even when disabled.
        "POWERTOOLS_METRICS_NAMESPACE": "SelfcareTests",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(variable, None)

# Cheap argon2 parameters for tests (production uses the defaults of selfcare.config).
FAST_HASHING = {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024", "ARGON2_PARALLELISM": "1", "CAPTCHA_COST": "200"}
