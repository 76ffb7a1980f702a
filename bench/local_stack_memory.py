"""The local stack's memory on a long run, and how long it takes to stop: `python -m bench.local_stack_memory [N]`.

Starts `python -m infra.local` (free ports, cheap argon2) as a subprocess, sends N requests (default 3,000)
over real HTTP in a mix like a fuzzer's (logins, reads, a change that writes and publishes, unknown
routes, bad bodies, a code by email), prints the stack's resident memory (VmRSS, /proc) every 500 requests,
then sends SIGINT and prints how long it took to exit. Linux only (/proc). Not part of `make bench`: it
measures the local stack, not the product.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from infra.definitions import ROOT

FAST_HASHING = {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024", "ARGON2_PARALLELISM": "1"}


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def start() -> tuple[subprocess.Popen[str], str, dict[str, Any]]:
    env = dict(os.environ) | FAST_HASHING | {"PYTHONUNBUFFERED": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local", "--port", "0", "--moto-port", "0", "--quiet", "--print-credentials-json"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    found: dict[str, Any] = {}
    ready = threading.Event()

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("DEMO_CREDENTIALS "):
                found["credentials"] = json.loads(line.removeprefix("DEMO_CREDENTIALS "))
            elif line.startswith("READY "):
                found["url"] = line.removeprefix("READY ").strip()
                ready.set()
        ready.set()

    threading.Thread(target=drain, daemon=True).start()
    if not ready.wait(600) or "url" not in found:
        process.kill()
        raise SystemExit("the local stack did not start")
    return process, found["url"], found["credentials"]


def call(port: int, method: str, path: str, body: Any = None, token: str | None = None, raw: str | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def main(total: int = 3000) -> None:
    process, url, credentials = start()
    port = int(url.rsplit(":", 1)[1])
    customer = credentials["customers"][0]
    login = {"identifier": customer["login_id"], "password": customer["password"]}
    print(f"started: RSS {rss_mib(process.pid):.0f} MiB, {threads(process.pid)} threads", flush=True)
    token = ""
    started = time.monotonic()
    for n in range(1, total + 1):
        kind = n % 10
        if kind == 0 or not token:
            reply = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            reply.request("POST", "/auth/login", body=json.dumps(login), headers={"Content-Type": "application/json"})
            answer = reply.getresponse()
            token = json.loads(answer.read()).get("access_token", "")
            reply.close()
        elif kind in (1, 2, 3):
            call(port, "GET", "/account", token=token)
        elif kind == 4:
            call(port, "GET", "/mobile/lines", token=token)
        elif kind == 5:
            call(port, "PUT", "/account/consents/newsletter", {"granted": n % 20 == 5}, token=token)
        elif kind == 6:
            call(port, "GET", f"/no/such/route/{n}")
        elif kind == 7:
            call(port, "POST", "/auth/login", raw="{not json")
        elif kind == 8:
            call(port, "GET", "/billing/usage", token=token)
        else:
            call(port, "POST", "/auth/password/forgot", {"identifier": customer["email"]})
        if n % 500 == 0:
            print(
                f"{n:>6} requests: RSS {rss_mib(process.pid):.0f} MiB, {threads(process.pid)} threads, "
                f"{n / (time.monotonic() - started):.0f} req/s",
                flush=True,
            )
    stopping = time.monotonic()
    process.send_signal(signal.SIGINT)
    code = process.wait(300)
    print(f"stopped in {time.monotonic() - stopping:.1f} s (exit {code})", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
