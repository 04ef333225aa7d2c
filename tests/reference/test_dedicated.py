"""The dedicated family of the reference bank, driven over HTTP (DED-1..7, SBX-1 shape)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import cache
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator, ValidationError

from harness.paths import specs_dir
from harness.reference.defects import REGISTRY, all_defects
from harness.regime import load_regime

BASE = "/dedicated"
ALL = "account.list account.details account.balance"
CODE_ERROR = {"message": "Entity not found or Invalid access code"}
EU2023 = load_regime("eu-2023")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# -- helpers: the TPP's and the PSU's side of the flow ------------------------------------------
def new_psu(c: httpx.Client) -> dict[str, Any]:
    r = c.post(f"{BASE}/__sandbox/psus")
    assert r.status_code == 201
    return r.json()


def advance(c: httpx.Client, psu: dict[str, Any], seconds: int) -> None:
    r = c.post(f"{BASE}/__sandbox/psus/{psu['psuId']}/clock/advance", json={"seconds": seconds})
    assert r.status_code == 200


def authorize(c: httpx.Client, tpp: dict[str, str], scope: str | None = ALL, **override: Any) -> httpx.Response:
    params = {"secret": tpp["secret"], "scope": scope, "redirect_uri": tpp["redirectUri"], "username": tpp["clientId"]}
    params.update(override)
    return c.post(f"{BASE}/api/tpp/authorize", params={k: v for k, v in params.items() if v is not None})


def consent(c: httpx.Client, redirect_url: str, psu: dict[str, Any], **form: Any) -> httpx.Response:
    url = httpx.URL(redirect_url)
    # The URL carries the request id as `x-request-id` (the source's name); the consent form
    # takes it in the field `requestId` (the reference's name: the source names no form field).
    data = {
        "requestId": url.params["x-request-id"],
        "username": psu["username"],
        "password": psu["password"],
        "approve": "true",
    }
    data.update(form)
    return c.post(url.copy_with(query=None), data={k: v for k, v in data.items() if v is not None})


def location_params(r: httpx.Response) -> dict[str, str]:
    assert r.status_code == 302, r.text
    return dict(httpx.URL(r.headers["location"]).params)


def get_code(
    c: httpx.Client, psu: dict[str, Any], tpp_index: int = 0, scope: str = ALL, approved: str | None = None
) -> str:
    tpp = psu["tpps"][tpp_index]
    r = authorize(c, tpp, scope)
    assert r.status_code == 200, r.text
    return location_params(consent(c, r.json()["redirectUrl"], psu, scope=approved))["code"]


def exchange(c: httpx.Client, code: str, tpp: dict[str, str], secret: str | None = "right") -> httpx.Response:
    params = {"accessCode": code, "clientId": tpp["clientId"]}
    if secret is not None:
        params["secret"] = tpp["secret"] if secret == "right" else secret
    return c.post(f"{BASE}/api/client/token", params=params)


def token_for(
    c: httpx.Client, psu: dict[str, Any], scope: str = ALL, approved: str | None = None, tpp_index: int = 0
) -> dict[str, Any]:
    r = exchange(c, get_code(c, psu, tpp_index, scope, approved), psu["tpps"][tpp_index])
    assert r.status_code == 200, r.text
    return r.json()


def read(c: httpx.Client, what: str, token: str, account_id: Any = None) -> httpx.Response:
    path = {"list": "/api/tpp/accounts", "details": "/api/tpp/account", "balance": "/api/tpp/account/balance"}[what]
    params = {} if account_id is None else {"accountId": str(account_id)}
    return c.post(f"{BASE}{path}", params=params, headers={"Authorization": f"Bearer {token}"})


def read_all(c: httpx.Client, token: str, account_id: Any) -> list[int]:
    return [read(c, what, token, account_id).status_code for what in ("list", "details", "balance")]


def revoke(c: httpx.Client, token: str) -> httpx.Response:
    return c.post(f"{BASE}/api/client/token/revoke", params={"accessToken": token})


# -- documents vs app, SBX-1 --------------------------------------------------------------------
def test_every_documented_operation_is_a_route_and_back(client: httpx.Client) -> None:
    doc = _document()
    documented = {
        (op["operationId"], method.upper(), path) for path, item in doc["paths"].items() for method, op in item.items()
    }
    mount = next(r for r in client.app.routes if getattr(r, "name", "") == "dedicated")  # type: ignore[attr-defined]
    served = {
        (r.name, m, r.path)
        for r in mount.routes
        if not r.path.startswith("/__sandbox")
        for m in r.methods
        if m != "HEAD"
    }
    assert documented == served
    assert {"Error", "SandboxPsu"} <= doc["components"]["schemas"].keys()


def test_create_psu_has_credentials_accounts_history_and_two_tpps(client: httpx.Client) -> None:
    psu = new_psu(client)
    assert {"psuId", "username", "password", "accounts", "tpps"} <= psu.keys()
    assert len(psu["tpps"]) == 2 and len({t["clientId"] for t in psu["tpps"]}) == 2
    assert all({"clientId", "secret", "redirectUri"} <= t.keys() for t in psu["tpps"])
    account = psu["accounts"][0]
    assert {"id", "iban", "name", "currency", "balance"} <= account.keys()
    first = date.fromisoformat(account["transactions"][0]["bookingDate"])
    assert first <= date.today() - timedelta(days=399)
    other = new_psu(client)
    assert {a["id"] for a in psu["accounts"]}.isdisjoint(a["id"] for a in other["accounts"])


def test_happy_flow_reads_the_psus_accounts(client: httpx.Client) -> None:
    psu = new_psu(client)
    tok = token_for(client, psu)
    assert tok["scope"].split() == ALL.split()
    listed = read(client, "list", tok["accessToken"]).json()["accounts"]
    assert [a["id"] for a in listed] == [a["id"] for a in psu["accounts"]]
    acc = psu["accounts"][0]
    details = read(client, "details", tok["accessToken"], acc["id"]).json()["account"]
    assert (details["iban"], details["currency"]) == (acc["iban"], acc["currency"])
    balance = read(client, "balance", tok["accessToken"], acc["id"]).json()["account"]["balance"]
    assert balance == [{"currency": acc["currency"], "available": acc["balance"]}]


def test_consent_page_and_state(client: httpx.Client) -> None:
    psu = new_psu(client)
    tpp = psu["tpps"][0]
    r = authorize(client, tpp, state="xyz")
    url = r.json()["redirectUrl"]
    # The source's shape: `https://frontend_redirect.url?clientId=username__1&x-request-id=…`.
    parsed = httpx.URL(url)
    assert str(parsed.copy_with(query=None)) == "http://reference.test/dedicated/consent"
    assert list(parsed.params.keys()) == ["clientId", "x-request-id"]
    assert parsed.params["clientId"] == tpp["clientId"] and parsed.params["x-request-id"]
    assert "requestId" not in parsed.params
    request_id = parsed.params["x-request-id"]
    # the page is found by `x-request-id`, the source's name, not by the former `requestId`
    assert client.get(f"{BASE}/consent", params={"requestId": request_id}).status_code == 404
    page = client.get(url)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "account.balance" in page.text and 'name="password"' in page.text
    # the form posts the request id in the reference's own field name (the source names none)
    assert f'name="requestId" value="{request_id}"' in page.text
    assert location_params(consent(client, url, psu))["state"] == "xyz"
    assert client.get(url).status_code == 404  # decided: the request is used up
    assert consent(client, url, psu).status_code == 404
    assert client.get(f"{BASE}/consent", params={"x-request-id": "nope"}).status_code == 404


@cache
def _document() -> dict[str, Any]:
    return yaml.load((specs_dir() / "dedicated.openapi.yaml").read_text(encoding="utf-8"), Loader=_LOADER)


def _schema(name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": _document()["components"]})


def test_answers_match_the_documented_schemas(client: httpx.Client) -> None:
    psu = new_psu(client)
    _schema("SandboxPsu").validate(psu)
    _schema("AuthorizeResponse").validate(authorize(client, psu["tpps"][0]).json())
    _schema("Error").validate(authorize(client, psu["tpps"][0], secret="x").json())
    tok = token_for(client, psu)
    _schema("TokenResponse").validate(tok)
    acc = psu["accounts"][0]["id"]
    _schema("AccountList").validate(read(client, "list", tok["accessToken"]).json())
    _schema("AccountEnvelope").validate(read(client, "details", tok["accessToken"], acc).json())
    _schema("BalanceEnvelope").validate(read(client, "balance", tok["accessToken"], acc).json())
    _schema("Error").validate(exchange(client, "nope", psu["tpps"][0]).json())
    _schema("RevokeResult").validate(revoke(client, tok["accessToken"]).json())
    _schema("Error").validate(read(client, "list", tok["accessToken"]).json())
    with pytest.raises(ValidationError):
        _schema("TokenResponse").validate({"accessToken": "a", "expiresIn": 315_360_000, "scope": ""})


# -- DED-1 --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "override, status",
    [
        ({"secret": "wrong"}, 401),
        ({"username": "no-such-client"}, 401),
        ({"scope": "account.list payments.all"}, 400),
        ({"scope": None}, 400),
        ({"redirect_uri": None}, 400),
        ({"redirect_uri": "https://evil.example/cb"}, 400),
    ],
)
def test_ded1_authorize_refusals(client: httpx.Client, override: dict, status: int) -> None:
    psu = new_psu(client)
    r = authorize(client, psu["tpps"][0], **override)
    assert r.status_code == status
    assert "redirectUrl" not in r.json() and r.json()["message"]


def test_ded1_another_clients_redirect_uri_is_refused(client: httpx.Client) -> None:
    psu = new_psu(client)
    r = authorize(client, psu["tpps"][0], redirect_uri=psu["tpps"][1]["redirectUri"])
    assert r.status_code == 400 and "redirectUrl" not in r.json()


# -- consent login ----------------------------------------------------------------------------
def test_consent_wrong_password_and_unknown_user_same_answer(client: httpx.Client) -> None:
    psu = new_psu(client)
    url = authorize(client, psu["tpps"][0]).json()["redirectUrl"]
    wrong = consent(client, url, psu, password="wrong")
    unknown = consent(client, url, psu, username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() and "location" not in wrong.headers
    assert "code" in location_params(consent(client, url, psu))


def test_consent_login_blocks_after_max_failures(client: httpx.Client) -> None:
    psu = new_psu(client)
    url = authorize(client, psu["tpps"][0]).json()["redirectUrl"]
    for _ in range(EU2023["max_failed_attempts"]):
        assert consent(client, url, psu, password="wrong").status_code == 401
    assert consent(client, url, psu).status_code == 403
    advance(client, psu, EU2023["sca_block"] - 1)
    assert consent(client, url, psu).status_code == 403
    advance(client, psu, 2)
    assert "code" in location_params(consent(client, url, psu))


def test_consent_denied_redirects_access_denied(client: httpx.Client) -> None:
    psu = new_psu(client)
    url = authorize(client, psu["tpps"][0]).json()["redirectUrl"]
    params = location_params(consent(client, url, psu, approve="false", password=None))
    assert params == {"error": "access_denied"}
    assert consent(client, url, psu).status_code == 404


# -- DED-2 --------------------------------------------------------------------------------------
def test_ded2_used_and_invalid_codes(client: httpx.Client) -> None:
    psu = new_psu(client)
    tpp = psu["tpps"][0]
    code = get_code(client, psu)
    first = exchange(client, code, tpp)
    assert first.status_code == 200
    again = exchange(client, code, tpp)
    assert (again.status_code, again.json()) == (404, CODE_ERROR)
    bogus = exchange(client, "not-a-code", tpp)
    assert (bogus.status_code, bogus.json()) == (404, CODE_ERROR)
    other = exchange(client, get_code(client, psu, tpp_index=1), tpp)  # tpp 1's code, tpp 0's id
    assert (other.status_code, other.json()) == (404, CODE_ERROR)
    assert read(client, "list", first.json()["accessToken"]).status_code == 200


def test_ded2_code_lifetime_is_the_session_idle_time(client: httpx.Client) -> None:
    psu = new_psu(client)
    tpp = psu["tpps"][0]
    fresh, stale = get_code(client, psu), get_code(client, psu)
    advance(client, psu, EU2023["session_idle"] - 1)
    assert exchange(client, fresh, tpp).status_code == 200
    advance(client, psu, 2)
    r = exchange(client, stale, tpp)
    assert (r.status_code, r.json()) == (404, CODE_ERROR)


# -- DED-3 --------------------------------------------------------------------------------------
def test_ded3_scopes_are_enforced(client: httpx.Client) -> None:
    psu = new_psu(client)
    acc = psu["accounts"][0]["id"]
    only_list = token_for(client, psu, scope="account.list")["accessToken"]
    assert read(client, "list", only_list).status_code == 200
    for what in ("details", "balance"):
        r = read(client, what, only_list, acc)
        assert r.status_code == 403 and set(r.json()) == {"message"}
    only_balance = token_for(client, psu, scope="account.balance")["accessToken"]
    assert read_all(client, only_balance, acc) == [403, 403, 200]
    only_details = token_for(client, psu, scope="account.details")["accessToken"]
    assert read_all(client, only_details, acc) == [403, 200, 403]


def test_ded3_token_scope_is_what_the_psu_approved(client: httpx.Client) -> None:
    psu = new_psu(client)
    acc = psu["accounts"][0]["id"]
    tok = token_for(client, psu, scope=ALL, approved="account.list")
    assert tok["scope"] == "account.list"
    assert read_all(client, tok["accessToken"], acc) == [200, 403, 403]
    # a scope the TPP did not ask for is never granted
    tok = token_for(client, psu, scope="account.list", approved="account.list account.balance")
    assert tok["scope"] == "account.list"
    url = authorize(client, psu["tpps"][0], scope="account.list").json()["redirectUrl"]
    assert location_params(consent(client, url, psu, scope="account.balance")) == {"error": "access_denied"}


# -- DED-4 --------------------------------------------------------------------------------------
def test_ded4_revoked_token_refused_everywhere_and_second_revoke_fails(client: httpx.Client) -> None:
    psu = new_psu(client)
    acc = psu["accounts"][0]["id"]
    tok = token_for(client, psu)["accessToken"]
    other = token_for(client, psu)["accessToken"]
    assert read_all(client, tok, acc) == [200, 200, 200]
    r = revoke(client, tok)
    assert (r.status_code, r.json()) == (200, {"status": "success"})
    assert read_all(client, tok, acc) == [401, 401, 401]
    assert read(client, "list", tok).json().keys() == {"message"}
    r = revoke(client, tok)
    assert (r.status_code, r.json()) == (400, {"status": "failure"})
    assert revoke(client, "unknown").status_code == 400
    assert read_all(client, other, acc) == [200, 200, 200]


def test_missing_token_is_401(client: httpx.Client) -> None:
    assert client.post(f"{BASE}/api/tpp/accounts").status_code == 401


# -- DED-5 --------------------------------------------------------------------------------------
def test_ded5_foreign_account_is_404_without_data(client: httpx.Client) -> None:
    alice, bob = new_psu(client), new_psu(client)
    tok = token_for(client, alice)["accessToken"]
    for what in ("details", "balance"):
        r = read(client, what, tok, bob["accounts"][0]["id"])
        assert r.status_code == 404 and set(r.json()) == {"message"}
        assert read(client, what, tok, 1).status_code == 404
        assert read(client, what, tok).status_code == 400
    assert bob["accounts"][0]["iban"] not in read(client, "list", tok).text


# -- DED-6 --------------------------------------------------------------------------------------
def test_ded6_expires_in_is_capped_and_enforced(client: httpx.Client) -> None:
    psu = new_psu(client)
    acc = psu["accounts"][0]["id"]
    tok = token_for(client, psu)
    lifetime = EU2023["consent_token_max_lifetime"]
    assert tok["expiresIn"] == lifetime <= 15_552_000
    advance(client, psu, lifetime - 1)
    assert read_all(client, tok["accessToken"], acc) == [200, 200, 200]
    advance(client, psu, 2)
    assert read_all(client, tok["accessToken"], acc) == [401, 401, 401]
    assert revoke(client, tok["accessToken"]).status_code == 400


def test_ded6_follows_the_regime(bank: Callable[..., httpx.Client]) -> None:
    c = bank(regime="eu-2019")
    assert token_for(c, new_psu(c))["expiresIn"] == load_regime("eu-2019")["consent_token_max_lifetime"]


def test_ded6_clock_of_another_psu_does_not_expire_the_token(client: httpx.Client) -> None:
    alice, bob = new_psu(client), new_psu(client)
    tok = token_for(client, alice)["accessToken"]
    advance(client, bob, EU2023["consent_token_max_lifetime"] + 1)
    assert read(client, "list", tok).status_code == 200


# -- DED-7 --------------------------------------------------------------------------------------
def test_ded7_code_exchange_needs_the_secret(client: httpx.Client) -> None:
    psu = new_psu(client)
    tpp = psu["tpps"][0]
    code = get_code(client, psu)
    r = exchange(client, code, tpp, secret=None)
    assert r.status_code == 401 and "accessToken" not in r.json()
    r = exchange(client, code, tpp, secret="wrong")
    assert r.status_code == 401 and "accessToken" not in r.json()
    assert exchange(client, code, tpp).status_code == 200  # a refused exchange did not use the code


# -- every defect changes its rule's observable behaviour ---------------------------------------
def _probe_any_redirect(c: httpx.Client) -> int:
    return authorize(c, new_psu(c)["tpps"][0], redirect_uri="https://evil.example/cb").status_code


def _probe_ignores_secret(c: httpx.Client) -> int:
    return authorize(c, new_psu(c)["tpps"][0], secret="wrong").status_code


def _probe_unknown_scope(c: httpx.Client) -> int:
    return authorize(c, new_psu(c)["tpps"][0], scope="account.list payments.all").status_code


def _probe_code_reuse(c: httpx.Client) -> int:
    psu = new_psu(c)
    code = get_code(c, psu)
    exchange(c, code, psu["tpps"][0])
    return exchange(c, code, psu["tpps"][0]).status_code


def _probe_code_error(c: httpx.Client) -> tuple[int, Any]:
    r = exchange(c, "not-a-code", new_psu(c)["tpps"][0])
    return r.status_code, r.json()


def _probe_balance_scope(c: httpx.Client) -> int:
    psu = new_psu(c)
    tok = token_for(c, psu, scope="account.list")["accessToken"]
    return read(c, "balance", tok, psu["accounts"][0]["id"]).status_code


def _probe_list_has_accounts(c: httpx.Client) -> int:
    tok = token_for(c, new_psu(c), scope="account.list")["accessToken"]
    r = read(c, "list", tok)
    assert r.status_code == 200
    return len(r.json()["accounts"])


def _probe_approved_subset(c: httpx.Client) -> str:
    return token_for(c, new_psu(c), scope=ALL, approved="account.list")["scope"]


def _probe_revoked_use(c: httpx.Client) -> int:
    tok = token_for(c, new_psu(c))["accessToken"]
    revoke(c, tok)
    return read(c, "list", tok).status_code


def _probe_revoke_twice(c: httpx.Client) -> tuple[int, Any]:
    tok = token_for(c, new_psu(c))["accessToken"]
    revoke(c, tok)
    r = revoke(c, tok)
    return r.status_code, r.json()


def _probe_foreign_account(c: httpx.Client) -> int:
    alice, bob = new_psu(c), new_psu(c)
    return read(c, "balance", token_for(c, alice)["accessToken"], bob["accounts"][0]["id"]).status_code


def _probe_expiry(c: httpx.Client) -> tuple[bool, int]:
    psu = new_psu(c)
    tok = token_for(c, psu)
    advance(c, psu, EU2023["consent_token_max_lifetime"] + 1)
    return tok["expiresIn"] <= EU2023["consent_token_max_lifetime"], read(c, "list", tok["accessToken"]).status_code


def _probe_no_secret(c: httpx.Client) -> int:
    psu = new_psu(c)
    return exchange(c, get_code(c, psu), psu["tpps"][0], secret=None).status_code


PROBES: dict[str, tuple[Callable[[httpx.Client], Any], Any]] = {
    "ded-authorize-any-redirect-uri": (_probe_any_redirect, 400),
    "ded-authorize-ignores-secret": (_probe_ignores_secret, 401),
    "ded-authorize-unknown-scope": (_probe_unknown_scope, 400),
    "ded-code-reusable": (_probe_code_reuse, 404),
    "ded-code-wrong-error": (_probe_code_error, (404, CODE_ERROR)),
    "ded-balance-without-scope": (_probe_balance_scope, 403),
    "ded-empty-account-list": (_probe_list_has_accounts, 2),
    "ded-scope-as-requested": (_probe_approved_subset, "account.list"),
    "ded-revoke-ignored": (_probe_revoked_use, 401),
    "ded-revoke-twice-success": (_probe_revoke_twice, (400, {"status": "failure"})),
    "ded-foreign-account": (_probe_foreign_account, 404),
    "ded-ten-year-token": (_probe_expiry, (True, 401)),
    "ded-expiry-not-enforced": (_probe_expiry, (True, 401)),
    "ded-token-without-secret": (_probe_no_secret, 401),
}


def test_every_rule_has_a_defect_and_every_defect_a_probe() -> None:
    ours = {d.name: d.rule for d in all_defects() if d.family == "dedicated"}
    assert set(ours) == set(PROBES)
    assert set(ours.values()) == {f"DED-{n}" for n in range(1, 8)}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_defect_changes_its_rule(bank: Callable[..., httpx.Client], name: str) -> None:
    probe, compliant = PROBES[name]
    assert REGISTRY[name].family == "dedicated"
    assert probe(bank()) == compliant
    assert probe(bank(name)) != compliant


def test_ded3_empty_account_list_defect(bank: Callable[..., httpx.Client]) -> None:
    """With account.list the compliant bank lists the PSU's own accounts; the defect answers
    200 with an empty list, and still serves details and balance."""
    for defects, listed in (((), True), (("ded-empty-account-list",), False)):
        c = bank(*defects)
        psu = new_psu(c)
        tok = token_for(c, psu)["accessToken"]
        r = read(c, "list", tok)
        assert r.status_code == 200
        ids = {str(a["id"]) for a in r.json()["accounts"]}
        assert ids == ({str(a["id"]) for a in psu["accounts"]} if listed else set())
        assert read_all(c, tok, psu["accounts"][0]["id"])[1:] == [200, 200]
