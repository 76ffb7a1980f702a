"""DynamoDB calls per request for the account capability (view, contact details, consents, tickets).

`rows()` returns (route, authorizer calls, handler calls, target) like bench/__main__.py's
dynamodb_calls(), counted with botocore before-call hooks through the emulated API Gateway on
in-process moto; email and CRM ports replaced by in-memory fakes, SMS through moto's SNS.
Reads: 1 call (one GetItem or one Query). A code request: the profile, then the pending code (put).
A confirmation: the pending code, the profile (the previous address to tell), one transaction (code
consumed, contact changed, audit entry). Landline and address: the profile, one transaction.
Consent: one transaction (record + audit). Ticket: one transaction (ticket + audit), plus one GetItem
when it names a line.
"""

from __future__ import annotations

import json

from bench.world import Recorder, local_stack

ADDRESS_FR = {"line1": "3 rue de Rivoli", "postal_code": "75001", "city": "Paris", "country": "FR"}


def rows() -> list[tuple[str, int, int, str]]:
    from selfcare.auth.policy import StaffRole

    from infra.local import emulation
    from tests.fakes import InMemoryNotifier

    with local_stack() as (gateway, world, _):
        mail = InMemoryNotifier()
        services = gateway.handlers["account"].services
        services.contact.notifier = mail
        recorder = Recorder(gateway)
        login, call = recorder.login, recorder.call

        marco = world.customers[1]
        token = login("/auth/login", {"identifier": marco.login_id, "password": marco.password})
        auth = {"Authorization": f"Bearer {token}"}
        call("GET /account", "GET", "/account", None, 200, "1", auth)
        call("GET /accounts/{account_number}", "GET", f"/accounts/{marco.account_number}", None, 200, "1", auth)
        call("PUT /account/contact/email", "PUT", "/account/contact/email", {"email": "bench@example.fr"}, 202,
             "2: profile, code put", auth)  # fmt: skip
        code = mail.sent[-1].body.split("Your confirmation code: ")[1].split()[0]
        call("POST /account/contact/email/confirmation", "POST", "/account/contact/email/confirmation",
             {"code": code}, 200, "4: code, profile, login keys (move), transaction", auth)  # fmt: skip
        call("PUT /account/contact/mobile", "PUT", "/account/contact/mobile", {"mobile": "+33612345678"}, 202,
             "2: profile, code put", auth)  # fmt: skip
        sms = emulation.outbox("+33612345678")[0]["body"].split("your code is ")[1].split(".")[0]
        call("POST /account/contact/mobile/confirmation", "POST", "/account/contact/mobile/confirmation",
             {"code": sms}, 200, "5: code, profile, line numbers, login keys (move), transaction", auth)  # fmt: skip
        call("PUT /account/contact/landline", "PUT", "/account/contact/landline", {"landline": "+33145678901"}, 200,
             "2: profile, transaction", auth)  # fmt: skip
        call("PUT /account/address", "PUT", "/account/address", ADDRESS_FR, 200, "2: profile, transaction", auth)
        call("PUT /account/consents/{purpose}", "PUT", "/account/consents/newsletter", {"granted": True}, 200,
             "1: transaction", auth)  # fmt: skip
        call("GET /account/consents", "GET", "/account/consents", None, 200, "1", auth)
        call("GET /account/consents/history", "GET", "/account/consents/history", None, 200, "1", auth)
        ticket = call("POST /account/tickets", "POST", "/account/tickets",
                      {"category": "billing", "subject": "Invoice", "description": "A question"}, 201,
                      "1: transaction", auth)  # fmt: skip
        call("POST /account/tickets (naming a line)", "POST", "/account/tickets",
             {"category": "line", "subject": "Signal", "description": "No 4G", "related_line_id": "M-377623456780"},
             201, "2: line, transaction", auth)  # fmt: skip
        call("GET /account/tickets", "GET", "/account/tickets", None, 200, "1", auth)
        call("GET /account/tickets/{ticket_id}", "GET", f"/account/tickets/{ticket['ticket_id']}", None, 200, "1",
             auth)  # fmt: skip
        # Unification (served by the auth function: credentials and sessions).
        jeanne = world.customers[0]
        call("POST /account/links (password)", "POST", "/account/links",
             {"identifier": jeanne.login_id, "password": jeanne.password}, 201,
             "change: one transaction", auth)  # fmt: skip
        call("GET /account/links", "GET", "/account/links", None, 200, "1", auth)
        call("POST /account/links/{n}/switch", "POST", f"/account/links/{jeanne.account_number}/switch", None, 200,
             "change: one transaction", auth)  # fmt: skip
        call("DELETE /account/links/{n}", "DELETE", f"/account/links/{jeanne.account_number}", None, 204,
             "change: one transaction", auth)  # fmt: skip
        advisor = world.staff[StaffRole.CUSTOMER_SERVICE_ADVISOR]
        staff_token = login("/staff/auth/login", {"email": advisor.email, "password": advisor.password})
        grant = gateway.handle(
            "POST",
            "/staff/assisted-access",
            {"Content-Type": "application/json", "Authorization": f"Bearer {staff_token}"},
            json.dumps({"customer_id": "C0002", "reason": "Benchmark of assisted access"}),
        )
        headers = {"Authorization": f"Bearer {staff_token}", "X-Assisted-Access": json.loads(grant.body)["grant_id"]}
        call("GET /account/consents (staff, audited)", "GET", "/account/consents", None, 200, "2: read + access log",
             headers)  # fmt: skip
    return recorder.rows


if __name__ == "__main__":
    for label, authorizer_calls, handler_calls, target in rows():
        print(f"| {label} | {authorizer_calls} | {handler_calls} | {target} |")
