"""Cold start (issue 12, section 4): the init phase's garbage collector and SnapStart's priming."""

from __future__ import annotations

import ast
import gc
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selfcare import coldstart
from selfcare.api.resolver import create_resolver

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def _last_call(path: Path) -> str:
    tree = ast.parse(path.read_text())
    last = tree.body[-1]
    assert isinstance(last, ast.Expr) and isinstance(last.value, ast.Call), f"{path}: ends with {ast.dump(last)}"
    return ast.unparse(last.value.func)


@pytest.mark.parametrize("handler", sorted(FUNCTIONS.glob("*/handler.py")), ids=lambda p: p.parent.name)
def test_every_handler_module_ends_its_init_with_loaded(handler: Path) -> None:
    # Given a function's handler module; Then its last statement ends the init (else, in Lambda, the
    # collector disabled by selfcare/__init__.py would stay off)
    assert _last_call(handler) == "coldstart.loaded"


def test_in_lambda_loaded_freezes_init_and_enables_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a Lambda init (the collector off, as selfcare/__init__.py leaves it)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "selfcare-account")
    gc.disable()
    try:
        # When the handler module ends its init
        coldstart.loaded()
        # Then the collector runs again, and what init built is out of its reach
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()


def test_outside_lambda_loaded_leaves_the_collector_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    frozen = gc.get_freeze_count()
    coldstart.loaded()
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_without_the_lambda_runtime_no_snapshot_hook_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # the import fails, as off Lambda
    assert coldstart.register_before_snapshot(lambda: None) is False


def test_snapstart_hook_primes_the_clients_and_every_route(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the Lambda runtime's hook module and a resolver with two routes
    hooks: list[Callable[[], None]] = []
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_before_snapshot = hooks.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)
    created: list[str] = []
    monkeypatch.setattr(coldstart.aws, "client", lambda service: created.append(service) or object())
    app = create_resolver()

    @app.get("/cold/<item_id>", responses={200: {"description": "An item"}})
    def one(item_id: str) -> dict[str, Any]:
        return {"id": item_id}

    @app.get("/cold", responses={200: {"description": "Items"}})
    def many() -> list[str]:
        return []

    # When the module ends its init: a hook is registered, nothing is built yet
    coldstart.loaded(clients=("dynamodb", "ssm"), resolver=app)
    assert len(hooks) == 1 and created == []
    routes = [*app._static_routes, *app._dynamic_routes]
    assert all(route._dependant is None for route in routes)
    # Then, before the snapshot, the hook creates the clients and builds every route's validation models
    hooks[0]()
    assert created == ["dynamodb", "ssm"]
    assert len(routes) == 2 and all(route._dependant is not None for route in routes)
