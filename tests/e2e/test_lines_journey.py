"""End to end, over real HTTP on the local stack: a customer changes a VoIP forwarding, subscribes to
a TV pack (twice: applied once), cancels it, and exports the VOD consumption as a PDF."""

from __future__ import annotations

import http.client
import json
import re
from typing import Any
from urllib.parse import urlsplit

from tests.e2e.conftest import Client, LocalStack


def _simulator_attempts(stack: LocalStack) -> list[dict[str, Any]]:
    """What reached the provisioning simulator (its URL is in the stack's start-up output)."""
    line = next(x for x in stack.output if "Provisioning simulator" in x)
    url = urlsplit(re.search(r"http://\S+", line).group(0))  # type: ignore[union-attr]
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        connection.request("GET", "/_control/attempts")
        return list(json.loads(connection.getresponse().read())["attempts"])
    finally:
        connection.close()


def _binary_get(client: Client, path: str, token: str) -> tuple[int, dict[str, str], bytes]:
    url = urlsplit(client.base_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "application/pdf"})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_forwarding_tv_pack_and_vod_pdf(client: Client, local_stack: LocalStack) -> None:
    jeanne = local_stack.customer(0)
    token = client.login(jeanne["login_id"], jeanne["password"])["access_token"]

    # Change the VoIP forwarding; a premium-rate destination is refused with its location.
    changed = client.call(
        "PUT", "/voip/lines/I-0001/forwarding", {"mode": "no_answer", "destination": "+33612345678"}, token
    )
    assert changed.status == 200, changed.text
    assert changed.json()["forwarding"] == {"mode": "no_answer", "destination": "+33612345678"}
    assert client.call("GET", "/voip/lines/I-0001", token=token).json()["forwarding"]["mode"] == "no_answer"
    premium = client.call("PUT", "/voip/lines/I-0001/forwarding", {"destination": "+33899123456"}, token)
    assert premium.status == 422 and premium.json()["error"]["details"][0]["loc"] == ["body", "destination"]

    # Subscribe to a pack twice with the same key: one subscription, applied once by the network.
    key = {"Idempotency-Key": "e2e-pack-sport-0001"}
    first = client.call("POST", "/tv/lines/T-0001/packs", {"pack_id": "sport"}, token, headers=key)
    again = client.call("POST", "/tv/lines/T-0001/packs", {"pack_id": "sport"}, token, headers=key)
    assert first.status == again.status == 201, first.text
    assert first.json() == again.json() and first.json()["status"] == "active"
    attempts = [a for a in _simulator_attempts(local_stack) if a["idempotency_key"].startswith("tv-pack-T-0001-sport")]
    assert [(a["operation"], a["outcome"]) for a in attempts] == [("apply", "applied")]
    packs = client.call("GET", "/tv/lines/T-0001/packs", token=token).json()["packs"]
    assert [p["pack_id"] for p in packs].count("sport") == 1

    # Cancel it: effective at the end of the current month.
    cancelled = client.call("DELETE", "/tv/lines/T-0001/packs/sport", token=token)
    assert cancelled.status == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelling"
    assert cancelled.json()["effective_until"].endswith("-01T00:00:00.000Z")

    # VOD consumption: anonymised references, and its PDF export.
    views = client.call("GET", "/tv/lines/T-0001/vod", token=token).json()["views"]
    assert views and all(v["title_ref"].startswith("vod_") for v in views)
    status, headers, document = _binary_get(client, "/tv/lines/T-0001/vod/export", token)
    assert status == 200 and headers["content-type"] == "application/pdf"
    assert document.startswith(b"%PDF")
