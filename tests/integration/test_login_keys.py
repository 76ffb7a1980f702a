"""Login keys follow the customer record (issue 8, section 1): a contact changed in the space moves its key in
the same transaction; a key held by another customer is a conflict; recovery goes to the current address."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
import pytest
from selfcare.projection.events import CustomerUpdated

from infra.local.resources import LocalResources
from infra.local.seed import PROFILES, customer_created, deliver_crm_events, publish_crm_events
from tests.factories import DemoWorld
from tests.fakes import InMemoryNotifier
from tests.integration.conftest import Api, body
from tests.integration.test_account import Ports, _no_metrics_build_up, error_code, ports, token_of
from tests.integration.test_activation import add_customer_without_credentials, solved
from tests.integration.test_inventory_projection import put, sample
from tests.integration.test_projection import dead_letters

__all__ = ["_no_metrics_build_up", "ports"]  # fixtures of the account tests, used here

NEW_LINE = "M-377612345670"
JEANNES_LINE, JEANNES_NUMBER = "M-377612345678", "+377612345678"  # also her contact mobile
LOUS_LINE, LOUS_NUMBER = "M-377612345679", "+377612345679"
MARCOS_SECOND_NUMBER = "+377623456781"


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


# Line numbers follow the product inventory (the projection moves their keys in the line's transaction) ------------
def line_event(name: str, line_id: str, version: int, **detail: Any) -> dict[str, Any]:
    event = sample(name)
    event["detail"] |= {"line_id": line_id, "entity_version": version, "event_id": f"keys-{name}-{line_id}-{version}"}
    event["detail"] |= detail
    return event


def new_line(number: str, line_id: str = NEW_LINE, customer_id: str = "C0001") -> dict[str, Any]:
    event = sample("LineCreated")
    event["detail"] |= {"customer_id": customer_id, "event_id": f"keys-created-{line_id}-{number.lstrip('+')}"}
    event["detail"]["line"] |= {"line_id": line_id, "number": number}
    return event


def logs_in(api: Api, identifier: str, password: str) -> int:
    return api.call("POST", "/auth/login", {"identifier": identifier, "password": password}).status


def test_a_new_line_logs_in_and_a_new_number_moves_its_key(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    jeanne = world.customers[0]
    # Given a line the inventory adds to Jeanne's account
    assert put(new_line("+377612345670")) == 1
    # Then its number logs her in
    assert api.login("+377612345670", jeanne.password)["access_token"]
    # When the inventory gives the line another number
    assert put(line_event("LineChanged", NEW_LINE, 2, changes={"number": "+377612345699"})) == 1
    # Then the new number logs in, the old one answers like an unknown identifier
    assert api.login("+377612345699", jeanne.password)["access_token"]
    assert logs_in(api, "+377612345670", jeanne.password) == 401
    assert dead_letters(aws) == []


def test_an_ended_lines_number_no_longer_logs_in(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    jeanne = world.customers[0]
    assert api.login(LOUS_NUMBER, jeanne.password)["access_token"]
    # When the inventory ends Lou's line
    assert put(line_event("LineEnded", LOUS_LINE, 100)) == 1
    # Then its number is no login key any more; her other keys still are
    assert logs_in(api, LOUS_NUMBER, jeanne.password) == 401
    assert api.login(jeanne.login_id, jeanne.password)["access_token"]
    assert login_key_holder(aws, LOUS_NUMBER) is None


def test_an_ended_line_whose_number_is_the_contact_mobile_keeps_that_key(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    jeanne = world.customers[0]
    # Jeanne's own line's number is also her contact mobile: ending the line leaves the contact's key
    assert put(line_event("LineEnded", JEANNES_LINE, 100)) == 1
    assert api.login(JEANNES_NUMBER, jeanne.password)["access_token"]


def test_a_suspended_lines_number_still_logs_in(api: Api, world: DemoWorld) -> None:
    jeanne = world.customers[0]
    assert put(line_event("LineStatusChanged", LOUS_LINE, 100, state="suspended")) == 1
    assert api.login(LOUS_NUMBER, jeanne.password)["access_token"]


def test_a_number_held_by_another_customer_is_projected_without_its_key(
    api: Api, world: DemoWorld, aws: LocalResources, caplog: pytest.LogCaptureFixture
) -> None:
    jeanne, marco = world.customers
    # Given a line for Jeanne whose number is one of Marco's login keys (an inventory error, or a number moved
    # between accounts before Marco's line ended)
    assert put(new_line(MARCOS_SECOND_NUMBER)) == 1
    # Then the line is projected (no dead letter), but the key stays Marco's: never a silent takeover
    assert dead_letters(aws) == []
    token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    line = api.call("GET", f"/mobile/lines/{NEW_LINE}", token=token)
    assert line.status == 200 and body(line)["number"] == MARCOS_SECOND_NUMBER
    assert login_key_holder(aws, MARCOS_SECOND_NUMBER) == marco.customer_id
    assert api.login(MARCOS_SECOND_NUMBER, marco.password)["access_token"]
    assert logs_in(api, MARCOS_SECOND_NUMBER, jeanne.password) == 401
    # And the log says why, with a reason code and without the number
    withheld = [r for r in caplog.records if r.getMessage() == "line number not given as a login key"]
    assert [getattr(r, "reason", None) for r in withheld] == ["login_key_held_by_another"]
    assert all(MARCOS_SECOND_NUMBER not in str(vars(r)) for r in withheld)


def test_a_line_of_a_customer_without_credentials_gives_no_key(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    # Luc (C0003) never activated his space: his lines' numbers become keys only at activation
    add_customer_without_credentials(aws)
    assert put(new_line("+377612340001", line_id="M-377612340001", customer_id="C0003")) == 1
    assert login_key_holder(aws, "+377612340001") is None
    assert dead_letters(aws) == []


def login_key_holder(aws: LocalResources, number: str) -> str | None:
    raw = boto3.client("dynamodb").get_item(
        TableName=aws.table_names["CustomersTable"],
        Key={"pk": {"S": f"LOGIN#phone#{number}"}, "sk": {"S": "LOGIN"}},
        ConsistentRead=True,
    )
    return str(raw["Item"]["principal_id"]["S"]) if "Item" in raw else None
