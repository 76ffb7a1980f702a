"""`make bench`: cold starts, DynamoDB calls per request, shared layer size. Prints a Markdown table.

Figures on these machines are noisy: every cold-start figure is the median of interleaved runs,
and the ratio is taken within the same run.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.counting import count_calls
from bench.identity import solved_captcha

ROOT = Path(__file__).resolve().parents[1]
# The in-process part keeps quiet; the cold-start children log as in production (captured).
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
logging.getLogger("werkzeug").setLevel(logging.ERROR)
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "11"))
TARGET_COLD_RATIO = 1.4
# The commit before the cold-start work (issue 12, section 4): `make bench` runs its handlers in the same
# interleaved rounds, so the table shows before and after from one run. BENCH_COLD_BEFORE="" skips it.
COLD_BEFORE = os.environ.get("BENCH_COLD_BEFORE", "b38f4f4")
TARGET_LAYER_MB = 10.0


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _aws_env(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_REGION": "eu-west-3",
        "AWS_ENDPOINT_URL": endpoint,
    }


def _events(world: Any, resources: Any) -> dict[str, dict[str, Any]]:
    """One request per handler, against the seeded moto: a session read, an account read, an authorization."""
    from selfcare.auth.authorizer import authorizer_context
    from selfcare.auth.tokens import AccessClaims, TokenVerifier
    from selfcare.auth.wiring import build_auth_service
    from selfcare.config import AuthSettings
    from selfcare.ports.keys import SsmPublicKeys

    from infra.local.gateway import Gateway

    del Gateway, resources
    service = build_auth_service(AuthSettings.from_env())
    from selfcare.api.context import RequestInfo

    jeanne = world.customers[0]
    tokens = service.login.login_customer(jeanne.login_id, jeanne.password, RequestInfo("bench", "192.0.2.9", None))
    verifier = TokenVerifier(SsmPublicKeys(os.environ["PUBLIC_KEYS_PARAMETER"]), "selfcare", "selfcare-api")
    claims: AccessClaims = verifier.verify(tokens.access_token)
    context = {
        k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in authorizer_context(claims.caller()).items()
    }

    def proxy(method: str, path: str) -> dict[str, Any]:
        return {
            "resource": path,
            "path": path,
            "httpMethod": method,
            "headers": {"Authorization": f"Bearer {tokens.access_token}"},
            "multiValueHeaders": {},
            "queryStringParameters": None,
            "pathParameters": None,
            "body": None,
            "isBase64Encoded": False,
            "requestContext": {
                "requestId": "bench",
                "resourcePath": path,
                "httpMethod": method,
                "stage": "bench",
                "identity": {"sourceIp": "192.0.2.9"},
                "authorizer": context,
            },
        }

    authorizer_event = {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:eu-west-3:123456789012:api/bench/GET/account",
        "headers": {"Authorization": f"Bearer {tokens.access_token}"},
    }
    return {
        "auth": proxy("GET", "/auth/sessions"),
        "account": proxy("GET", "/account"),
        "authorizer": authorizer_event,
        "mobile": proxy("GET", "/mobile/lines"),
        "fixed": proxy("GET", "/fixed/lines"),
        "internet": proxy("GET", "/internet/lines"),
        "tv": proxy("GET", "/tv/lines"),
        "services": proxy("GET", "/services"),
        # Starts (once: the handle is idempotent) a suspension on the moto server; answers 202.
        "suspension": proxy("POST", "/mobile/lines/M-377612345679/suspension"),
        "billing": proxy("GET", "/billing"),
        # A CRM event as the rule delivers it (applied in the first round, a duplicate in the others).
        "projection": _crm_event(),
        # One outbox item on the customers table's stream: published on the CRM bus, then deleted.
        "crm_outbox": _stream_batch(),
    }


def _crm_event() -> dict[str, Any]:
    event = json.loads((ROOT / "events" / "CustomerCreated.json").read_text())
    event["detail"] |= {"event_id": "bench-cold-start", "entity_version": 1}
    return dict(event)


def _stream_batch() -> dict[str, Any]:
    from datetime import UTC, datetime

    from selfcare.dal.crm_outbox import outbox_item
    from selfcare.dal.dynamo import to_raw
    from selfcare.ports.crm_events import CrmEvent

    now = datetime.now(UTC)
    event = CrmEvent("ConsentChanged", "C0001", now.isoformat(), "bench-outbox", {"purpose": "newsletter"})
    record = {"eventName": "INSERT", "dynamodb": {"SequenceNumber": "1", "NewImage": to_raw(outbox_item(event, now))}}
    return {"Records": [record]}


def _request_label(event: dict[str, Any]) -> str:
    if "httpMethod" in event:
        return f"{event['httpMethod']} {event['path']}"
    if "Records" in event:
        return "(stream batch: 1 outbox item)"
    if "detail-type" in event:
        return f"(CRM event {event['detail-type']})"
    return "(authorizer)"


def _checkout(ref: str) -> Path:
    """The handlers, shared package and cold-start child of an earlier commit, for a before/after run."""
    out = Path(tempfile.mkdtemp(prefix="selfcare-bench-before-"))
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "functions", "layers/selfcare", "bench/cold_child.py"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive.stdout, check=True)
    return out


def cold_starts(
    events: dict[str, dict[str, Any]], env: dict[str, str], before: Path | None = None
) -> list[tuple[str, str, float, float, float | None, float | None]]:
    """Median of ROUNDS interleaved fresh processes per handler (and per handler of the `before` checkout,
    in the same rounds), with its ratio to the baseline's median of the same run."""
    files = {}
    workdir = Path(tempfile.mkdtemp(prefix="selfcare-bench-"))
    for name, event in events.items():
        files[name] = workdir / f"{name}.json"
        files[name].write_text(json.dumps(event))
    child = str(ROOT / "bench" / "cold_child.py")
    runs = ["baseline", *events, *([f"{name}@before" for name in events] if before else [])]
    samples: dict[str, list[float]] = {run: [] for run in runs}
    for _ in range(ROUNDS):
        for run in runs:
            name, _, version = run.partition("@")
            # Lambda names the function in its environment (selfcare/__init__.py reads it).
            child_env = {**env, "AWS_LAMBDA_FUNCTION_NAME": f"selfcare-{name}"}
            script = child
            if version and before is not None:
                script = str(before / "bench" / "cold_child.py")
                child_env["PYTHONPATH"] = str(before / "layers" / "selfcare")
            args = [sys.executable, script, name] + ([str(files[name])] if name in files else [])
            started = time.perf_counter()
            done = subprocess.run(args, env=child_env, capture_output=True, text=True, check=False)
            elapsed = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(f"cold start of {run} failed:\n{done.stderr[-2000:]}")
            samples[run].append(elapsed)
    baseline = statistics.median(samples["baseline"])
    rows: list[tuple[str, str, float, float, float | None, float | None]] = [
        ("baseline", "import boto3 + DynamoDB client", baseline, 1.0, None, None)
    ]
    for name in events:
        median = statistics.median(samples[name])
        earlier = statistics.median(samples[f"{name}@before"]) if before else None
        rows.append(
            (
                name,
                _request_label(events[name]),
                median,
                median / baseline,
                earlier,
                earlier / baseline if earlier is not None else None,
            )
        )
    return rows


def dynamodb_calls() -> list[tuple[str, int, int, str]]:
    """Calls per route through the emulated gateway on in-process moto, counted by botocore hooks."""
    from selfcare.auth.policy import StaffRole

    from bench.world import local_stack

    rows: list[tuple[str, int, int, str]] = []
    with local_stack() as (gateway, world, _):
        counts = count_calls(gateway)

        def call(
            label: str,
            method: str,
            path: str,
            payload: Any = None,
            token: str | None = None,
            headers: dict[str, str] | None = None,
            target: str = "",
            expect: int = 200,
        ) -> Any:
            all_headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
            counts.clear()
            response = gateway.handle(
                method, path, all_headers | (headers or {}), json.dumps(payload) if payload is not None else None
            )
            if response.status != expect:
                raise SystemExit(f"{label}: {response.status} {response.body}")
            if counts["usage"] != 1:  # the usage statistics: one UpdateItem per answered request, no more
                raise SystemExit(f"{label}: {counts['usage']} usage-statistics writes")
            rows.append((label, counts["authorizer"], counts["handler"], target))
            return json.loads(response.body) if response.body else None

        jeanne = world.customers[0]
        login = call(
            "POST /auth/login",
            "POST",
            "/auth/login",
            {"identifier": jeanne.login_id, "password": jeanne.password},
            target="<= 3",
        )
        token = login["access_token"]
        refreshed = call("POST /auth/refresh", "POST", "/auth/refresh", {"refresh_token": login["refresh_token"]})
        del refreshed
        call("GET /account", "GET", "/account", token=token, target="1")
        call("GET /accounts/{account_number}", "GET", f"/accounts/{jeanne.account_number}", token=token, target="1")
        call("GET /auth/sessions", "GET", "/auth/sessions", token=token, target="1")
        fresh = call(
            "POST /auth/reauthenticate", "POST", "/auth/reauthenticate", {"password": jeanne.password}, token=token
        )
        call("PUT /auth/login-id", "PUT", "/auth/login-id", {"login_id": "jeanne.bench"}, token=fresh["access_token"])
        other = gateway.handle(
            "POST",
            "/auth/login",
            {"Content-Type": "application/json"},
            json.dumps({"identifier": jeanne.email, "password": jeanne.password}),
        )
        other_sid = json.loads(other.body)["session_id"]
        call("DELETE /auth/sessions/{session_id}", "DELETE", f"/auth/sessions/{other_sid}", token=token, expect=204)
        call(
            "PUT /auth/password",
            "PUT",
            "/auth/password",
            {"current_password": jeanne.password, "new_password": "Tide-Lantern-Quarry-58"},
            token=token,
        )
        forgot = {"identifier": jeanne.email, "captcha": solved_captcha(gateway)}
        call("POST /auth/password/forgot", "POST", "/auth/password/forgot", forgot, expect=202)
        call("POST /auth/logout", "POST", "/auth/logout", token=token, expect=204)
        staff = world.staff[StaffRole.CUSTOMER_SERVICE_ADVISOR]
        staff_token = call(
            "POST /staff/auth/login",
            "POST",
            "/staff/auth/login",
            {"email": staff.email, "password": staff.password},
            target="<= 3",
        )["access_token"]
        grant = call(
            "POST /staff/assisted-access",
            "POST",
            "/staff/assisted-access",
            {"customer_id": "C0002", "reason": "Benchmark of assisted access"},
            token=staff_token,
            expect=201,
        )
        call("GET /staff/assisted-access", "GET", "/staff/assisted-access", token=staff_token, target="1")
        call(
            "GET /account (staff, audited)",
            "GET",
            "/account",
            token=staff_token,
            headers={"X-Assisted-Access": grant["grant_id"]},
            target="2: read + access log",
        )
        call(
            "DELETE /staff/assisted-access/{grant_id}",
            "DELETE",
            f"/staff/assisted-access/{grant['grant_id']}",
            token=staff_token,
            expect=204,
        )
        # Privacy (issue 10): the notice, the categories held, the usage statistics (one Query per day).
        call("GET /privacy/notice", "GET", "/privacy/notice", target="0")
        marco = world.customers[1]
        marco_login = gateway.handle(
            "POST",
            "/auth/login",
            {"Content-Type": "application/json"},
            json.dumps({"identifier": marco.login_id, "password": marco.password}),
        )
        call(
            "GET /account/privacy/data-categories",
            "GET",
            "/account/privacy/data-categories",
            token=json.loads(marco_login.body)["access_token"],
            target="5: partition, credential, sessions, grants, connection log",
        )
        call("GET /staff/privacy/notice", "GET", "/staff/privacy/notice", token=staff_token, target="0")
        call("GET /staff/usage-statistics (7 days)", "GET", "/staff/usage-statistics", token=staff_token, target="7")
    return rows


def layer_size() -> tuple[float, list[tuple[str, float]]]:
    from infra.layer import build_layer, layer_size_bytes

    out = ROOT / "build" / "bench-layer"
    python_dir = build_layer(out)
    total = layer_size_bytes(out) / 1e6
    parts = []
    for child in sorted(python_dir.iterdir()):
        if child.is_dir() and not child.name.endswith(".dist-info"):
            parts.append((child.name, layer_size_bytes(child) / 1e6))
    parts.sort(key=lambda p: -p[1])
    return total, parts[:8]


def main() -> None:
    out: list[str] = []
    emit: Callable[[str], None] = out.append
    if sys.argv[1:] == ["calls"]:  # `python -m bench calls`: the DynamoDB calls per request only
        emit_calls(emit)
        _write(out, "bench-calls.md")
        return
    emit_cold_starts(emit)
    if sys.argv[1:] == ["cold"]:  # `python -m bench cold` (`make bench-cold`): the cold starts only
        _write(out, "bench-cold.md")
        return
    emit_calls(emit)
    emit_long_runs(emit)
    _write(out, "bench.md")


def _write(out: list[str], name: str) -> None:
    text = "\n".join(out)
    print(text)
    (ROOT / "build").mkdir(exist_ok=True)
    (ROOT / "build" / name).write_text(text + "\n")


def emit_cold_starts(emit: Callable[[str], None]) -> None:
    from moto.server import ThreadedMotoServer

    # Cold starts against a moto server (the children talk to it over HTTP, as Lambda to DynamoDB).
    from infra.local import emulation

    # moto's DynamoDB is not thread-safe and its server is threaded (the seed met "dictionary changed size
    # during iteration" on a busy machine): one request at a time, as in the local stack.
    emulation.install_serialized_dynamodb()
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        os.environ.update(_aws_env(endpoint))
        import boto3
        from botocore.config import Config
        from selfcare import aws

        # The seed's transactions on a busy machine can outlast the 5 s read timeout; botocore's retry then
        # meets its own first write (IdentifierTaken). The bench's own clients wait longer; the children
        # keep the production settings.
        aws._CONFIG = aws._CONFIG.merge(Config(read_timeout=120))
        from infra.local.resources import create_resources
        from infra.local.seed import seed_demo

        resources = create_resources(boto3.Session(region_name="eu-west-3"))
        os.environ.update(resources.merged_environment())
        aws.reset()
        world = seed_demo()
        events = _events(world, resources)
        child_env = {"PATH": os.environ.get("PATH", ""), **_aws_env(endpoint), **resources.merged_environment()}
        rows = cold_starts(events, child_env, _checkout(COLD_BEFORE) if COLD_BEFORE else None)
    finally:
        server.stop()
        for name in ("AWS_ENDPOINT_URL",):
            os.environ.pop(name, None)
        from selfcare import aws as aws_module

        aws_module.reset()

    emit(f"### Cold start (median of {ROUNDS} interleaved fresh processes; target ratio <= {TARGET_COLD_RATIO})\n")
    if COLD_BEFORE:
        emit(f"`before`: the handlers at commit {COLD_BEFORE}, in the same rounds.\n")
        emit("| handler | request | median s | ratio to baseline | before: median s | before: ratio |")
        emit("| --- | --- | ---: | ---: | ---: | ---: |")
    else:
        emit("| handler | request | median s | ratio to baseline |")
        emit("| --- | --- | ---: | ---: |")
    for name, request, median, ratio, earlier, earlier_ratio in rows:
        line = f"| {name} | {request} | {median:.3f} | {ratio:.2f} |"
        if COLD_BEFORE:
            line += " |  |" if earlier is None else f" {earlier:.3f} | {earlier_ratio:.2f} |"
        emit(line)


def emit_calls(emit: Callable[[str], None]) -> None:
    from bench import account, billing, digital_identity, identity, lines

    emit("\n### DynamoDB calls per request (botocore before-call hooks)\n")
    emit("| route | authorizer | handler | target (handler) |")
    emit("| --- | ---: | ---: | --- |")
    every_route = [
        *dynamodb_calls(),
        *account.rows(),
        *billing.rows(),
        *lines.rows(),
        *identity.rows(),
        *digital_identity.rows(),
    ]
    for label, authorizer_calls, handler_calls, target in every_route:
        emit(f"| {label} | {authorizer_calls} | {handler_calls} | {target} |")


def emit_long_runs(emit: Callable[[str], None]) -> None:
    from bench import billing, workflows

    cost = billing.usage_page_cost()
    emit(
        f"\n### Usage listing: {cost['records']:,} records on one line, {cost['page_size']} a page, "
        f"{cost['pages']} pages\n"
    )
    emit("| page | " + " | ".join(str(k) for k in cost["first"]) + " |")
    emit("| --- |" + " ---: |" * len(cost["first"]))
    for name in ("first", "last"):
        emit(f"| {name} | " + " | ".join(str(v) for v in cost[name].values()) + " |")

    run = workflows.run()
    emit("\n### Line workflows (Standard: billed per state transition)\n")
    emit("| workflow | transitions on the ASL success path | in moto's execution history | target |")
    emit("| --- | ---: | ---: | --- |")
    for label, counted, observed, target in run.transitions:
        emit(f"| {label} | {counted} | {observed} | {target} |")
    emit("\n| workflow route | authorizer | handler | target (handler) |")
    emit("| --- | ---: | ---: | --- |")
    for label, authorizer_calls, handler_calls, target in run.requests:
        emit(f"| {label} | {authorizer_calls} | {handler_calls} | {target} |")
    emit("\n| whole execution | DynamoDB calls in the tasks | note |")
    emit("| --- | ---: | --- |")
    for label, calls, note in run.tasks:
        emit(f"| {label} | {calls} | {note} |")

    from bench import retention

    retention.emit_rows(emit)

    from bench import audit

    emit("\n### Audit trail: DynamoDB calls per audited change, before and after the hash chain (issue 9)\n")
    emit("| request | handler before (2026-11-23) | handler now | every call now (the authorizer's included) |")
    emit("| --- | ---: | ---: | --- |")
    for label, before, after, detail in audit.rows():
        emit(f"| {label} | {'' if before is None else before} | {after} | {detail} |")

    # Data-subject rights (bench/rights.py): the export of a customer with 10 lines and 10,000 usage records.
    from bench import rights

    rights.emit_rows(emit)

    # Commercial SMS campaigns (bench/sms.py): DynamoDB calls and time per 10,000 recipients, and a large campaign.
    from bench import sms

    small, large = sms.run()
    emit(f"\n### Commercial SMS campaigns (in-process moto; the large one: {large.recipients:,} recipients)\n")
    for line in sms.rows(small, large):
        emit(line)

    total, parts = layer_size()
    emit(f"\n### Shared layer, unzipped (target <= {TARGET_LAYER_MB:.0f} MB beyond the Powertools managed layer)\n")
    emit(f"Total: **{total:.2f} MB**. Largest parts: " + ", ".join(f"{n} {s:.2f} MB" for n, s in parts))


if __name__ == "__main__":
    main()
