"""The `alt` dialect of the reference bank (harness/reference/alt.py), driven through the
wiring its target file (harness/targets/reference-alt.yaml) describes.

For each family a handful of rules hold over alt's paths, names and carriers; the
reference's own wiring does not exist on alt; the fixtures name every fact of
specs/facts differently and still carry all of them; the clocks count whole seconds and
every limit holds at N - 1 s and N + 1 s; a defect given to `create_app(dialect="alt")`
acts on the bank underneath; and the target file's flow replacements run on alt.
"""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml

from harness import jsonpointer, openapi
from harness.reference import alt, create_app
from harness.reference.clock import Clock
from harness.regime import load_regime

ROOT = Path(__file__).resolve().parents[2]
TARGET = yaml.safe_load((ROOT / "harness" / "targets" / "reference-alt.yaml").read_text(encoding="utf-8"))
LIMITS = load_regime("eu-2023")
IDLE = LIMITS["session_idle"]
ALL_SCOPES = "account.list account.details account.balance"


@pytest.fixture
def bank(bank: Callable[..., httpx.Client]) -> Callable[..., httpx.Client]:
    """The reference tests' bank factory (tests/reference/conftest.py), in the alt dialect."""
    return functools.partial(bank, dialect="alt")


@pytest.fixture
def client(bank: Callable[..., httpx.Client]) -> httpx.Client:
    return bank()


# -- the target file as a tiny engine: operations, carriers, header names, facts -------------------
def family_map(family: str) -> dict[str, Any]:
    return TARGET["families"][family]


def wiring(family: str, op_id: str, path: dict[str, Any] | None = None) -> tuple[str, str, str | None]:
    """Method, URL path and parameter carrier of an operation, as the target file says."""
    fam = family_map(family)
    spec = fam.get("operations", {}).get(op_id) or TARGET.get("operations", {}).get(op_id)
    if spec is None:  # a sandbox operation at the target's sandbox path
        op = openapi.operations(family)[op_id]
        spec = {"method": op.method, "path": TARGET["sandbox"]["path"] + op.path[len("/__sandbox") :]}
    url = fam["base_path"] + spec["path"]
    for name, value in (path or {}).items():
        url = url.replace("{" + name + "}", str(value))
    return spec["method"], url, spec.get("params")


def call(
    c: httpx.Client,
    family: str,
    op_id: str,
    *,
    path: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    bearer: str | None = None,
) -> httpx.Response:
    """One request as a suite step writes it: `params` travel where the target says."""
    method, url, carrier = wiring(family, op_id, path)
    names = family_map(family).get("header_names", {})
    sent = {names.get(k, k): v for k, v in (headers or {}).items()}
    if bearer:
        sent["Authorization"] = f"Bearer {bearer}"
    kwargs: dict[str, Any] = {"headers": sent}
    if params is not None:
        carrier = carrier or ("query" if method == "GET" else "json")
        kwargs[{"query": "params", "form": "data", "json": "json"}[carrier]] = params
    return c.request(method, url, **kwargs)


def read(body: Any, pointer: str, family: str) -> Any:
    """A suite's pointer, remapped by the target's `pointers`."""
    for prefix, replacement in family_map(family).get("pointers", {}).items():
        if pointer == prefix or pointer.startswith(prefix + "/"):
            pointer = replacement + pointer[len(prefix) :]
            break
    return jsonpointer.resolve(body, pointer)


FACTS = {
    f: yaml.safe_load((ROOT / "specs" / "facts" / f"{f}.yaml").read_text(encoding="utf-8"))["facts"]
    for f in alt.FAMILIES
}


def facts(family: str, answer: Any, mapping: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every fact of the family read from a new-PSU answer through `mapping` (default pointers
    for facts it does not map); a fact that is not there is MISSING."""
    mapping = mapping or {}
    out: dict[str, Any] = {}
    for name, spec in FACTS[family].items():
        where = mapping.get(name, spec["default"])
        if spec["type"] != "list" or "type" in spec.get("items", {}):
            out[name] = jsonpointer.resolve(answer, where if isinstance(where, str) else where["at"])
            continue
        at = where if isinstance(where, str) else where["at"]
        items = jsonpointer.resolve(answer, at)
        if not isinstance(items, list):
            out[name] = jsonpointer.MISSING
            continue
        inner = {} if isinstance(where, str) else where
        out[name] = [
            {k: jsonpointer.resolve(item, inner.get(k, s["default"])) for k, s in spec["items"].items()}
            for item in items
        ]
    return out


def new_psu(c: httpx.Client, family: str) -> dict[str, Any]:
    r = call(c, family, "createSandboxPsu")
    assert r.status_code == 201, r.text
    psu = facts(family, r.json(), family_map(family)["psu"])
    psu["_raw"] = r.json()
    return psu


def advance(c: httpx.Client, family: str, psu: dict[str, Any], seconds: int) -> None:
    r = call(c, family, "advancePsuClock", path={"psuId": psu["psu_id"]}, params={"seconds": seconds})
    assert r.status_code == 200, r.text


def otp(c: httpx.Client, family: str, to: str) -> str:
    r = call(c, family, "listSandboxMessages", params={"to": to})
    assert r.status_code == 200, r.text
    return r.json()["messages"][-1]["code"]


def ref_paths(family: str) -> list[tuple[str, str]]:
    return [(op.method, op.path) for op in openapi.operations(family).values()]


# -- wiring --------------------------------------------------------------------------------------
@pytest.mark.parametrize("family", alt.FAMILIES)
def test_the_reference_wiring_does_not_exist_on_alt(client: httpx.Client, family: str) -> None:
    for method, path in ref_paths(family):
        url = "/" + family + re.sub(r"\{\w+\}", "x", path)
        r = client.request(method, url)
        assert r.status_code in (404, 405), (method, url, r.status_code, r.text)
        assert "NO_SUCH_ROUTE" in r.text or "METHOD_NOT_ALLOWED" in r.text, (method, url, r.text)


@pytest.mark.parametrize("family", alt.FAMILIES)
def test_every_operation_of_the_target_file_is_served_there(client: httpx.Client, family: str) -> None:
    ops = {op_id for op_id in openapi.operations(family)}
    for op_id in sorted(ops):
        method, url, _ = wiring(family, op_id, {})
        url = re.sub(r"\{\w+\}", "x", url)
        r = client.request(method, url)
        assert "NO_SUCH_ROUTE" not in r.text and r.status_code != 405, (op_id, method, url, r.text)


def test_the_reference_header_names_are_not_read(client: httpx.Client) -> None:
    psu = new_psu(client, "stepup")
    login = {"email": psu["email"], "password": psu["password"]}
    assert (
        call(client, "stepup", "loginWithPassword", params=login, headers={"api-key": psu["api_key"]}).status_code
        == 200
    )  # the target maps api-key to X-Api-Key
    _, url, _ = wiring("stepup", "loginWithPassword")
    r = client.post(url, json=login, headers={"api-key": psu["api_key"]})  # the reference's name, verbatim
    assert r.status_code == 401 and "accessToken" not in r.json()


# -- fixtures: other names, every fact ------------------------------------------------------------
@pytest.mark.parametrize("family", alt.FAMILIES)
def test_fixture_names_differ_and_every_fact_is_reachable(bank: Callable[..., httpx.Client], family: str) -> None:
    alt_bank, ref_bank = bank(), bank(dialect="reference")
    alt_answer = call(alt_bank, family, "createSandboxPsu").json()
    ref_answer = ref_bank.post(f"/{family}/__sandbox/psus").json()
    assert not set(alt_answer) & set(ref_answer), "alt names its fixture's top-level fields otherwise"
    mapping = family_map(family)["psu"]
    assert set(mapping) == set(FACTS[family]), "the target maps every fact explicitly"
    found = facts(family, alt_answer, mapping)
    for name, value in found.items():
        assert value is not jsonpointer.MISSING and value not in ("", None, []), (name, value)
        if isinstance(value, list):
            assert len(value) >= FACTS[family][name].get("min", 1), name
            assert all(
                v is not jsonpointer.MISSING
                for item in value
                for v in (item.values() if isinstance(item, dict) else [item])
            ), (name, value)
    # the same facts as the reference names them, for the same PSU
    assert facts(family, alt.render(alt.FIXTURES[family], ref_answer), mapping) == facts(family, ref_answer)


# -- clocks: whole seconds, exact jumps, both sides of every limit ----------------------------------
class FakeTime:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def test_whole_second_clocks_count_from_their_own_start(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeTime(1_700_000_000.75)
    monkeypatch.setattr("harness.reference.clock.time", types.SimpleNamespace(time=fake.time))
    bank_clock = Clock(resolution=1)
    psu = bank_clock.layered()
    start = psu.time()
    assert start == int(start) == 1_700_000_000
    fake.now += 0.2  # an epoch second boundary falls in here: 1_700_000_000.95 -> .15 of the next
    assert psu.time() == start  # less than a second since the clock started: still its start
    psu.advance(IDLE - 1)
    fake.now += 0.1
    assert psu.time() - start == IDLE - 1  # an epoch floor would read IDLE here
    fake.now += 0.9
    assert psu.time() - start == IDLE  # a whole real second later: one more
    assert Clock().time() == fake.now  # the reference dialect reads time as it is


def stp_login(c: httpx.Client, psu: dict[str, Any]) -> str:
    """A stepup PSU's auth token, logged in with its password, read where the target file says."""
    login = call(
        c,
        "stepup",
        "loginWithPassword",
        headers={"api-key": psu["api_key"]},
        params={"email": psu["email"], "password": psu["password"]},
    )
    token = read(login.json(), "/token", "stepup")
    assert isinstance(token, str), login.text
    return token


@pytest.mark.parametrize("delta, alive", [(-1, True), (1, False)])
def test_stp7_idle_limit_both_sides_on_whole_seconds(client: httpx.Client, delta: int, alive: bool) -> None:
    psu = new_psu(client, "stepup")
    login = call(
        client,
        "stepup",
        "loginWithPassword",
        headers={"api-key": psu["api_key"]},
        params={"email": psu["email"], "password": psu["password"]},
    )
    token = read(login.json(), "/token", "stepup")
    assert isinstance(token, str) and "token" not in login.json()  # stepup answers accessToken on alt
    key = {"api-key": psu["api_key"]}
    advance(client, "stepup", psu, IDLE - 1)
    assert call(client, "stepup", "listManagedAccounts", headers=key, bearer=token).status_code == 200
    advance(client, "stepup", psu, IDLE + delta)  # the count restarted at the last request
    r = call(client, "stepup", "listManagedAccounts", headers=key, bearer=token)
    assert r.status_code == (200 if alive else 401), r.text
    if not alive:
        assert r.json()["errorCode"] != "TOKEN_INVALID" and "accounts" not in r.json()
    clock = call(client, "stepup", "getPsuClock", path={"psuId": psu["psu_id"]}).json()
    assert set(clock) == {"now"}


def test_stp2_throttle_and_stp6_statement_over_alt(client: httpx.Client) -> None:
    psu = new_psu(client, "stepup")
    key = {"api-key": psu["api_key"]}
    token = stp_login(client, psu)
    account = psu["accounts"][0]["id"]
    r = call(client, "stepup", "getManagedAccountStatement", path={"id": account}, headers=key, bearer=token)
    assert r.status_code == 403 and r.json()["errorCode"] == "STEP_UP_REQUIRED"
    channel = {"channel": psu["enrolled_channel"]}
    assert call(client, "stepup", "issueStepupOtpChallenge", path=channel, headers=key, bearer=token).status_code == 204
    advance(client, "stepup", psu, LIMITS["otp_resend_interval"] - 1)
    r = call(client, "stepup", "issueStepupOtpChallenge", path=channel, headers=key, bearer=token)
    assert r.status_code == 409 and r.json()["errorCode"] == "RETRY_IN_15SEC"
    advance(client, "stepup", psu, 2)
    assert call(client, "stepup", "issueStepupOtpChallenge", path=channel, headers=key, bearer=token).status_code == 204
    code = otp(client, "stepup", psu["phone"])
    r = call(
        client,
        "stepup",
        "verifyStepupOtpChallenge",
        path=channel,
        headers=key,
        bearer=token,
        params={"verificationCode": code},
    )
    assert r.status_code == 204, r.text
    r = call(client, "stepup", "getManagedAccountStatement", path={"id": account}, headers=key, bearer=token)
    assert r.status_code == 200 and read(r.json(), "/entries", "stepup") and r.json()["meta"] == alt.META
    r = call(
        client,
        "stepup",
        "issueStepupOtpChallenge",
        path={"channel": psu["unenrolled_channel"]},
        headers=key,
        bearer=token,
    )
    assert r.status_code == 409 and r.json()["errorCode"] == "CHANNEL_NOT_REGISTERED"


def test_stp10_login_failures_answer_alike_with_alt_codes(client: httpx.Client) -> None:
    psu = new_psu(client, "stepup")
    key = {"api-key": psu["api_key"]}
    wrong = call(client, "stepup", "loginWithPassword", headers=key, params={"email": psu["email"], "password": "x"})
    unknown = call(
        client, "stepup", "loginWithPassword", headers=key, params={"email": "nobody@stepup.example", "password": "x"}
    )
    assert wrong.status_code == unknown.status_code == 403 and wrong.json() == unknown.json()
    assert wrong.json()["errorCode"] == "LOGIN_REJECTED"
    r = call(client, "stepup", "listManagedAccounts", headers={"api-key": "not-a-key"})
    assert r.status_code == 401 and r.json()["errorCode"] == "APPLICATION_NOT_RECOGNISED"


# -- escalation ---------------------------------------------------------------------------------
def esc_login(c: httpx.Client, psu: dict[str, Any], tpp: int = 0) -> str:
    client = psu["tpp_clients"][tpp]
    r = call(
        c,
        "escalation",
        "authorize",
        params={
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": client["redirect_uri"],
            "state": "s1",
            "username": psu["username"],
            "password": psu["password"],
        },
    )
    assert r.status_code == 302, r.text
    code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
    r = call(
        c,
        "escalation",
        "requestToken",
        params={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": client["redirect_uri"],
            "client_id": client["client_id"],
            "client_secret": client["secret"],
        },
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def test_esc2_sca_required_with_an_info_message_first_then_esc3(client: httpx.Client) -> None:
    psu = new_psu(client, "escalation")
    token = esc_login(client, psu)
    where = {"customerId": psu["customer_id"], "productId": psu["products"][0]["id"]}
    r = call(client, "escalation", "retrieveBalance", path=where, bearer=token)
    assert r.status_code == 403, r.text
    result = r.json()["result"]
    assert result["outcome"] == "ERROR" and result["flushMessages"] is True
    assert result["messages"][0]["type"] == "INFO"
    assert {"code": "PSD2_SCA_REQUIRED", "type": "ERROR"}.items() <= result["messages"][1].items()
    resource = r.json()["resources"]["resourceId"]
    sca = {"customerId": psu["customer_id"], "resourceId": resource}
    assert call(client, "escalation", "startScaChallenge", path=sca, bearer=token).status_code == 200
    r = call(client, "escalation", "verifyScaChallenge", path=sca, bearer=token, params={"otp": "000000"})
    if r.status_code == 200:  # 000000 is right once in a million
        pytest.skip("the random OTP was 000000")
    messages = r.json()["result"]["messages"]
    assert r.status_code == 400 and messages[0]["type"] == "INFO" and messages[1]["code"] == "PSD2_SCA_INVALID_OTP"
    r = call(
        client,
        "escalation",
        "verifyScaChallenge",
        path=sca,
        bearer=token,
        params={"otp": otp(client, "escalation", psu["phone"])},
    )
    assert r.status_code == 200, r.text
    r = call(client, "escalation", "retrieveBalance", path=where, bearer=token)
    assert r.status_code == 200 and r.json()["resources"]["balance"] and r.json()["result"]["messages"] == []
    r = call(
        client,
        "escalation",
        "retrieveTransactions",
        path=where,
        bearer=token,
        params={"dateFrom": r.json()["resources"]["date"]},
    )  # a query string on alt
    assert r.status_code == 200 and r.json()["resources"]["transactions"] is not None


def test_esc8_the_other_status_of_the_rule(client: httpx.Client) -> None:
    a, b = new_psu(client, "escalation"), new_psu(client, "escalation")
    token = esc_login(client, a)
    other_customer = {"customerId": b["customer_id"], "productId": b["products"][0]["id"]}
    r = call(client, "escalation", "retrieveBalance", path=other_customer, bearer=token)
    assert r.status_code == 404 and "balance" not in r.json()["resources"]  # the reference answers 403
    foreign_product = {"customerId": a["customer_id"], "productId": b["products"][0]["id"]}
    r = call(client, "escalation", "retrieveBalance", path=foreign_product, bearer=token)
    assert r.status_code == 403 and r.json()["result"]["messages"][0]["type"] == "INFO"  # the reference: 404
    assert r.json()["resources"] == {}


# -- workflow -----------------------------------------------------------------------------------
def wfl_login(c: httpx.Client, psu: dict[str, Any]) -> str:
    r = call(
        c,
        "workflow",
        "userLogin",
        path={"platformUUID": psu["platform_uuid"]},
        params={"email": psu["email"], "password": psu["password"]},
    )
    assert r.status_code == 200, r.text
    return r.json()["token"]  # workflow keeps `token` on alt (stepup does not)


def test_wfl2_order_and_the_renamed_sca_header(client: httpx.Client) -> None:
    psu = new_psu(client, "workflow")
    token = wfl_login(client, psu)
    user = {"platformUUID": psu["platform_uuid"], "userUUID": psu["user_uuid"]}

    def verify(source: str, method: str) -> httpx.Response:
        r = call(
            client, "workflow", "generateOtp", path=user, bearer=token, params={"source": source, "method": method}
        )
        assert r.status_code == 200, r.text
        code = otp(client, "workflow", psu["email"] if method == "by_email" else psu["phone"])
        return call(
            client,
            "workflow",
            "verifyOtp",
            path=user,
            bearer=token,
            params={"source": source, "method": method, "code": code},
        )

    r = call(
        client,
        "workflow",
        "generateOtp",
        path=user,
        bearer=token,
        params={"source": "phone_number", "method": "by_sms"},
    )
    assert r.status_code == 409 and r.json()["code"] == "WORKFLOW_ORDER"
    status = call(client, "workflow", "getStrongAuthStatus", path=user, bearer=token).json()
    assert status["phone_number"]["validated"] is False and status["workflow_completed"] is False
    assert verify("email", "by_email").status_code == 200
    assert verify("phone_number", "by_email").status_code == 200
    assert verify("phone_number", "by_sms").json()["phone_number"]["validated"] is True
    assert (
        call(client, "workflow", "setupSecretCode", path=user, bearer=token, params={"secret_code": "2468"}).status_code
        == 200
    )
    assert verify("secret_code", "by_email").status_code == 200
    assert verify("secret_code", "by_sms").json()["workflow_completed"] is True
    wrong = call(client, "workflow", "verifySecretCode", path=user, bearer=token, params={"secret_code": "1357"})
    assert wrong.status_code == 422 and "jwt" not in wrong.json()  # the reference answers 400
    jwt = call(client, "workflow", "verifySecretCode", path=user, bearer=token, params={"secret_code": "2468"})
    assert jwt.status_code == 200, jwt.text
    r = call(client, "workflow", "getBalance", path=user, bearer=token)
    assert r.status_code == 200 and r.json()["balance"]["amount"] == psu["account_balance"]  # WFL-7 exemption
    old = {"dateFrom": "2000-01-01"}  # older than 90 days: WFL-7 asks a session JWT every time
    _, url, _ = wiring("workflow", "listTransactions", user)
    by_reference_name = {"Authorization": f"Bearer {token}", "X-SCA-Token": jwt.json()["jwt"]}
    r = client.post(url, headers=by_reference_name, json=old)
    assert r.status_code == 403 and r.json()["code"] == "SCA_REQUIRED" and "transactions" not in r.json()
    r = call(
        client,
        "workflow",
        "listTransactions",
        path=user,
        bearer=token,
        headers={"X-SCA-Token": jwt.json()["jwt"]},
        params=old,
    )  # X-Strong-Auth, a JSON body on alt
    assert r.status_code == 200 and r.json()["transactions"]


# -- dedicated ----------------------------------------------------------------------------------
def authorize(c: httpx.Client, tpp: dict[str, Any], scope: str = ALL_SCOPES, **extra: Any) -> httpx.Response:
    fields = {
        "username": tpp["client_id"],
        "secret": tpp["secret"],
        "scope": scope,
        "redirect_uri": tpp["redirect_uri"],
        **extra,
    }
    return call(c, "dedicated", "authorize", params={k: v for k, v in fields.items() if v is not None})


def consent_id(r: httpx.Response) -> str:
    query = parse_qs(urlsplit(r.json()["redirectUrl"]).query)
    url_params = family_map("dedicated")["url_params"]
    assert not {"requestId", "x-request-id", "clientId"} & set(query)
    return query[url_params["x-request-id"]][0]


def decide(
    c: httpx.Client, psu: dict[str, Any], request_id: str, decision: str = "ACCEPT", scopes: list[str] | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"decision": decision, "psu": {"login": psu["username"], "password": psu["password"]}}
    if scopes is not None:
        body["scopes"] = scopes
    return call(c, "dedicated", "submitConsent", path={"authorisationId": request_id}, params=body)


def exchange(c: httpx.Client, tpp: dict[str, Any], code: str, secret: str | None = "") -> httpx.Response:
    fields = {"accessCode": code, "clientId": tpp["client_id"], "secret": tpp["secret"] if secret == "" else secret}
    return call(c, "dedicated", "createToken", params={k: v for k, v in fields.items() if v is not None})


def test_ded_consent_by_json_decision_303_and_ded2(client: httpx.Client) -> None:
    psu = new_psu(client, "dedicated")
    tpp = psu["tpp_clients"][0]
    r = authorize(client, tpp)
    assert r.status_code == 200 and r.json()["meta"] == alt.META
    request_id = consent_id(r)
    page = client.get(r.json()["redirectUrl"])
    assert page.status_code == 200 and "account.balance" in page.text and "PUT" in page.text
    r = decide(client, psu, request_id)
    assert r.status_code == 303, r.text
    code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
    assert r.headers["location"].startswith(tpp["redirect_uri"])
    token = exchange(client, tpp, code)
    assert token.status_code == 200 and {"accessToken", "expiresIn", "scope"} <= set(token.json())
    assert token.json()["scope"] == ALL_SCOPES
    again = exchange(client, tpp, code)
    assert again.status_code == 404 and again.json()["message"] == alt.CODE_ERROR and "accessToken" not in again.json()
    accounts = call(client, "dedicated", "getAccounts", bearer=token.json()["accessToken"])
    assert accounts.status_code == 200 and accounts.json()["accounts"]


def test_ded1_other_4xx_and_no_redirect_url(client: httpx.Client) -> None:
    psu = new_psu(client, "dedicated")
    tpp, other = psu["tpp_clients"]
    cases = [
        (authorize(client, {**tpp, "secret": other["secret"]}), 403),  # the reference answers 401
        (authorize(client, tpp, scope="account.list account.transactions"), 422),  # 400
        (authorize(client, tpp, scope=None), 422),
        (authorize(client, {**tpp, "redirect_uri": None}), 422),
        (authorize(client, {**tpp, "redirect_uri": other["redirect_uri"]}), 422),
    ]
    for r, status in cases:
        assert r.status_code == status and "redirectUrl" not in r.json(), r.text
        assert r.json()["tppMessages"][0]["category"] == "ERROR"
    query = {
        "username": tpp["client_id"],
        "secret": tpp["secret"],
        "scope": ALL_SCOPES,
        "redirect_uri": tpp["redirect_uri"],
    }
    _, url, _ = wiring("dedicated", "authorize")
    assert client.post(url, params=query).status_code == 403  # the reference's carrier is not read


def test_ded3_subset_deny_ded4_ded5_over_alt(client: httpx.Client) -> None:
    psu, stranger = new_psu(client, "dedicated"), new_psu(client, "dedicated")
    tpp = psu["tpp_clients"][0]
    r = decide(client, psu, consent_id(authorize(client, tpp)), scopes=["account.list", "account.transactions"])
    code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
    token = exchange(client, tpp, code).json()
    assert token["scope"] == "account.list"
    account = {"accountId": psu["accounts"][0]["id"]}
    r = call(client, "dedicated", "getAccount", bearer=token["accessToken"], params=account)  # a JSON body
    assert r.status_code == 403 and "account" not in r.json()
    r = decide(client, psu, consent_id(authorize(client, tpp)), decision="REJECT")
    assert r.status_code == 303 and parse_qs(urlsplit(r.headers["location"]).query) == {"error": ["access_denied"]}
    r = decide(client, psu, consent_id(authorize(client, tpp)), scopes=[ALL_SCOPES])  # one RFC 6749 scope string
    full = exchange(client, tpp, parse_qs(urlsplit(r.headers["location"]).query)["code"][0]).json()["accessToken"]
    assert call(client, "dedicated", "getBalance", bearer=full, params=account).status_code == 200
    r = call(client, "dedicated", "getAccount", bearer=full, params={"accountId": stranger["accounts"][0]["id"]})
    assert r.status_code == 404 and "account" not in r.json()
    assert call(client, "dedicated", "revokeToken", params={"accessToken": full}).json()["status"] == "success"
    r = call(client, "dedicated", "revokeToken", params={"accessToken": full})
    assert r.status_code == 400 and r.json()["status"] == "failure"
    assert call(client, "dedicated", "getAccounts", bearer=full).status_code == 401


# -- the target file's flow replacements run on alt ---------------------------------------------------
def run_flow(c: httpx.Client, family: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """The target's replacement flow, stepped through with the few suite-language keys it uses."""
    scope: dict[str, Any] = {"args": args}

    def value(v: Any) -> Any:
        if isinstance(v, str) and (m := re.fullmatch(r"\$\{([^}]+)\}", v)):
            out: Any = scope
            for part in m.group(1).split("."):
                out = out[int(part)] if isinstance(out, list) else out[part]
            return out
        if isinstance(v, dict):
            return {k: value(x) for k, x in v.items()}
        if isinstance(v, list):
            return [value(x) for x in v]
        return v

    for step in family_map(family)["flows"][name]["steps"]:
        fields = next((step[k] for k in ("query", "form", "json") if k in step), None)
        r = call(c, family, step["request"], path=value(step.get("path")), params=value(fields))
        assert r.status_code == step["expect"]["status"], (name, step["request"], r.status_code, r.text)
        for var, source in step.get("capture", {}).items():
            if "url_query" in source:
                url = jsonpointer.resolve(r.json(), source["url_query"]["json"])
                scope[var] = parse_qs(urlsplit(url).query)[source["url_query"]["param"]][-1]
            else:
                scope[var] = parse_qs(urlsplit(r.headers["location"]).query)[source["location_query"]][-1]
    return scope


def test_the_target_flow_replacements_work_on_alt(client: httpx.Client) -> None:
    psu = new_psu(client, "dedicated")
    tpp = psu["tpp_clients"][0]
    code = run_flow(client, "dedicated", "consent", {"psu": psu, "tpp": tpp, "scope": ALL_SCOPES})["code"]
    assert exchange(client, tpp, code).json()["scope"] == ALL_SCOPES
    request_id = consent_id(authorize(client, tpp))
    code = run_flow(client, "dedicated", "approve", {"psu": psu, "requestId": request_id, "scope": "account.balance"})
    assert exchange(client, tpp, code["code"]).json()["scope"] == "account.balance"
    request_id = consent_id(authorize(client, tpp))
    assert run_flow(client, "dedicated", "deny", {"psu": psu, "requestId": request_id})["error"] == "access_denied"


# -- defects reach the bank underneath --------------------------------------------------------------
def test_a_defect_given_to_alt_is_active(bank: Callable[..., httpx.Client]) -> None:
    broken = bank("stp-session-never-idles")
    assert "stp-session-never-idles" in broken.app.state.defects  # type: ignore[attr-defined]
    psu = new_psu(broken, "stepup")
    key = {"api-key": psu["api_key"]}
    token = stp_login(broken, psu)
    advance(broken, "stepup", psu, IDLE + 1)
    assert call(broken, "stepup", "listManagedAccounts", headers=key, bearer=token).status_code == 200  # STP-7 broken
    esc = bank("esc-cross-customer-read")
    a, b = new_psu(esc, "escalation"), new_psu(esc, "escalation")
    r = call(
        esc,
        "escalation",
        "retrieveBalance",
        bearer=esc_login(esc, a),
        path={"customerId": b["customer_id"], "productId": b["products"][0]["id"]},
    )
    codes = [m["code"] for m in r.json()["result"]["messages"]]
    assert codes == ["SUPPORT_REFERENCE", "PSD2_SCA_REQUIRED"]  # ESC-8 broken: past the ownership check


def test_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dialect"):
        create_app(dialect="nope")


def test_serve_offers_the_dialect() -> None:
    from click.testing import CliRunner

    from harness.cli import main

    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0 and "--dialect" in result.output and "alt" in result.output


def test_serve_dialect_alt_over_a_socket() -> None:
    """`psd2-harness serve --dialect alt`: announces alt's sandbox plane and serves alt's wiring."""
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "--dialect", "alt", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"on (http://127\.0\.0\.1:\d+)", first)
        assert match and "alt" in first, first
        lines = [proc.stdout.readline() for _ in alt.FAMILIES]
        assert all(f"{match.group(1)}/{fam}/sandbox" in line for fam, line in zip(alt.FAMILIES, lines, strict=True)), (
            lines
        )
        with httpx.Client(base_url=match.group(1), timeout=10) as c:
            psu = new_psu(c, "stepup")
            assert psu["api_key"] and c.post("/stepup/__sandbox/psus").status_code == 404
    finally:
        proc.terminate()
        proc.wait(10)
