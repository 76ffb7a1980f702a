"""The local stack's AWS: moto in server mode, in this process, and the environment that points at it.

Production code never learns about it: boto3 finds the endpoint in AWS_ENDPOINT_URL, with fake
credentials and the project's region, exactly as it would find a real endpoint.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from dataclasses import dataclass
from typing import Any

from moto.server import ThreadedMotoServer

REGION = "eu-west-3"
DEFAULT_MOTO_PORT = 5055
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
# moto's configuration for the whole local stack (POST /moto-api/config).
MOTO_CONFIG: dict[str, Any] = {"stepfunctions": {"execute_state_machine": True}}


class MotoStartError(OSError):
    """moto's server could not start (its port is taken, typically)."""


class _MotoServer(ThreadedMotoServer):
    """ThreadedMotoServer whose start() raises when the port cannot be bound (the original waits forever)."""

    def __init__(self, ip_address: str, port: int) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self.error: BaseException | None = None

    def _server_entry(self) -> None:
        try:
            super()._server_entry()
        except BaseException as error:  # noqa: BLE001 - werkzeug exits (SystemExit) when the port is taken
            self.error = error
            self._server_ready_event.set()

    def start(self) -> None:
        super().start()
        if self.error is not None:
            reason = "port in use?" if isinstance(self.error, SystemExit) else repr(self.error)  # werkzeug exits
            raise MotoStartError(
                f"moto could not listen on {self._ip_address}:{self._port} ({reason}); try --moto-port 0"
            )


@dataclass
class EmbeddedMoto:
    server: ThreadedMotoServer
    host: str
    port: int

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.server.stop()


def start_moto(port: int = DEFAULT_MOTO_PORT, host: str = "127.0.0.1") -> EmbeddedMoto:
    """Start moto's server on host:port (0: a free port) in a thread of this process."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per AWS call
    server = _MotoServer(ip_address=host, port=port)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    return EmbeddedMoto(server=server, host=bound_host, port=bound_port)


def point_environment_at(moto: EmbeddedMoto) -> None:
    """Point every boto3 client of this process (handlers included) at moto, with fake credentials."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL_"):  # a service-specific endpoint would win over ours
            del os.environ[name]
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        os.environ.pop(name, None)
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.update(
        {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": moto.endpoint_url,
            # moto's Step Functions interpreter calls the other services on localhost:MOTO_PORT.
            "MOTO_PORT": str(moto.port),
        }
    )


def configure_moto(moto: EmbeddedMoto, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST /moto-api/config (Step Functions really executes state machines); moto's config after it."""
    request = urllib.request.Request(  # noqa: S310 - our own moto server, http on loopback
        f"{moto.endpoint_url}/moto-api/config",
        data=json.dumps(config or MOTO_CONFIG).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return dict(json.loads(response.read()))
