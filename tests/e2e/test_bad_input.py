"""Bad input never answers 5xx, over real HTTP against the local stack (issue 12, section 2): a JSON body
with another Content-Type answers 415; deep nesting and huge integers answer 400; an address SES refuses
answers 422 and sends nothing; another customer's invoice on a ticket answers 422. Every answer has the
one error shape."""

from __future__ import annotations

from urllib.parse import quote

from tests.e2e.conftest import Client, LocalStack


def _token(client: Client, stack: LocalStack, index: int = 0) -> str:
    customer = stack.customer(index)
    return str(client.login(customer["email"], customer["password"])["access_token"])


def test_a_json_body_with_another_content_type_answers_415(client: Client, local_stack: LocalStack) -> None:
    token = _token(client, local_stack)
    reply = client.call(
        "PUT", "/account/consents/newsletter", raw='{"granted": true}', token=token,
        headers={"Content-Type": "text/plain"},
    )  # fmt: skip
    assert reply.status == 415, reply.text
    assert reply.error_code == "unsupported_media_type"


def test_deep_nesting_and_huge_integers_answer_400(client: Client, local_stack: LocalStack) -> None:
    token = _token(client, local_stack)
    for raw in ("[" * 6_000 + "]" * 6_000, '{"granted": ' + "9" * 5_000 + "}"):
        reply = client.call("PUT", "/account/consents/newsletter", raw=raw, token=token)
        assert reply.status == 400, (reply.status, reply.text[:200])
        assert reply.error_code == "bad_request"


def test_an_address_ses_refuses_answers_422_and_nothing_is_sent(client: Client, local_stack: LocalStack) -> None:
    token = _token(client, local_stack)
    reply = client.call("PUT", "/account/contact/email", {"email": "a;b@c.de"}, token=token)
    assert reply.status == 422, reply.text
    assert reply.json()["error"]["details"][0]["loc"] == ["body", "email"]
    assert client.call("GET", f"/_local/outbox?to={quote('a;b@c.de')}").json()["messages"] == []
    # No code was stored: a confirmation finds nothing to confirm.
    confirm = client.call("POST", "/account/contact/email/confirmation", {"code": "123456"}, token=token)
    assert confirm.status == 400 and confirm.error_code == "invalid_verification_code"


def test_a_ticket_naming_another_customers_invoice_answers_422(client: Client, local_stack: LocalStack) -> None:
    other = _token(client, local_stack, 1)
    invoices = client.call("GET", "/billing/invoices", token=other).json()["invoices"]
    assert invoices, "the demo data gives the second customer invoices"
    theirs = invoices[0]["invoice_id"]
    token = _token(client, local_stack)
    ticket = {"category": "billing", "subject": "About a bill", "description": "Which one is it?"}
    reply = client.call("POST", "/account/tickets", ticket | {"related_invoice_id": theirs}, token=token)
    assert reply.status == 422, reply.text
    assert reply.json()["error"]["details"][0]["type"] == "unknown_invoice"
    mine = client.call("GET", "/account/tickets", token=token).json()["tickets"]
    assert all(t.get("related_invoice_id") != theirs for t in mine)
