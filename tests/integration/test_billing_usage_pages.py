"""Usage listing with 10,000 records on one line, through the API on moto: the first and the last page
cost the same DynamoDB calls, and the items read are the page's (never the records before it),
counted with botocore hooks (before-call, and ScannedCount/ConsumedCapacity after each Query).

Run in a subprocess: bench/billing.py builds its own moto world and environment (handlers read their
settings at import), which must not leak into the other tests of this process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "import json; from bench.billing import usage_page_cost; print(json.dumps(usage_page_cost(10_000, 100)))"


def test_first_and_last_page_of_10000_records_cost_the_same() -> None:
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=600, check=True
    )
    cost = json.loads(done.stdout.strip().splitlines()[-1])
    first, last = cost["first"], cost["last"]
    assert cost["pages"] >= 100
    assert first["calls"] == last["calls"] == 2  # the authorizer's session read, then ONE Query
    assert first["usage_writes"] == last["usage_writes"] == 1  # and the usage statistics' counter (issue 10)
    assert first["items_read"] == first["records"] == 100
    assert last["items_read"] == last["records"] <= 100  # what the page shows, nothing scanned before it
    assert last["capacity_units"] <= first["capacity_units"]
