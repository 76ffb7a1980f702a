"""One cold start: a fresh interpreter imports a handler and serves one request (or, for the
baseline, only imports boto3 and creates a DynamoDB client). Run by bench/__main__.py."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path


def main() -> None:
    target = sys.argv[1]
    if target == "baseline":
        import boto3

        boto3.client("dynamodb")
        return
    event = json.loads(Path(sys.argv[2]).read_text())
    path = Path(__file__).resolve().parents[1] / "functions" / target / "handler.py"
    spec = importlib.util.spec_from_file_location("handler", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    class Context:
        function_name = f"selfcare-{target}"
        memory_limit_in_mb = 512
        invoked_function_arn = f"arn:aws:lambda:eu-west-3:123456789012:function:selfcare-{target}"
        aws_request_id = "bench"

        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return 10_000

    result = module.lambda_handler(event, Context())
    if "statusCode" in result:  # an API handler
        ok = 200 <= int(result["statusCode"]) < 300
    elif "policyDocument" in result:  # the authorizer
        ok = result["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    elif "outcome" in result:  # the projection: applied the first time, a duplicate afterwards
        ok = result["outcome"] in ("applied", "duplicate")
    else:  # the outbox relay: nothing to retry
        ok = result.get("batchItemFailures") == []
    if not ok:
        sys.stderr.write(f"unexpected result: {json.dumps(result)[:300]}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
