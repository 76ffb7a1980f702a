"""The notice and the usage statistics over real HTTP against the local stack (issue 10, sections 2 and 3)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e.conftest import Client, LocalStack


def test_the_notice_is_public_and_a_customers_uses_reach_the_staff_statistics(
    local_stack: LocalStack, client: Client
) -> None:
    # Given no token, the notice answers in English when asked
    notice = client.call("GET", "/privacy/notice?lang=en")
    assert notice.status == 200 and notice.json()["language"] == "en"
    assert "CCIN" in notice.json()["authority"]["name"]
    # When a customer reads their account six times from the mobile app, and their categories once
    jeanne = local_stack.customer(0)
    token = client.login(jeanne["login_id"], jeanne["password"])["access_token"]
    for _ in range(6):
        assert client.call("GET", "/account", token=token, headers={"X-Client-Platform": "mobile"}).status == 200
    held = client.call("GET", "/account/privacy/data-categories", token=token)
    assert held.status == 200 and "identification" in {c["code"] for c in held.json()["categories"]}
    # Then staff see at least those six in today's counters, and the CSV has the same row
    staff = local_stack.staff("production")
    staff_token = client.staff_login(staff["email"], staff["password"])["access_token"]
    today = datetime.now(UTC).date().isoformat()
    view = client.call("GET", f"/staff/usage-statistics?from={today}&to={today}", token=staff_token)
    assert view.status == 200, view.text
    rows = {(r["method"], r["route"], r["platform"], r["outcome"]): r["count"] for r in view.json()["rows"]}
    assert rows[("GET", "/account", "mobile", "2xx")] >= 6
    export = client.call("GET", f"/staff/usage-statistics/export?from={today}&to={today}", token=staff_token)
    assert export.status == 200 and export.headers["content-type"].startswith("text/csv")
    assert ",account,GET,/account,mobile,2xx," in export.text
    # and a customer is refused
    assert client.call("GET", "/staff/usage-statistics", token=token).status == 403
