"""DynamoDB calls per request for the line capabilities (mobile, fixed, internet/VoIP, TV, services).

`rows()` returns (route, authorizer calls, handler calls, target) like bench/__main__.py's
dynamodb_calls(), counted with botocore before-call hooks through the emulated API Gateway on
in-process moto, the provisioning port replaced by the in-memory fake (no network).
Reads: 1 call (one Query: the line and everything under it). A staff read adds its access-log
entry; PUK and PIN views add their audit entry whoever reads. A change: the read, then one
transaction (the change and its audit entry); a SIM activation claims the ICCID first; a pack
subscription adds Powertools' idempotency record (put, then update with the answer).
"""

from __future__ import annotations

import json
from typing import Any

from bench.world import Recorder, local_stack

LINE = {"mobile": "M-377612345678", "fixed": "F-37797970000", "internet": "I-0001", "tv": "T-0001"}
STRONG = "Tide-Lantern-Quarry-58"


def _requests() -> list[tuple[str, str, Any, int, str]]:
    """(method, path, body, expected status, target) for every route of the line capabilities."""
    m, f, i, t = LINE["mobile"], LINE["fixed"], LINE["internet"], LINE["tv"]
    return [
        ("GET", "/mobile/lines", None, 200, "1"),
        ("GET", f"/mobile/lines/{m}", None, 200, "1"),
        ("GET", f"/mobile/lines/{m}/usage", None, 200, "1"),
        ("GET", f"/mobile/lines/{m}/out-of-bundle", None, 200, "1"),
        ("GET", f"/mobile/lines/{m}/roaming", None, 200, "1"),
        ("GET", f"/mobile/lines/{m}/puk", None, 200, "2: read + audit"),
        ("POST", "/mobile/lines/M-377612345679/sim", {"iccid": "8937710310000000058"}, 200,
         "3: read, claim, transaction"),
        ("GET", "/fixed/lines", None, 200, "1"),
        ("GET", f"/fixed/lines/{f}", None, 200, "1"),
        ("GET", f"/fixed/lines/{f}/usage", None, 200, "1"),
        ("GET", "/internet/lines", None, 200, "1"),
        ("GET", f"/internet/lines/{i}", None, 200, "1"),
        ("GET", f"/internet/lines/{i}/boxes", None, 200, "1"),
        ("PATCH", f"/internet/lines/{i}/boxes/box1", {"name": "Office"}, 200, "2"),
        ("GET", f"/internet/lines/{i}/usage", None, 200, "1"),
        ("GET", f"/internet/lines/{i}/access-settings", None, 200, "1"),
        ("POST", f"/internet/lines/{i}/nomadic-access", {"password": STRONG}, 200, "2"),
        ("PUT", f"/internet/lines/{i}/nomadic-access/password", {"new_password": "Harbour-Violet-Comet-77"}, 204, "2"),
        ("GET", f"/internet/lines/{i}/drive", None, 200, "1"),
        ("POST", f"/internet/lines/{i}/drive", None, 200, "2"),
        ("GET", f"/internet/lines/{i}/mailboxes", None, 200, "1"),
        ("POST", f"/internet/lines/{i}/mailboxes", {"local_part": "bench", "password": STRONG}, 201, "2"),
        ("PUT", f"/internet/lines/{i}/mailboxes/mbjeanne/password", {"new_password": STRONG}, 204, "2"),
        ("DELETE", f"/internet/lines/{i}/mailboxes/mbjeanne", None, 204, "2"),
        ("GET", "/voip/lines", None, 200, "1"),
        ("GET", f"/voip/lines/{i}", None, 200, "1"),
        ("PUT", f"/voip/lines/{i}/call-waiting", {"enabled": False}, 200, "2"),
        ("PUT", f"/voip/lines/{i}/caller-id-hiding", {"enabled": True}, 200, "2"),
        ("PUT", f"/voip/lines/{i}/forwarding", {"destination": "+33612345678"}, 200, "2"),
        ("DELETE", f"/voip/lines/{i}/forwarding", None, 200, "2"),
        ("PUT", f"/voip/lines/{i}/restrictions", {"international": True, "premium_rate": True, "mobile": False},
         200, "2"),
        ("GET", f"/voip/lines/{i}/pin", None, 200, "2: read + audit"),
        ("PUT", f"/voip/lines/{i}/pin", {"pin": "802413"}, 204, "2"),
        ("GET", "/tv/lines", None, 200, "1"),
        ("GET", f"/tv/lines/{t}", None, 200, "1"),
        ("GET", f"/tv/lines/{t}/boxes", None, 200, "1"),
        ("PATCH", f"/tv/lines/{t}/boxes/tvbox1", {"name": "Bedroom"}, 200, "2"),
        ("PUT", f"/tv/lines/{t}/password", {"new_password": STRONG}, 204, "2"),
        ("GET", f"/tv/lines/{t}/packs", None, 200, "1"),
        ("POST", f"/tv/lines/{t}/packs", {"pack_id": "cinema"}, 201, "4: read, idempotency put, transaction, update"),
        ("POST", f"/tv/lines/{t}/packs", {"pack_id": "cinema"}, 201, "2: read, idempotency record (replay)"),
        ("DELETE", f"/tv/lines/{t}/packs/kids", None, 200, "2"),
        ("GET", f"/tv/lines/{t}/vod", None, 200, "1"),
        ("GET", f"/tv/lines/{t}/vod/export", None, 200, "1"),
        ("GET", "/services", None, 200, "1"),
    ]  # fmt: skip


def _template(path: str) -> str:
    """The route of a request path (the benchmark's rows name routes, not demo identifiers)."""
    parts = path.split("/")
    if len(parts) > 3 and parts[1] in ("mobile", "fixed", "internet", "voip", "tv"):
        parts[3] = "{line_id}"
    children = {"boxes": "{box_id}", "mailboxes": "{mailbox_id}", "packs": "{pack_id}"}
    if len(parts) > 5 and parts[4] in children:
        parts[5] = children[parts[4]]
    return "/".join(parts)


def rows() -> list[tuple[str, int, int, str]]:
    from selfcare.auth.policy import StaffRole

    from tests.fakes import InMemoryProvisioning

    with local_stack() as (gateway, world, _):
        fake = InMemoryProvisioning()
        for name in ("mobile", "fixed", "internet", "tv", "services"):
            gateway.handlers[name].service.provisioning = fake
        recorder = Recorder(gateway)
        login, call = recorder.login, recorder.call

        jeanne, marco = world.customers
        token = login("/auth/login", {"identifier": jeanne.login_id, "password": jeanne.password})
        for method, path, payload, expect, target in _requests():
            route = f"{method} {_template(path)}"
            label = route + (" (repeated)" if any(r[0] == route for r in recorder.rows) else "")
            call(label, method, path, payload, expect, target, {"Authorization": f"Bearer {token}"})
        marco_token = login("/auth/login", {"identifier": marco.login_id, "password": marco.password})
        call(
            "GET /services/{service_id}",
            "GET",
            "/services/O-0002",
            None,
            200,
            "1",
            {"Authorization": f"Bearer {marco_token}"},
        )
        advisor = world.staff[StaffRole.CUSTOMER_SERVICE_ADVISOR]
        staff_token = login("/staff/auth/login", {"email": advisor.email, "password": advisor.password})
        grant = gateway.handle(
            "POST",
            "/staff/assisted-access",
            {"Content-Type": "application/json", "Authorization": f"Bearer {staff_token}"},
            json.dumps({"customer_id": "C0001", "reason": "Benchmark of assisted access"}),
        )
        headers = {"Authorization": f"Bearer {staff_token}", "X-Assisted-Access": json.loads(grant.body)["grant_id"]}
        call("GET /mobile/lines/{line_id} (staff, audited)", "GET", f"/mobile/lines/{LINE['mobile']}", None, 200,
             "2: read + access log", headers)  # fmt: skip
    return recorder.rows


if __name__ == "__main__":
    for label, authorizer_calls, handler_calls, target in rows():
        print(f"| {label} | {authorizer_calls} | {handler_calls} | {target} |")
