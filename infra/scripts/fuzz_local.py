"""Fuzz the running local stack over real HTTP with Schemathesis, as an outside tester would (issue 12).

    make run                                     # or: python -m infra.local --port 3417 --print-credentials-json
    python -m infra.scripts.fuzz_local --base http://127.0.0.1:3000 --as customer \\
        --identifier 100200400 --password '<printed password>' --real-ids --step-up -- --max-examples 50
    python -m infra.scripts.fuzz_local --base http://127.0.0.1:3000 --as none -- --max-examples 15
    python -m infra.scripts.fuzz_local --base http://127.0.0.1:3000 --as staff \\
        --identifier sales@operator.example --password '<printed password>' -- --include-path-regex '^/sms/'

Runs `st run docs/openapi.json` with one worker (Schemathesis 4 crashes with several on Python 3.11), the
checks not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance and
response_headers_conformance, and this module as its hooks (SCHEMATHESIS_HOOKS):
- a bearer token that lasts the whole run: one login (sent from 127.0.0.2, so that the fuzzed failed logins
  from 127.0.0.1 do not block it; a CAPTCHA solved if asked), then `POST /auth/refresh` every 10 minutes;
  with `--step-up`, `POST /auth/reauthenticate` every 200 s, so that the routes that need a recent
  authentication are reached;
- with `--real-ids`, the logged-in customer's own ids (lines, boxes, packs, invoice, ticket, accounts) offered
  beside the generated path parameters, so that requests get past 404 to the logic behind them.
Log in by the account number, not the login id or email: the run may change those (`PUT /auth/login-id`);
and as the second demo customer (100200400): the document's examples name the first (`jdupont`), so the fuzzed
logins lock that account for a while (the brute-force lock at work), which refuses its reauthentication.
Unless told otherwise (`--keep-session-routes`), the routes that end the run's own session are left out
(`POST /auth/logout`, `DELETE /auth/sessions/{id}`, `PUT /auth/password`); fuzz them in a pass of their own.
Anything after `--` goes to `st run` (e.g. `--phases`, `--max-examples`, `--seed`, `--report ndjson`).
The run changes the stack's data (lines suspended, tickets, mailboxes, codes sent): restart `make run` after.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,response_headers_conformance"
)
# What ends the run's own session: logout, revoking a session, changing the password.
SESSION_ROUTES = ["--exclude-path", "/auth/logout", "--exclude-path-regex", "^/auth/sessions/"]
SESSION_ROUTES += ["--exclude-path", "/auth/password"]
REFRESH_SECONDS = 600  # the access token lasts 15 minutes
STEP_UP_SECONDS = 200  # a recent authentication lasts 5 minutes
LOGIN_ATTEMPTS = 4
HOOKS_SOURCE_ADDRESS = "127.0.0.2"  # the loopback network is 127.0.0.0/8


def _call(method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    """One request of the hooks themselves (login, refresh, step-up, ids), sent from another loopback address
    than the fuzzed requests: their failed logins block 127.0.0.1 (20 an hour), not the run's own logins."""
    url = urllib.parse.urlsplit(os.environ["FUZZ_BASE"])
    source = (HOOKS_SOURCE_ADDRESS, 0) if url.hostname == "127.0.0.1" else None
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30, source_address=source)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, url.path + path, json.dumps(body) if body is not None else None, headers)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read() or b"null")
    finally:
        connection.close()


def _login(attempt: int = 0) -> dict[str, Any]:
    import altcha

    kind = os.environ["FUZZ_KIND"]
    password = os.environ["FUZZ_PASSWORD"]
    path, field = ("/auth/login", "identifier") if kind == "customer" else ("/staff/auth/login", "email")
    body = {field: os.environ["FUZZ_IDENTIFIER"], "password": password}
    status, answer = _call("POST", path, body)
    if status == 400 and answer["error"]["code"] == "captcha_required":
        _, found = _call("GET", "/auth/captcha")
        challenge = altcha.Challenge.from_dict(found)
        solution = altcha.solve_challenge(challenge)
        if solution is None:
            raise RuntimeError("the CAPTCHA could not be solved")
        body["captcha"] = str(altcha.Payload(challenge=challenge, solution=solution).to_base64())
        status, answer = _call("POST", path, body)
    if status == 401 and attempt < LOGIN_ATTEMPTS:
        # Locked by the fuzzed logins naming this account (15 s, doubling up to 15 minutes): wait it out.
        time.sleep(20 * 2**attempt)
        return _login(attempt + 1)
    if status != 200:
        raise RuntimeError(f"login refused: {status} {answer}")
    if os.environ.get("FUZZ_STEP_UP") and kind == "customer":
        status, again = _call("POST", "/auth/reauthenticate", {"password": password}, answer["access_token"])
        if status != 200:
            raise RuntimeError(f"reauthentication refused: {status} {again}")
        answer = {**answer, **again}
    return dict(answer)


def _first(found: Any, key: str) -> str | None:
    """The first value of `key` anywhere in a JSON answer."""
    if isinstance(found, dict):
        if isinstance(found.get(key), str):
            return str(found[key])
        values: Any = found.values()
    elif isinstance(found, list):
        values = found
    else:
        return None
    return next((v for v in (_first(item, key) for item in values) if v is not None), None)


def _real_ids(token: str) -> dict[tuple[str, str], str]:
    """The logged-in customer's ids, keyed by (first path segment, parameter name)."""

    def first(path: str, key: str) -> str | None:
        status, answer = _call("GET", path, token=token)
        return _first(answer, key) if status == 200 else None

    _, account = _call("GET", "/account", token=token)
    ids: dict[tuple[str, str], str | None] = {("accounts", "account_number"): _first(account, "account_number")}
    for prefix in ("mobile", "fixed", "internet", "voip", "tv"):
        ids[(prefix, "line_id")] = first(f"/{prefix}/lines", "line_id")
    internet, tv = ids[("internet", "line_id")], ids[("tv", "line_id")]
    ids[("internet", "box_id")] = first(f"/internet/lines/{internet}/boxes", "box_id")
    ids[("internet", "mailbox_id")] = first(f"/internet/lines/{internet}/mailboxes", "mailbox_id")
    ids[("tv", "box_id")] = first(f"/tv/lines/{tv}/boxes", "box_id")
    ids[("tv", "pack_id")] = first(f"/tv/lines/{tv}/packs", "pack_id")
    ids[("services", "service_id")] = first("/services", "service_id")
    ids[("billing", "invoice_id")] = first("/billing/invoices", "invoice_id")
    ids[("account", "ticket_id")] = first("/account/tickets", "ticket_id")
    ids[("account", "account_number")] = first("/account/links", "account_number")
    ids[("account", "line_id")] = ids[("mobile", "line_id")]
    return {key: value for key, value in ids.items() if value}


def _register_hooks() -> None:
    import schemathesis
    from hypothesis import strategies as st

    class Bearer:
        def __init__(self) -> None:
            self.tokens: dict[str, Any] | None = None
            self.at = 0.0

        def get(self, case: Any, context: Any) -> str:
            now = time.monotonic()
            if self.tokens is None:
                self.tokens, self.at = _login(), now
            elif os.environ.get("FUZZ_STEP_UP") and now - self.at > STEP_UP_SECONDS:
                password = os.environ["FUZZ_PASSWORD"]
                token = self.tokens["access_token"]
                status, answer = _call("POST", "/auth/reauthenticate", {"password": password}, token)
                # Refused (the fuzzed logins naming this account locked it for a while): keep the session going.
                self.tokens, self.at = ({**self.tokens, **answer} if status == 200 else self._refreshed()), now
            elif now - self.at > REFRESH_SECONDS:
                self.tokens, self.at = self._refreshed(), now
            return str(self.tokens["access_token"])

        def _refreshed(self) -> dict[str, Any]:
            """The session's next tokens; a new login only when the session is gone."""
            assert self.tokens is not None
            refresh = self.tokens.get("refresh_token")
            status, answer = _call("POST", "/auth/refresh", {"refresh_token": refresh}) if refresh else (0, None)
            return dict(answer or {}) if status == 200 else _login()

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = case.headers or {}
            case.headers["Authorization"] = f"Bearer {data}"

    if os.environ["FUZZ_KIND"] != "none":
        schemathesis.auth()(Bearer)
    if os.environ.get("FUZZ_REAL_IDS") and os.environ["FUZZ_KIND"] == "customer":
        ids = _real_ids(_login()["access_token"])
        sys.stderr.write(f"fuzz_local: real ids {sorted(ids.values())}\n")

        @schemathesis.hook
        def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
            prefix = context.operation.path.split("/")[1]
            real = {name: ids[(prefix, name)] for name in path_parameters or {} if (prefix, name) in ids}
            if not real:
                return st.just(path_parameters)
            # Two chances in three of the real ids: generated ones still probe the 404 and 422 paths.
            return st.sampled_from([path_parameters, {**path_parameters, **real}, {**path_parameters, **real}])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    ours, extra = (args[: args.index("--")], args[args.index("--") + 1 :]) if "--" in args else (args, [])
    parser = argparse.ArgumentParser(prog="python -m infra.scripts.fuzz_local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the local stack's URL, e.g. http://127.0.0.1:3000")
    parser.add_argument("--as", dest="kind", choices=("customer", "staff", "none"), default="customer")
    parser.add_argument("--identifier", default="", help="customer: account number; staff: email")
    parser.add_argument("--password", default="")
    parser.add_argument("--real-ids", action="store_true", help="offer the customer's own ids as path parameters")
    parser.add_argument("--step-up", action="store_true", help="keep a recent authentication (customer)")
    parser.add_argument("--keep-session-routes", action="store_true", help="also fuzz logout, sessions, password")
    options = parser.parse_args(ours)
    environment = os.environ | {
        "FUZZ_BASE": options.base.rstrip("/"),
        "FUZZ_KIND": options.kind,
        "FUZZ_IDENTIFIER": options.identifier,
        "FUZZ_PASSWORD": options.password,
        "FUZZ_REAL_IDS": "1" if options.real_ids else "",
        "FUZZ_STEP_UP": "1" if options.step_up else "",
        "SCHEMATHESIS_HOOKS": "infra.scripts.fuzz_local",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [str(Path(sys.executable).with_name("st")), "run", str(ROOT / "docs" / "openapi.json")]
    command += ["--url", options.base, "--workers", "1", "--checks", CHECKS, "--suppress-health-check", "all"]
    if not options.keep_session_routes:
        command += SESSION_ROUTES
    return subprocess.call([*command, *extra], env=environment)


if __name__ == "__main__":
    sys.exit(main())
elif os.environ.get("SCHEMATHESIS_HOOKS") == "infra.scripts.fuzz_local" and os.environ.get("FUZZ_BASE"):
    _register_hooks()
