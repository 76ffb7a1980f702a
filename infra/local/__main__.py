"""`python -m infra.local` (`make run`): the whole API on this machine, with no AWS account.

1. moto in server mode, in this process (infra/local/moto_server.py), with Step Functions execution on;
   AWS_ENDPOINT_URL, MOTO_PORT, fake credentials and the region point every boto3 client at it.
2. The resources of infra/definitions.py on it (infra/local/resources.py), their variables in os.environ.
3. The demo world (infra/local/seed.py): two customers, one staff member per role, fresh passwords.
4. What moto lacks (infra/local/emulation.py): TTL deletion, Lambda tasks in-process, the outbox's dates,
   CRM events delivered to the projection, the customers table's stream delivered to the CRM outbox relay;
   the provisioning simulator (infra/local/provisioning_simulator.py) the workflows' tasks call;
   the payment sandbox (infra/local/payment_sandbox.py): the provider's API, its hosted payment page
   (Approve / Decline), the signed webhook to POST /billing/payments/webhook, and the return page;
   the incident tracker simulator (infra/local/incident_tracker.py): the demo incidents staff grants name.
5. The emulated API Gateway behind an HTTP server (infra/local/server.py), with /docs, /openapi.json,
   /_local/outbox and /_local/crm-events.

Prints the URLs, every demo credential, curl examples, then `READY <url>`. Ctrl-C or SIGTERM stops it all.
Argon2 parameters are production's unless ARGON2_* are set (the end-to-end tests set cheap ones).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import signal
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict
from types import FrameType
from typing import Any

from infra import definitions as d

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000
CREDENTIALS_PREFIX = "DEMO_CREDENTIALS "
READY_PREFIX = "READY "

# Defaults for the handlers' environment on this machine (set variables win): no X-Ray daemon here,
# and CloudWatch metrics would only print EMF blobs between the log lines.
LOCAL_DEFAULTS = {
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    # Commercial SMS: no night-time window on this machine, so that the whole loop can be tried at any hour
    # (production refuses commercial SMS from 22:00 to 08:00, Monaco time; SMS_NIGHT_WINDOW=22:00-08:00 here too).
    "SMS_NIGHT_WINDOW": "",
}


# How long stopping waits for each background thread (daemon threads: one still busy is abandoned at exit).
STOP_JOIN_SECONDS = 1.0


class Stop(Exception):
    """Raised by the SIGINT/SIGTERM handler: leave the main loop and clean up."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from infra.local.emulation import DEFAULT_TTL_INTERVAL_SECONDS
    from infra.local.moto_server import DEFAULT_MOTO_PORT

    parser = argparse.ArgumentParser(prog="python -m infra.local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (default %(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="HTTP port; 0 picks a free one")
    parser.add_argument(
        "--moto-port", type=int, default=DEFAULT_MOTO_PORT, help="port of the embedded moto server; 0: a free one"
    )
    parser.add_argument(
        "--ttl-interval",
        type=float,
        default=DEFAULT_TTL_INTERVAL_SECONDS,
        help="seconds between two sweeps of expired items (default %(default)s)",
    )
    parser.add_argument(
        "--print-credentials-json",
        action="store_true",
        help=f"also print the demo credentials as one line: {CREDENTIALS_PREFIX.strip()} {{json}}",
    )
    parser.add_argument("--quiet", action="store_true", help="no access log line per request")
    return parser.parse_args(argv)


def say(text: str = "") -> None:
    print(text, flush=True)


def national_form(e164: str) -> str:
    """+37761234567 -> 06 12 34 56 78 (how customers write their Monaco mobile number)."""
    try:
        import phonenumbers

        return str(phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL))
    except Exception:  # noqa: BLE001 - a display nicety only
        return e164


def credentials_document(world: Any) -> dict[str, Any]:
    return {
        "customers": [asdict(c) | {"phone_national": national_form(c.phone)} for c in world.customers],
        "staff": [asdict(s) | {"role": s.role.value} for s in world.staff.values()],
        "persons": [asdict(p) | {"role": p.role.value if p.role else None} for p in world.persons],
    }


def _person(person: Any) -> str:
    """`MCID-7F3A9C21 (C0001, linked)`, `EMP-002 (production)`: who the provider's sign-in page offers."""
    if person.customer_id:
        return f"{person.person_id} ({person.customer_id}{', linked' if person.linked else ''})"
    return f"{person.person_id} ({person.role.value if person.role else 'no Selfcare group'})"


def print_banner(base_url: str, moto_url: str, world: Any) -> None:
    say()
    say("Selfcare local stack")
    say(f"  API          {base_url}")
    say(f"  Swagger UI   {base_url}/docs")
    say(f"  OpenAPI      {base_url}/openapi.json")
    say(f"  Outbox       {base_url}/_local/outbox   (emails sent so far; ?to=<address> to filter)")
    say(f"  CRM events   {base_url}/_local/crm-events   (what the space published for the CRM; ?customer_id=)")
    say(f"  Health       {base_url}/_local/health")
    say(f"  CRM inbound  POST {base_url}/_local/crm-inbound   (a CRM event as in events/demo/*.json)")
    say(f'  Schedules    POST {base_url}/_local/schedules/fire   ({{"now": "<ISO time>"}}: fire those due)')
    say(f"  Inbound SMS  POST {base_url}/_local/sms/inbound   (a recipient's SMS: {{from, to, text}}; README)")
    say(f"  moto (AWS)   {moto_url}")
    say()
    say("Demo customers (log in with any of: login id, email, phone, account number)")
    for c in world.customers:
        say(f"  {c.customer_id}  login id {c.login_id}")
        say(f"         email    {c.email}")
        say(f"         phone    {c.phone}  ({national_form(c.phone)})")
        say(f"         account  {c.account_number}")
        say(f"         password {c.password}")
    for account_number in world.to_activate:  # identity (issue 8)
        say(f"  To activate (no password yet): account {account_number}  (POST /auth/activation, code in the Outbox)")
    say()
    say("Demo staff (POST /staff/auth/login)")
    width = max(len(s.email) for s in world.staff.values())
    for s in world.staff.values():
        say(f"  {s.email:<{width}}  role {s.role.value:<26} password {s.password}")
    say()
    say("Digital identities and directory people (OIDC provider): " + ", ".join(_person(p) for p in world.persons))
    first = world.customers[0]
    login = json.dumps({"identifier": first.login_id, "password": first.password})
    say()
    say("Try it:")
    say(f"  curl -s -X POST {base_url}/auth/login -H 'Content-Type: application/json' -d {shlex.quote(login)}")
    say(
        f"  TOKEN=$(curl -s -X POST {base_url}/auth/login -H 'Content-Type: application/json' "
        f"-d {shlex.quote(login)} | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')"
    )
    say(f'  curl -s {base_url}/account -H "Authorization: Bearer $TOKEN"')
    say()


def loopback_host(host: str) -> str:
    """Where this machine reaches the API (a wildcard address: through the loopback)."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - compared only


def free_port(host: str) -> int:
    """A port free now (the OpenID Connect clients' callbacks must name the API's port before it binds)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def register_oidc_clients(oidc: Any, resources: Any, client_secrets: tuple[str, str]) -> None:
    """Selfcare's two clients at the local provider: customers (digital identity) and staff (directory)."""
    from infra.local.resources import LOCAL_DIGITAL_IDENTITY_CLIENT_ID, LOCAL_STAFF_DIRECTORY_CLIENT_ID

    values = resources.grant_values()
    oidc.register_client(LOCAL_DIGITAL_IDENTITY_CLIENT_ID, [values["DIGITAL_IDENTITY_REDIRECT_URI"]], client_secrets[0])
    oidc.register_client(LOCAL_STAFF_DIRECTORY_CLIENT_ID, [values["STAFF_DIRECTORY_REDIRECT_URI"]], client_secrets[1])


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    # Once: a second Ctrl-C during the clean-up must not interrupt it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Stop()


def run(args: argparse.Namespace) -> int:
    cleanups: list[Callable[[], None]] = []
    try:
        from infra.local import emulation
        from infra.local.moto_server import configure_moto, point_environment_at, start_moto

        moto = start_moto(args.moto_port)
        cleanups.append(moto.stop)
        point_environment_at(moto)
        for name, value in LOCAL_DEFAULTS.items():
            os.environ.setdefault(name, value)
        configure_moto(moto)
        emulation.install_outbox_timestamps()
        emulation.install_bounded_memory()  # moto's whole-table copy per transaction, kept: GiBs on long runs
        emulation.install_serialized_dynamodb()  # moto's DynamoDB is not thread-safe; its server is threaded

        import boto3

        from infra.local.provisioning_simulator import ProvisioningSimulator
        from infra.local.resources import create_resources

        # The network provisioning system's stand-in, on a free loopback port: the workflows' tasks call it
        # through the production adapter (PROVISIONING_ENDPOINT); faults are set through its /_control routes.
        simulator = ProvisioningSimulator().start()
        cleanups.append(simulator.stop)
        # The payment provider's stand-in (infra/local/payment_sandbox.py): its API key and webhook secret
        # are the ones stored in Secrets Manager; customers come back to its return page.
        from infra.local.payment_sandbox import PaymentSandbox

        sandbox = PaymentSandbox().start()
        cleanups.append(sandbox.stop)
        # The OpenID Connect provider (infra/local/oidc_provider.py): the digital identity and the operator's
        # directory. Its clients' callbacks name the API's port, so a free one is chosen now when asked for 0.
        from infra.local.oidc_provider import OidcProvider

        oidc = OidcProvider().start()
        cleanups.append(oidc.stop)
        # The operator's incident tracker (issue 8, infra/local/incident_tracker.py): the demo incidents, one open
        # (INC-000001) and one closed (INC-000002); its token is generated now and stored in Secrets Manager.
        from infra.local.incident_tracker import IncidentTrackerSimulator

        incidents = IncidentTrackerSimulator().start()
        cleanups.append(incidents.stop)
        if args.port == 0:
            args.port = free_port(args.host)
        oidc_secrets = (secrets.token_urlsafe(32), secrets.token_urlsafe(32))
        session = boto3.Session()
        resources = create_resources(
            session,
            provisioning_endpoint=simulator.url,
            provisioning_api_key=simulator.api_key,
            payment_provider_endpoint=sandbox.url,
            payment_provider_api_key=sandbox.api_key,
            payment_webhook_secret=sandbox.webhook_secret,
            oidc_discovery_url=oidc.discovery_url,
            oidc_client_secrets=oidc_secrets,
            api_base_url=f"http://{loopback_host(args.host)}:{args.port}",
            incident_tracker=(incidents.url, incidents.token),
        )
        register_oidc_clients(oidc, resources, oidc_secrets)
        os.environ.update(resources.merged_environment())
        os.environ["PAYMENT_RETURN_URL"] = sandbox.return_url

        # Only now: the shared package and the handlers read their settings at import.
        from infra.local.gateway import Gateway
        from infra.local.seed import seed_demo
        from infra.local.server import LocalApp, LocalHttpServer

        world = seed_demo()
        from infra.local.seed import provider_persons

        for person in provider_persons(world):
            oidc.add_person(person)
        from infra.local.billing_demo import store_invoice_pdfs

        store_invoice_pdfs(resources.invoices_bucket, [c.customer_id for c in world.customers])
        gateway = Gateway()
        handlers = {f"{d.SERVICE}-{name}": module for name, module in gateway.handlers.items()}
        cleanups.append(emulation.install_lambda_task_runner(handlers))
        reaper = emulation.TtlReaper(
            session.client("dynamodb"), resources.table_names, interval_seconds=args.ttl_interval
        ).start()
        cleanups.append(lambda: reaper.stop(timeout=STOP_JOIN_SECONDS))
        # The audit trail's signed digest, hourly as deployed, and once at start (schedules never fire on moto).
        digests = emulation.PeriodicInvoker(
            gateway.handlers[d.AUDIT_DIGEST.name].lambda_handler, 3600, f"{d.SERVICE}-{d.AUDIT_DIGEST.name}"
        ).start()
        cleanups.append(lambda: digests.stop(timeout=STOP_JOIN_SECONDS))
        # CRM events put on the inbound bus reach the projection handler (moto cannot invoke a Lambda target).
        delivery = emulation.CrmDelivery(
            session.client("sqs"), resources.crm_delivery_queue_url, gateway.handlers[d.PROJECTION.name].lambda_handler
        ).start()
        cleanups.append(lambda: delivery.stop(timeout=STOP_JOIN_SECONDS))
        # Changes made in the space: the customers table's stream -> the outbox relay (moto never invokes a
        # function from a stream) -> the outbound CRM bus, where a local rule keeps what the CRM would receive.
        crm_listener = emulation.CrmListener(session)
        relay = emulation.StreamRelay(
            session,
            resources.table_names[d.CUSTOMERS.logical_id],
            d.CRM_OUTBOX,
            gateway.handlers[d.CRM_OUTBOX.name].lambda_handler,
            prune_iterators=True,
        ).start()
        cleanups.append(lambda: relay.stop(timeout=STOP_JOIN_SECONDS))

        # Commercial SMS: the campaign queue -> the worker; POST /_local/sms/inbound -> the inbound function.
        sms_delivery = emulation.SmsCampaignDelivery(
            session.client("sqs"),
            resources.sms_campaign_queue_url,
            gateway.handlers[d.SMS_CAMPAIGNS.name].lambda_handler,
        ).start()
        cleanups.append(lambda: sms_delivery.stop(timeout=STOP_JOIN_SECONDS))
        sms_inbound = gateway.handlers[d.SMS_INBOUND.name].lambda_handler
        # Data-subject rights: the export queue -> the export worker (the same SQS -> Lambda emulation).
        rights_delivery = emulation.SmsCampaignDelivery(
            session.client("sqs"),
            resources.rights_export_queue_url,
            gateway.handlers[d.RIGHTS_EXPORT.name].lambda_handler,
            function=d.RIGHTS_EXPORT,
        ).start()
        cleanups.append(lambda: rights_delivery.stop(timeout=STOP_JOIN_SECONDS))
        # ... and its daily due-soon count (schedules never fire on moto): at start, then every 24 hours.
        due_soon = emulation.PeriodicInvoker(
            gateway.handlers[d.RIGHTS_EXPORT.name].lambda_handler, 24 * 3600, f"{d.SERVICE}-{d.RIGHTS_EXPORT.name}"
        ).start()
        cleanups.append(lambda: due_soon.stop(timeout=STOP_JOIN_SECONDS))

        def inject_sms(origination: str, destination: str, text: str) -> Any:
            return emulation.inject_inbound_sms(
                sms_inbound, origination, destination, text, resources.sms_inbound_topic_arn
            )

        # Driving the inbound side from outside: a CRM event onto the inbound bus, the schedules due at a time.
        events_client, scheduler_client = session.client("events"), session.client("scheduler")
        httpd = LocalHttpServer(
            (args.host, args.port),
            LocalApp(
                gateway,
                emulation.outbox,
                crm_events=crm_listener.events,
                crm_inbound=lambda events: emulation.put_crm_events(events_client, events),
                fire_schedules=lambda now: emulation.fire_anonymisation_schedules(scheduler_client, now),
                inbound_sms=inject_sms,
            ),
            quiet=args.quiet,
        )
        cleanups.append(httpd.server_close)
        serving = threading.Thread(target=httpd.serve_forever, name="http", daemon=True)
        serving.start()
        cleanups.append(httpd.shutdown)

        base_url = f"http://{args.host}:{httpd.port}"
        # The sandbox posts its webhooks to the API once it is bound (a wildcard address: through the loopback).
        api_host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host  # noqa: S104 - compared only
        sandbox.set_webhook_url(f"http://{api_host}:{httpd.port}/billing/payments/webhook")
        print_banner(base_url, moto.endpoint_url, world)
        say(f"Provisioning simulator {simulator.url}   (faults: POST /_control/faults; GET /_control/applied)")
        say(f"Payment sandbox        {sandbox.url}   (hosted pages /pay/<reference>; GET /_control/payments)")
        say(f"OIDC provider          {oidc.url}   (digital identity and staff directory; GET /_control/persons)")
        say(
            f"Incident tracker       {incidents.url}   (open: {', '.join(incidents.open_references())}; closed: "
            f"{', '.join(incidents.closed_references())}; POST /_control/incidents "
            '{"reference": "INC-...", "state": "open"|"closed"})'
        )
        say()
        if args.print_credentials_json:
            say(CREDENTIALS_PREFIX + json.dumps(credentials_document(world)))
        say(READY_PREFIX + base_url)
        threading.Event().wait()  # until a signal raises Stop
    except Stop:
        pass
    except OSError as error:  # a port in use, typically (MotoStartError is one)
        print(f"local stack: {error}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as error:  # noqa: BLE001 - stop everything else all the same
                print(f"local stack: while stopping: {type(error).__name__}: {error}", file=sys.stderr)
    say("Stopped.")
    return 0


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    return run(parse_args(argv))


def exit_now(code: int) -> None:
    """Leave the process once `run` has stopped every component: flush, then os._exit. A normal exit would
    wait for moto's own non-daemon worker threads (a Step Functions execution sleeping between retries, a
    task waiting on provisioning) and free a long run's heap object by object: over a minute, measured."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
