"""One refusal, many envelopes: a `Refusal` raised anywhere in a family is answered in that
family's own error shape, byte for byte what the contract (api-families.md) names, and alt
answers its own refusals in its own shapes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from harness.reference import alt, create_app
from harness.reference.escalation import EscalationBank
from harness.reference.refusal import Refusal, refusing

REFUSAL = Refusal(409, "SOME_CODE", "some message")


def _bank(family: str) -> Any:
    return create_app().state.banks[family]


def _decoded(response: Response) -> tuple[int, Any]:
    return response.status_code, json.loads(bytes(response.body))


@pytest.mark.parametrize(
    "family, body",
    [
        ("stepup", {"errorCode": "SOME_CODE", "message": "some message"}),
        ("workflow", {"code": "SOME_CODE", "message": "some message"}),
        ("dedicated", {"message": "some message"}),
    ],
)
def test_a_refusal_is_answered_in_its_familys_envelope(family: str, body: dict[str, str]) -> None:
    assert _decoded(_bank(family).refused(REFUSAL)) == (409, body)


def test_escalation_refusals_are_esc1_envelopes_with_their_resources() -> None:
    refusal = Refusal(
        403, "PSD2_SCA_REQUIRED", "needs SCA", extra={"resources": {"resourceId": "r1"}, "flushMessages": False}
    )
    status, body = _decoded(_bank("escalation").refused(refusal))
    assert status == 403
    assert body["resources"] == {"resourceId": "r1"}
    result = body["result"]
    assert (result["outcome"], result["flushMessages"]) == ("ERROR", False)
    assert result["messages"] == [{"code": "PSD2_SCA_REQUIRED", "message": "needs SCA", "type": "ERROR"}]
    assert isinstance(result["requestId"], str) and result["requestId"]
    plain = _decoded(_bank("escalation").refused(REFUSAL))[1]
    assert plain["result"]["flushMessages"] is True and plain["resources"] == {}


def test_escalation_oauth_refusals_are_rfc6749_and_never_cached() -> None:
    refusal = Refusal(401, "invalid_client", "client authentication failed", {"WWW-Authenticate": "Basic"})
    response = EscalationBank.oauth_refused(refusal)
    assert _decoded(response) == (401, {"error": "invalid_client", "error_description": "client authentication failed"})
    assert (response.headers["cache-control"], response.headers["pragma"]) == ("no-store", "no-cache")
    assert response.headers["www-authenticate"] == "Basic"


def test_a_refusal_with_its_own_body_is_answered_as_it_is() -> None:
    async def endpoint(request: Request) -> Response:
        raise Refusal(400, headers={"X-Why": "source"}, body={"status": "failure"})

    def envelope(refusal: Refusal) -> Response:
        raise AssertionError("a refusal with a body bypasses the envelope")

    request = Request({"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""})
    response = asyncio.run(refusing(endpoint, envelope)(request))
    assert _decoded(response) == (400, {"status": "failure"})
    assert response.headers["x-why"] == "source"


@pytest.mark.parametrize(
    "path, body",
    [
        ("/stepup/__sandbox/messages", {"code": "SANDBOX_ERROR", "message": "query parameter 'to' is required"}),
        ("/dedicated/__sandbox/psus/nobody/clock", {"code": "SANDBOX_ERROR", "message": "unknown PSU"}),
    ],
)
def test_the_sandbox_answers_in_its_own_envelope_under_every_family(bank: Any, path: str, body: dict[str, str]) -> None:
    response = bank().get(path)
    assert response.status_code in (400, 404) and response.json() == body


def test_refusals_raised_deep_in_a_handler_reach_the_wire(client: httpx.Client) -> None:
    """One refusal per family, from a helper rather than the handler itself."""
    stepup = client.post("/stepup/logout", headers={"api-key": "nope"})
    assert stepup.status_code == 401 and stepup.json()["errorCode"] == "API_KEY_INVALID"
    workflow = client.get("/workflow/platforms/p/users/u/balance")
    assert workflow.status_code == 401 and workflow.json()["code"] == "UNAUTHORIZED"
    dedicated = client.post("/dedicated/api/tpp/accounts")
    assert dedicated.status_code == 401 and set(dedicated.json()) == {"message"}
    escalation = client.post("/escalation/private/customers/c/sca/r/challenge")
    messages = escalation.json()["result"]["messages"]
    assert escalation.status_code == 401 and messages[0]["code"] == "PSD2_INVALID_TOKEN"
    oauth = client.post("/escalation/oauth/authorize", data={"client_id": "nobody"})
    assert oauth.status_code == 400 and oauth.json()["error"] == "invalid_request"


def _without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    """alt's escalation envelopes carry a fresh requestId each; everything else is fixed."""
    if isinstance(body.get("result"), dict):
        return {**body, "result": {k: v for k, v in body["result"].items() if k != "requestId"}}
    return body


@pytest.mark.parametrize("family", alt.FAMILIES)
def test_alt_answers_its_own_refusals_in_the_familys_alt_envelope(bank: Any, family: str) -> None:
    path = f"/{family}/no/such/route"
    response = bank(dialect="alt").get(path)
    status, expected = alt.family_error(family, 404, "NO_SUCH_ROUTE", f"nothing at {path}")
    assert response.status_code == status == 404
    assert _without_request_id(response.json()) == _without_request_id(expected)
    assert response.json()["meta"] == alt.META


def test_alt_answers_a_path_outside_every_family_with_a_bare_fault(bank: Any) -> None:
    response = bank(dialect="alt").get("/nowhere")
    assert (response.status_code, response.json()) == (
        404,
        {"fault": {"code": "NO_SUCH_ROUTE", "text": "nothing at /nowhere"}},
    )
