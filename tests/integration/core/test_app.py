"""OpenAPI, the error shape, security headers, and secrets kept out of responses and logs."""

from __future__ import annotations

import json
import logging

import pytest
from starlette.requests import Request
from starlette.routing import Route
from starlette.testclient import TestClient

from callcenter.app import create_app
from callcenter.core.settings import Settings
from tests.integration.conftest import Team

CONTRACT_PATHS = {
    ("get", "/api/v1/customers"),
    ("post", "/api/v1/customers"),
    ("get", "/api/v1/customers/{customer_id}"),
    ("patch", "/api/v1/customers/{customer_id}"),
    ("get", "/api/v1/customers/lookup"),
    ("get", "/api/v1/orders"),
    ("post", "/api/v1/orders"),
    ("get", "/api/v1/orders/{order_id}"),
    ("patch", "/api/v1/orders/{order_id}"),
    ("get", "/api/v1/managers"),
    ("post", "/api/v1/managers"),
    ("patch", "/api/v1/managers/{manager_id}"),
    ("put", "/api/v1/managers/{manager_id}/status"),
    ("get", "/api/v1/calls"),
    ("get", "/api/v1/calls/{call_id}"),
    ("get", "/api/v1/tasks"),
    ("post", "/api/v1/tasks"),
    ("post", "/api/v1/tasks/{task_id}/complete"),
}


def _refs(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def test_openapi_lists_the_contract_and_resolves(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    present = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert CONTRACT_PATHS <= present, CONTRACT_PATHS - present
    schemas = doc["components"]["schemas"]
    for ref in _refs(doc):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    params = {p["name"] for p in doc["paths"]["/api/v1/calls"]["get"]["parameters"]}
    assert {"from", "until", "manager_id", "customer_id", "direction", "status"} <= params
    assert "password_hash" not in json.dumps(doc)


def test_unknown_route_and_method_are_json(client: TestClient, team: Team) -> None:
    missing = client.get("/api/v1/nothing-here", headers=team.admin.auth)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = client.delete("/api/v1/customers", headers=team.admin.auth)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    no_customer = client.get("/api/v1/customers/424242", headers=team.admin.auth)
    assert no_customer.status_code == 404
    assert no_customer.json() == {
        "error": {"code": "not_found", "message": "no customer with id 424242", "details": {}}
    }


def test_unexpected_error_has_no_traceback(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings)

    async def boom(_request: Request) -> None:
        raise RuntimeError("secret internals")

    app.router.routes.append(Route("/boom", boom))
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        response = client.get("/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "internal_error"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert "secret internals" in caplog.text  # ...but the server log has it


def test_security_headers_and_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.json()["status"] == "ok"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_secrets_never_repr(settings: Settings) -> None:
    configured = settings.model_copy(update={"ami_username": "crm"})
    configured.ami_secret = type(settings.ami_secret)("sup3r-secret")
    assert "sup3r-secret" not in repr(configured)
    assert "test-secret-key" not in repr(settings)
    assert "sup3r-secret" not in str(configured.model_dump())


def test_login_page_renders_cyrillic(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "Колл-центр" in page.text
    assert 'name="csrf_token"' in page.text
    english = client.get("/login?lang=en")
    assert "Call centre" in english.text
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"] == "/login"
