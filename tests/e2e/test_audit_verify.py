"""The audit trail's verifier runs against the local stack (`make verify-audit`): real HTTP, the stack's
moto server, the digest the stack writes at start."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from infra.definitions import ROOT
from tests.e2e.conftest import Client, LocalStack


def _moto_port(stack: LocalStack) -> int:
    for line in stack.output:
        found = re.search(r"moto \(AWS\)\s+http://127\.0\.0\.1:(\d+)", line)
        if found:
            return int(found.group(1))
    raise AssertionError("the banner names no moto endpoint")


def _verify(port: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "infra.scripts.verify_audit", "--local", "--moto-port", str(port)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_verify_audit_passes_on_the_local_stack_and_names_a_deletion(local_stack: LocalStack, client: Client) -> None:
    # Given: two audited changes (consents) on the running stack: a chain of two entries
    customer = local_stack.customer(0)
    token = client.login(customer["login_id"], customer["password"])["access_token"]
    for granted in (True, False):
        reply = client.call("PUT", "/account/consents/newsletter", {"granted": granted, "channel": "web"}, token=token)
        assert reply.status == 200, reply.text
    port = _moto_port(local_stack)
    # When: the verifier runs against the stack's moto server
    result = _verify(port)
    # Then: it verifies the chains and the digest the stack wrote at start
    assert result.returncode == 0, result.stdout + result.stderr
    assert "audit trail verified" in result.stdout and "1 digests" in result.stdout
    # When: someone deletes the first entry of that customer's trail (not expired: not TTL's doing)
    import boto3

    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="eu-west-3",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    from infra import definitions as d
    from infra.local.resources import table_name

    subject = f"customer#{customer['customer_id']}"
    dynamodb.delete_item(
        TableName=table_name(d.AUDIT_LOG), Key={"subject": {"S": subject}, "sk": {"S": "seq#000000000001"}}
    )
    time.sleep(0.1)
    # Then: the verifier fails and names it
    result = _verify(port)
    assert result.returncode == 1
    assert f"FAIL deleted: {subject} seq#000000000001" in result.stdout
