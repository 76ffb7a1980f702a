"""Login keys follow the customer record (issue 8, section 1): a contact changed in the space moves its key in
the same transaction; a key held by another customer is a conflict; recovery goes to the current address."""

from __future__ import annotations

from dataclasses import replace

from selfcare.projection.events import CustomerUpdated

from infra.local.resources import LocalResources
from infra.local.seed import PROFILES, customer_created, deliver_crm_events, publish_crm_events
from tests.factories import DemoWorld
from tests.fakes import InMemoryNotifier
from tests.integration.conftest import Api, body
from tests.integration.test_account import Ports, _no_metrics_build_up, error_code, ports, token_of
from tests.integration.test_activation import solved
from tests.integration.test_projection import dead_letters

__all__ = ["_no_metrics_build_up", "ports"]  # fixtures of the account tests, used here


def change_email(api: Api, ports: Ports, token: str, email: str) -> int:
    asked = api.call("PUT", "/account/contact/email", {"email": email}, token=token)
    assert asked.status == 202, asked.body
    confirmed = api.call("POST", "/account/contact/email/confirmation", {"code": ports.code_to(email)}, token=token)
    return confirmed.status


def test_a_new_contact_email_logs_in_the_old_one_no_longer_and_recovery_goes_to_it(
    api: Api, world: DemoWorld, ports: Ports
) -> None:
    # Given Jeanne, whose contact email is a login key
    jeanne = world.customers[0]
    token = token_of(api, world)
    # When she changes her contact email in the space
    assert change_email(api, ports, token, "jeanne.new@example.mc") == 200
    # Then the new address logs in, and the old one answers exactly like an unknown identifier
    assert api.login("jeanne.new@example.mc", jeanne.password)["access_token"]
    old = api.call("POST", "/auth/login", {"identifier": jeanne.email, "password": jeanne.password})
    unknown = api.call("POST", "/auth/login", {"identifier": "nobody@example.mc", "password": jeanne.password})
    assert old.status == unknown.status == 401
    assert error_code(old) == error_code(unknown) and body(old)["error"]["message"] == body(unknown)["error"]["message"]
    # And a recovery asked with her login id goes to the new address only
    mail = InMemoryNotifier()
    api.gateway.handlers["auth"].service.context.notifier = mail
    asked = {"identifier": jeanne.login_id, "captcha": solved(api)}
    assert api.call("POST", "/auth/password/forgot", asked).status == 202
    assert [m.to for m in mail.sent] == ["jeanne.new@example.mc"]
    # And the old address asks for nothing any more
    asked = {"identifier": jeanne.email, "captcha": solved(api)}
    assert api.call("POST", "/auth/password/forgot", asked).status == 202
    assert len(mail.sent) == 1


def test_another_customers_login_key_is_a_conflict_never_a_takeover(api: Api, world: DemoWorld, ports: Ports) -> None:
    # Given Marco, whose contact email is his login key
    jeanne, marco = world.customers
    token = token_of(api, world)
    # When Jeanne confirms his address as hers
    assert change_email(api, ports, token, marco.email) == 409
    # Then nothing changed: her contact and keys stay, his address still opens his account only
    assert body(api.call("GET", "/account", token=token))["contact_email"] == jeanne.email
    assert api.login(jeanne.email, jeanne.password)["access_token"]
    assert api.login(marco.email, marco.password)["access_token"]
    assert api.call("POST", "/auth/login", {"identifier": marco.email, "password": jeanne.password}).status == 401


def test_a_new_contact_mobile_logs_in(api: Api, world: DemoWorld, ports: Ports) -> None:
    jeanne = world.customers[0]
    token = token_of(api, world)
    asked = api.call("PUT", "/account/contact/mobile", {"mobile": "+33 6 99 88 77 66"}, token=token)
    assert asked.status == 202, asked.body
    code = ports.sms_code_to("+33699887766")
    assert api.call("POST", "/account/contact/mobile/confirmation", {"code": code}, token=token).status == 200
    assert api.login("+33699887766", jeanne.password)["access_token"]


# Changes by the CRM (projection) ------------------------------------------------------------------------
def crm_updates(customer_id: str, version: int, **changes: str) -> None:
    """The CRM's CustomerUpdated of a demo record, projected (bus -> local delivery -> projection handler)."""
    base = next(p for p in PROFILES if p.customer_id == customer_id)
    profile = replace(base, service_secret_code="1234", **changes)
    updated = CustomerUpdated.model_validate(customer_created(profile, version).model_dump())
    publish_crm_events([updated])
    deliver_crm_events()


def test_a_contact_email_changed_by_the_crm_moves_the_login_key(api: Api, world: DemoWorld) -> None:
    jeanne = world.customers[0]
    crm_updates(jeanne.customer_id, 2, contact_email="Jeanne.Crm@Example.mc")
    assert api.login("jeanne.crm@example.mc", jeanne.password)["access_token"]
    assert api.call("POST", "/auth/login", {"identifier": jeanne.email, "password": jeanne.password}).status == 401
    # The login id and the account number are untouched
    assert api.login(jeanne.account_number, jeanne.password)["access_token"]


def test_a_crm_change_to_another_customers_key_is_refused_with_a_reason(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    jeanne, marco = world.customers
    crm_updates(jeanne.customer_id, 2, contact_email=marco.email)
    # Nothing applied: Jeanne keeps her address and key, Marco his; the event waits in the dead-letter queue
    assert [reason for reason, _ in dead_letters(aws)] == ["login_key_taken"]
    assert api.login(jeanne.email, jeanne.password)["access_token"]
    assert api.login(marco.email, marco.password)["access_token"]
    token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    assert body(api.call("GET", "/account", token=token))["contact_email"] == jeanne.email
