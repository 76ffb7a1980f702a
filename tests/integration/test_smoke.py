from __future__ import annotations

from tests.integration.conftest import Api, body


def test_login_then_read_account(api: Api, world) -> None:
    jeanne = world.customers[0]
    tokens = api.login(jeanne.login_id, jeanne.password)
    response = api.call("GET", "/account", token=tokens["access_token"])
    assert response.status == 200, response.body
    assert body(response)["account_number"] == jeanne.account_number
