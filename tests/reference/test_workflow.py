"""The workflow family of the reference bank (WFL-1..WFL-8), driven over HTTP only."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from harness.reference.defects import REGISTRY, all_defects
from harness.regime import load_regime

R = load_regime("eu-2023")
JWT_LIFE = R["sca_jwt_lifetime"]
RENEWAL = R["sca_renewal"]
IDLE = R["session_idle"]
MAX_FAILS = R["max_failed_attempts"]
RECENT_DAYS = R["recent_window"] // 86_400
SECRET = "482915"


class User:
    """One sandbox PSU of the workflow family and a logged-in bearer token."""

    def __init__(self, client: httpx.Client) -> None:
        self.c = client
        r = client.post("/workflow/__sandbox/psus")
        assert r.status_code == 201
        self.psu: dict[str, Any] = r.json()
        self.base = f"/workflow/platforms/{self.psu['platformUUID']}/users/{self.psu['userUUID']}"
        self.login()

    def login(self) -> None:
        r = self.c.post(
            f"/workflow/platforms/{self.psu['platformUUID']}/users/login",
            json={"email": self.psu["email"], "password": self.psu["password"]},
        )
        assert r.status_code == 200, r.text
        self.token = r.json()["token"]

    def h(self, jwt: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if jwt:
            headers["X-SCA-Token"] = jwt
        return headers

    def get(self, path: str, jwt: str | None = None, **params: str) -> httpx.Response:
        return self.c.get(self.base + path, headers=self.h(jwt), params=params)

    def post(self, path: str, body: Any = None, jwt: str | None = None) -> httpx.Response:
        return self.c.post(self.base + path, headers=self.h(jwt), json=body)

    def patch(self, path: str, body: Any, jwt: str | None = None) -> httpx.Response:
        return self.c.patch(self.base + path, headers=self.h(jwt), json=body)

    def advance(self, seconds: int, relogin: bool = True) -> None:
        r = self.c.post(f"/workflow/__sandbox/psus/{self.psu['psuId']}/clock/advance", json={"seconds": seconds})
        assert r.status_code == 200
        if relogin:
            self.login()

    def today(self) -> date:
        now = self.c.get(f"/workflow/__sandbox/psus/{self.psu['psuId']}/clock").json()["now"]
        return date.fromisoformat(now[:10])

    def status(self) -> dict[str, Any]:
        r = self.get("/strong_auth/status")
        assert r.status_code == 200
        return r.json()

    def generate(self, source: str, method: str) -> httpx.Response:
        return self.post("/strong_auth/otp/generate", {"source": source, "method": method})

    def last_code(self, method: str) -> str:
        to = self.psu["email"] if method == "by_email" else self.psu["phone"]
        return self.c.get("/workflow/__sandbox/messages", params={"to": to}).json()["messages"][-1]["code"]

    def verify(self, source: str, method: str, code: str) -> httpx.Response:
        return self.post("/strong_auth/otp/verify", {"source": source, "method": method, "code": code})

    def otp(self, source: str, method: str) -> httpx.Response:
        r = self.generate(source, method)
        assert r.status_code == 200, r.text
        return self.verify(source, method, self.last_code(method))

    def validate_email_phone(self) -> None:
        assert self.otp("email", "by_email").status_code == 200
        assert self.otp("phone_number", "by_email").status_code == 200
        assert self.otp("phone_number", "by_sms").status_code == 200

    def complete(self) -> User:
        self.validate_email_phone()
        assert self.post("/strong_auth/secret_code/setup", {"secret_code": SECRET}).status_code == 200
        assert self.otp("secret_code", "by_email").status_code == 200
        assert self.otp("secret_code", "by_sms").status_code == 200
        assert self.status()["workflow_completed"] is True
        return self

    def jwt(self, operation: dict[str, Any] | None = None, code: str = SECRET) -> str:
        body: dict[str, Any] = {"secret_code": code}
        if operation is not None:
            body["operation"] = operation
        r = self.post("/strong_auth/secret_code/verify", body)
        assert r.status_code == 200, r.text
        return r.json()["jwt"]

    def balance(self, jwt: str | None = None) -> httpx.Response:
        return self.get("/balance", jwt)

    def old_transactions(self, jwt: str | None = None) -> httpx.Response:
        return self.get("/transactions", jwt, dateFrom=(self.today() - timedelta(days=RECENT_DAYS + 1)).isoformat())


def claims(jwt: str) -> dict[str, Any]:
    body = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def is_error(r: httpx.Response, status: int, code: str) -> bool:
    return (
        r.status_code == status
        and r.json() == {"code": code, "message": r.json().get("message")}
        and isinstance(r.json()["message"], str)
    )


def transfer_op(u: User, amount: str = "10.00", payee: int = 0) -> dict[str, Any]:
    return {"type": "transfer", "amount": amount, "iban": u.psu["payeeIbans"][payee]}


# -- SBX-1 and login -------------------------------------------------------------------------
def test_create_psu_and_logins(client: httpx.Client) -> None:
    u = User(client)
    p = u.psu
    assert p["psuId"] == p["userUUID"]
    assert {"platformUUID", "email", "password", "phone", "agent", "account", "payeeIbans"} <= p.keys()
    assert len(set(p["payeeIbans"])) == 2
    s = u.status()
    assert not any(s[k]["validated"] for k in ("email", "phone_number", "secret_code"))
    assert s["secret_code"]["set"] is False and s["workflow_completed"] is False
    # Art. 4(3)(a): same answer for an unknown email and a wrong password
    login = f"/workflow/platforms/{p['platformUUID']}/users/login"
    wrong = client.post(login, json={"email": p["email"], "password": "nope"})
    unknown = client.post(login, json={"email": "nobody@workflow.example", "password": p["password"]})
    assert wrong.status_code == unknown.status_code == 401 and wrong.json() == unknown.json()
    # the agent reaches its platform's user, not another platform's
    agent = client.post("/workflow/agents/login", json=p["agent"])
    assert agent.status_code == 200
    ah = {"Authorization": f"Bearer {agent.json()['token']}"}
    assert client.get(u.base + "/strong_auth/status", headers=ah).status_code == 200
    other = User(client)
    assert is_error(client.get(other.base + "/strong_auth/status", headers=ah), 403, "FORBIDDEN")
    assert is_error(client.get(other.base + "/strong_auth/status", headers=u.h()), 403, "FORBIDDEN")
    assert is_error(client.get(u.base + "/strong_auth/status"), 401, "UNAUTHORIZED")
    bad_agent = client.post("/workflow/agents/login", json={"username": p["agent"]["username"], "password": "x"})
    assert bad_agent.status_code == 401


def test_bearer_token_idle_timeout(client: httpx.Client) -> None:
    u = User(client)
    u.advance(IDLE - 1, relogin=False)
    assert u.get("/strong_auth/status").status_code == 200  # restarts the count
    u.advance(IDLE - 1, relogin=False)
    assert u.get("/strong_auth/status").status_code == 200
    u.advance(IDLE + 1, relogin=False)
    assert is_error(u.get("/strong_auth/status"), 401, "UNAUTHORIZED")


# -- WFL-1 -------------------------------------------------------------------------------------
def test_wfl1_completed_only_with_all_three_sources(client: httpx.Client) -> None:
    u = User(client)
    u.validate_email_phone()
    s = u.status()
    assert s["email"]["validated"] and s["phone_number"]["validated"]
    assert s["workflow_completed"] is False
    assert u.post("/strong_auth/secret_code/setup", {"secret_code": SECRET}).status_code == 200
    assert u.otp("secret_code", "by_email").status_code == 200
    assert u.status()["workflow_completed"] is False
    assert u.otp("secret_code", "by_sms").json()["workflow_completed"] is True


# -- WFL-2 -------------------------------------------------------------------------------------
def test_wfl2_phone_before_email_refused(client: httpx.Client) -> None:
    u = User(client)
    assert is_error(u.generate("phone_number", "by_email"), 409, "WORKFLOW_ORDER")
    assert client.get("/workflow/__sandbox/messages", params={"to": u.psu["email"]}).json()["messages"] == []
    assert is_error(u.verify("phone_number", "by_email", "123456"), 409, "WORKFLOW_ORDER")
    assert is_error(u.post("/strong_auth/secret_code/setup", {"secret_code": SECRET}), 409, "WORKFLOW_ORDER")
    assert not u.status()["phone_number"]["validated"]


def test_wfl2_secret_code_before_phone_refused(client: httpx.Client) -> None:
    u = User(client)
    assert u.otp("email", "by_email").status_code == 200
    assert is_error(u.post("/strong_auth/secret_code/setup", {"secret_code": SECRET}), 409, "WORKFLOW_ORDER")
    assert is_error(u.generate("secret_code", "by_email"), 409, "WORKFLOW_ORDER")
    assert u.status()["secret_code"]["set"] is False


def test_wfl2_order_applies_again_after_reset(client: httpx.Client) -> None:
    u = User(client)
    u.validate_email_phone()
    u.post("/strong_auth/reset/email")
    u.post("/strong_auth/reset/phone_number")
    assert is_error(u.generate("phone_number", "by_email"), 409, "WORKFLOW_ORDER")
    # an OTP generated in order no longer verifies once its predecessor was reset
    u.otp("email", "by_email")
    assert u.generate("phone_number", "by_email").status_code == 200
    code = u.last_code("by_email")
    u.post("/strong_auth/reset/email")
    assert is_error(u.verify("phone_number", "by_email", code), 409, "WORKFLOW_ORDER")
    assert u.status()["phone_number"]["verified_methods"] == []


# -- WFL-3 -------------------------------------------------------------------------------------
def test_wfl3_method_requirements(client: httpx.Client) -> None:
    u = User(client)
    assert is_error(u.generate("email", "by_sms"), 400, "METHOD_NOT_REQUIRED")
    assert u.otp("email", "by_email").json()["email"]["validated"] is True
    s = u.otp("phone_number", "by_sms").json()
    assert s["phone_number"]["validated"] is False and s["phone_number"]["verified_methods"] == ["by_sms"]
    assert u.otp("phone_number", "by_email").json()["phone_number"]["validated"] is True
    assert is_error(u.generate("secret_code", "by_sms"), 409, "SECRET_CODE_NOT_SET")
    u.post("/strong_auth/secret_code/setup", {"secret_code": SECRET})
    assert u.otp("secret_code", "by_sms").json()["secret_code"]["validated"] is False
    assert u.otp("secret_code", "by_email").json()["secret_code"]["validated"] is True
    msgs = client.get("/workflow/__sandbox/messages", params={"to": u.psu["phone"]}).json()["messages"]
    assert {m["channel"] for m in msgs} == {"sms"} and len(msgs) == 2


# -- WFL-4 -------------------------------------------------------------------------------------
def test_wfl4_reset_one_source_only(client: httpx.Client) -> None:
    u = User(client).complete()
    s = u.post("/strong_auth/reset/phone_number").json()
    assert s["email"]["validated"] and s["secret_code"]["validated"] and not s["phone_number"]["validated"]
    assert not s["workflow_completed"]
    u.otp("phone_number", "by_email")
    assert u.otp("phone_number", "by_sms").json()["workflow_completed"] is True
    s = u.post("/strong_auth/reset/secret_code").json()
    assert s["secret_code"] == {
        "validated": False,
        "set": False,
        "locked": False,
        "required_methods": ["by_email", "by_sms"],
        "verified_methods": [],
    }
    assert s["email"]["validated"] and s["phone_number"]["validated"]
    assert is_error(u.post("/strong_auth/reset/password"), 400, "INVALID_REQUEST")


def test_wfl4_email_reset_with_phone_needs_both_methods(client: httpx.Client) -> None:
    u = User(client)
    u.validate_email_phone()
    s = u.post("/strong_auth/reset/email").json()
    assert s["email"]["required_methods"] == ["by_email", "by_sms"] and s["phone_number"]["validated"]
    assert u.otp("email", "by_email").json()["email"]["validated"] is False
    assert u.otp("email", "by_sms").json()["email"]["validated"] is True


# -- WFL-5 -------------------------------------------------------------------------------------
def test_wfl5_jwt_lifetime_and_wrong_code(client: httpx.Client) -> None:
    u = User(client)
    assert is_error(u.post("/strong_auth/secret_code/verify", {"secret_code": SECRET}), 409, "WORKFLOW_INCOMPLETE")
    u.complete()
    c = claims(u.jwt())
    assert c["exp"] - c["iat"] == JWT_LIFE and c["sub"] == u.psu["userUUID"] and "operation" not in c
    now = client.get(f"/workflow/__sandbox/psus/{u.psu['psuId']}/clock").json()["now"]
    assert abs(c["iat"] - datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp()) <= 1
    wrong = u.post("/strong_auth/secret_code/verify", {"secret_code": "000000"})
    assert is_error(wrong, 400, "INVALID_SECRET_CODE") and "jwt" not in wrong.json()
    assert claims(u.jwt())["jti"] != c["jti"]


def test_wfl5_lock_after_five_failures(client: httpx.Client) -> None:
    u = User(client).complete()
    for _ in range(MAX_FAILS - 1):
        assert u.post("/strong_auth/secret_code/verify", {"secret_code": "000000"}).status_code == 400
    u.jwt()  # a success resets the count
    for _ in range(MAX_FAILS):
        wrong = u.post("/strong_auth/secret_code/verify", {"secret_code": "000000"})
        assert is_error(wrong, 400, "INVALID_SECRET_CODE")
    assert is_error(u.post("/strong_auth/secret_code/verify", {"secret_code": SECRET}), 423, "LOCKED")
    u.advance(RENEWAL)  # the lock does not wear off
    assert is_error(u.post("/strong_auth/secret_code/verify", {"secret_code": SECRET}), 423, "LOCKED")
    assert u.status()["secret_code"]["locked"] is True
    # lifted by resetting the secret code and validating a new one
    u.post("/strong_auth/reset/secret_code")
    u.post("/strong_auth/secret_code/setup", {"secret_code": "1234"})
    u.otp("secret_code", "by_email")
    u.otp("secret_code", "by_sms")
    assert u.jwt(code="1234")


def test_wfl5_otp_single_use_wrong_and_expiry(client: httpx.Client) -> None:
    u = User(client)
    u.otp("email", "by_email")
    u.generate("phone_number", "by_email")
    code = u.last_code("by_email")
    wrong = "000000" if code != "000000" else "111111"
    assert is_error(u.verify("phone_number", "by_email", wrong), 400, "INVALID_OTP")
    assert u.verify("phone_number", "by_email", code).status_code == 200
    assert is_error(u.verify("phone_number", "by_email", code), 400, "INVALID_OTP")
    # an OTP is valid for session_idle seconds
    u.generate("phone_number", "by_sms")
    u.advance(IDLE - 1)
    assert u.verify("phone_number", "by_sms", u.last_code("by_sms")).status_code == 200
    u.post("/strong_auth/reset/phone_number")
    u.generate("phone_number", "by_sms")
    u.advance(IDLE + 1)
    assert is_error(u.verify("phone_number", "by_sms", u.last_code("by_sms")), 400, "INVALID_OTP")


def test_wfl5_otp_void_after_five_wrong(client: httpx.Client) -> None:
    u = User(client)
    u.generate("email", "by_email")
    code = u.last_code("by_email")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(MAX_FAILS):
        assert u.verify("email", "by_email", wrong).status_code == 400
    assert is_error(u.verify("email", "by_email", code), 400, "INVALID_OTP")


# -- WFL-6 -------------------------------------------------------------------------------------
def test_wfl6_operations_need_their_operation_jwt(client: httpx.Client) -> None:
    u = User(client).complete()
    ben = {"name": "Alice", "iban": u.psu["payeeIbans"][0]}
    session = u.jwt()
    pd_jwt = u.jwt({"type": "personal_data.update"})
    for jwt in (None, "not-a-jwt", session, pd_jwt):
        assert is_error(u.post("/beneficiaries", ben, jwt), 403, "SCA_REQUIRED")
    assert u.get("/beneficiaries").json() == {"beneficiaries": []}
    before = u.get("/personal_data").json()
    assert is_error(u.patch("/personal_data", {"address": "x"}, session), 403, "SCA_REQUIRED")
    assert is_error(u.post("/transfers", {"amount": "10.00", "iban": ben["iban"]}, pd_jwt), 403, "SCA_REQUIRED")
    assert u.get("/personal_data").json() == before
    assert u.balance(session).json()["balance"]["amount"] == "10000.00"
    ben_jwt = u.jwt({"type": "beneficiary.add"})
    assert u.post("/beneficiaries", ben, ben_jwt).status_code == 201
    assert is_error(
        u.post("/beneficiaries", {"name": "Bob", "iban": u.psu["payeeIbans"][1]}, ben_jwt), 403, "SCA_REQUIRED"
    )
    assert [b["name"] for b in u.get("/beneficiaries").json()["beneficiaries"]] == ["Alice"]
    assert u.patch("/personal_data", {"address": "2 rue Neuve"}, pd_jwt).json()["address"] == "2 rue Neuve"
    assert is_error(u.patch("/personal_data", {"address": "3 rue Neuve"}, pd_jwt), 403, "SCA_REQUIRED")
    assert is_error(
        u.patch("/personal_data", {"email": "a@b.c"}, u.jwt({"type": "personal_data.update"})), 400, "INVALID_REQUEST"
    )


def test_wfl6_operation_jwt_expiry(client: httpx.Client) -> None:
    u = User(client).complete()
    ben = {"name": "Alice", "iban": u.psu["payeeIbans"][0]}
    jwt = u.jwt({"type": "beneficiary.add"})
    u.advance(JWT_LIFE - 1)
    assert u.post("/beneficiaries", ben, jwt).status_code == 201
    jwt = u.jwt({"type": "beneficiary.add"})
    u.advance(JWT_LIFE + 1)
    assert is_error(u.post("/beneficiaries", ben, jwt), 403, "SCA_REQUIRED")
    assert len(u.get("/beneficiaries").json()["beneficiaries"]) == 1


def test_wfl6_jwt_of_another_user_refused(client: httpx.Client) -> None:
    a, b = User(client).complete(), User(client).complete()
    jwt = a.jwt({"type": "beneficiary.add"})
    assert is_error(b.post("/beneficiaries", {"name": "X", "iban": b.psu["payeeIbans"][0]}, jwt), 403, "SCA_REQUIRED")
    forged = jwt.rsplit(".", 1)[0] + ".AAAA"
    assert is_error(
        a.post("/beneficiaries", {"name": "X", "iban": a.psu["payeeIbans"][0]}, forged), 403, "SCA_REQUIRED"
    )


# -- WFL-7 -------------------------------------------------------------------------------------
def test_wfl7_no_sca_yet_requires_sca(client: httpx.Client) -> None:
    u = User(client)
    assert is_error(u.balance(), 403, "SCA_REQUIRED")
    assert is_error(u.get("/transactions"), 403, "SCA_REQUIRED")


def test_wfl7_recent_window_and_older_transactions(client: httpx.Client) -> None:
    u = User(client).complete()
    session = u.jwt()
    today = u.today()
    assert u.balance().status_code == 200
    r = u.get("/transactions")
    assert r.status_code == 200 and r.json()["dateFrom"] == (today - timedelta(days=RECENT_DAYS)).isoformat()
    assert u.get("/transactions", dateFrom=(today - timedelta(days=RECENT_DAYS)).isoformat()).status_code == 200
    assert is_error(u.old_transactions(), 403, "SCA_REQUIRED")
    old = u.old_transactions(session)
    assert old.status_code == 200
    assert old.json()["dateFrom"] == (today - timedelta(days=RECENT_DAYS + 1)).isoformat()
    assert u.old_transactions(session).status_code == 200  # a session JWT is reused while valid
    full = u.get("/transactions", session, dateFrom=(today - timedelta(days=400)).isoformat()).json()
    assert full["transactions"][0]["bookingDate"] == (today - timedelta(days=400)).isoformat()
    u.advance(JWT_LIFE + 1)
    assert is_error(u.old_transactions(session), 403, "SCA_REQUIRED")
    assert is_error(u.get("/transactions", dateFrom="2020-13-01"), 400, "INVALID_REQUEST")


def test_wfl7_renewal_after_180_days(client: httpx.Client) -> None:
    u = User(client).complete()
    u.jwt()
    u.advance(RENEWAL - 1)
    assert u.balance().status_code == 200
    assert u.get("/transactions").status_code == 200
    u.advance(2)
    assert is_error(u.balance(), 403, "SCA_REQUIRED")
    assert is_error(u.get("/transactions"), 403, "SCA_REQUIRED")
    session = u.jwt()
    assert u.balance(session).status_code == 200
    assert u.balance().status_code == 200  # the new SCA counts for bearer-only access again


def test_wfl7_eu2019_renews_after_90_days(bank: Callable[..., httpx.Client]) -> None:
    u = User(bank(regime="eu-2019")).complete()
    u.jwt()
    renewal = load_regime("eu-2019")["sca_renewal"]
    u.advance(renewal - 1)
    assert u.balance().status_code == 200
    u.advance(2)
    assert is_error(u.balance(), 403, "SCA_REQUIRED")


# -- WFL-8 -------------------------------------------------------------------------------------
def test_wfl8_transfer_bound_to_amount_and_iban(client: httpx.Client) -> None:
    u = User(client).complete()
    payee = u.psu["payeeIbans"][0]
    jwt = u.jwt(transfer_op(u, "10.00"))
    assert claims(jwt)["operation"] == {"type": "transfer", "amount": "10.00", "currency": "EUR", "iban": payee}
    assert is_error(u.post("/transfers", {"amount": "11.00", "iban": payee}, jwt), 403, "SCA_REQUIRED")
    # the changed request voided the code (Art. 5(1)(d))
    assert is_error(u.post("/transfers", {"amount": "10.00", "iban": payee}, jwt), 403, "SCA_REQUIRED")
    jwt = u.jwt(transfer_op(u, "10.00"))
    assert is_error(u.post("/transfers", {"amount": "10.00", "iban": u.psu["payeeIbans"][1]}, jwt), 403, "SCA_REQUIRED")
    session = u.jwt()
    assert u.balance(session).json()["balance"]["amount"] == "10000.00"
    jwt = u.jwt(transfer_op(u, "10"))
    r = u.post("/transfers", {"amount": 10, "iban": payee.lower()}, jwt)
    assert r.status_code == 201 and r.json()["balance"]["amount"] == "9990.00"
    assert u.balance().json()["balance"]["amount"] == "9990.00"
    assert is_error(u.post("/transfers", {"amount": "10.00", "iban": payee}, jwt), 403, "SCA_REQUIRED")
    assert u.get("/transactions").json()["transactions"][-1]["amount"] == "-10.00"
    big = u.jwt(transfer_op(u, "20000.00"))
    assert is_error(u.post("/transfers", {"amount": "20000.00", "iban": payee}, big), 409, "INSUFFICIENT_FUNDS")
    assert is_error(u.post("/transfers", {"amount": "-1", "iban": payee}, big), 400, "INVALID_REQUEST")


# -- defects ---------------------------------------------------------------------------------
def _probe_completed_early(c: httpx.Client) -> bool:
    u = User(c)
    u.validate_email_phone()
    return u.status()["workflow_completed"] is True


def _probe_no_order(c: httpx.Client) -> bool:
    return User(c).generate("phone_number", "by_email").status_code != 409


def _probe_order_after_reset(c: httpx.Client) -> bool:
    u = User(c)
    u.validate_email_phone()
    u.post("/strong_auth/reset/email")
    u.post("/strong_auth/reset/phone_number")
    return u.generate("phone_number", "by_email").status_code != 409


def _probe_phone_sms_only(c: httpx.Client) -> bool:
    u = User(c)
    u.otp("email", "by_email")
    return u.otp("phone_number", "by_sms").json()["phone_number"]["validated"]


def _probe_secret_sms_only(c: httpx.Client) -> bool:
    u = User(c)
    u.validate_email_phone()
    u.post("/strong_auth/secret_code/setup", {"secret_code": SECRET})
    return u.otp("secret_code", "by_sms").json()["secret_code"]["validated"]


def _probe_reset_clears_all(c: httpx.Client) -> bool:
    u = User(c).complete()
    return not u.post("/strong_auth/reset/phone_number").json()["email"]["validated"]


def _probe_email_reset_email_only(c: httpx.Client) -> bool:
    u = User(c)
    u.validate_email_phone()
    u.post("/strong_auth/reset/email")
    return u.otp("email", "by_email").json()["email"]["validated"]


def _probe_lockout(c: httpx.Client) -> bool:
    u = User(c).complete()
    for _ in range(MAX_FAILS):
        u.post("/strong_auth/secret_code/verify", {"secret_code": "000000"})
    return u.post("/strong_auth/secret_code/verify", {"secret_code": SECRET}).status_code != 423


def _probe_otp_reusable(c: httpx.Client) -> bool:
    u = User(c)
    u.otp("email", "by_email")
    u.otp("phone_number", "by_email")
    return u.verify("phone_number", "by_email", u.last_code("by_email")).status_code == 200


def _probe_jwt_long_exp(c: httpx.Client) -> bool:
    cl = claims(User(c).complete().jwt())
    return cl["exp"] - cl["iat"] != JWT_LIFE


def _probe_op_reusable(c: httpx.Client) -> bool:
    u = User(c).complete()
    jwt = u.jwt({"type": "beneficiary.add"})
    u.post("/beneficiaries", {"name": "A", "iban": u.psu["payeeIbans"][0]}, jwt)
    return u.post("/beneficiaries", {"name": "B", "iban": u.psu["payeeIbans"][1]}, jwt).status_code == 201


def _probe_op_never_expires(c: httpx.Client) -> bool:
    u = User(c).complete()
    jwt = u.jwt({"type": "beneficiary.add"})
    u.advance(JWT_LIFE + 1)
    return u.post("/beneficiaries", {"name": "A", "iban": u.psu["payeeIbans"][0]}, jwt).status_code == 201


def _probe_op_type_unchecked(c: httpx.Client) -> bool:
    u = User(c).complete()
    jwt = u.jwt({"type": "personal_data.update"})
    return u.post("/beneficiaries", {"name": "A", "iban": u.psu["payeeIbans"][0]}, jwt).status_code == 201


def _probe_session_for_ops(c: httpx.Client) -> bool:
    u = User(c).complete()
    return u.post("/beneficiaries", {"name": "A", "iban": u.psu["payeeIbans"][0]}, u.jwt()).status_code == 201


def _probe_whole_history(c: httpx.Client) -> bool:
    u = User(c).complete()
    u.jwt()
    return u.old_transactions().status_code == 200


def _probe_no_renewal(c: httpx.Client) -> bool:
    u = User(c).complete()
    u.jwt()
    u.advance(RENEWAL + 1)
    return u.balance().status_code == 200


def _probe_renewal_early(c: httpx.Client) -> bool:
    u = User(c).complete()
    u.jwt()
    u.advance(RENEWAL - 1)
    return u.balance().status_code == 403


def _probe_session_ignored(c: httpx.Client) -> bool:
    u = User(c).complete()
    return u.old_transactions(u.jwt()).status_code == 403


def _probe_old_transactions_empty(c: httpx.Client) -> bool:
    u = User(c).complete()
    old = {
        "dateFrom": (u.today() - timedelta(days=150)).isoformat(),
        "dateTo": (u.today() - timedelta(days=RECENT_DAYS + 1)).isoformat(),
    }
    r = u.get("/transactions", u.jwt(), **old)
    return r.status_code == 200 and r.json()["transactions"] == []


def _probe_amount_unbound(c: httpx.Client) -> bool:
    u = User(c).complete()
    jwt = u.jwt(transfer_op(u, "10.00"))
    return u.post("/transfers", {"amount": "11.00", "iban": u.psu["payeeIbans"][0]}, jwt).status_code == 201


def _probe_iban_unbound(c: httpx.Client) -> bool:
    u = User(c).complete()
    jwt = u.jwt(transfer_op(u, "10.00"))
    return u.post("/transfers", {"amount": "10.00", "iban": u.psu["payeeIbans"][1]}, jwt).status_code == 201


PROBES: dict[str, Callable[[httpx.Client], bool]] = {
    "wfl-completed-without-secret-code": _probe_completed_early,
    "wfl-no-order": _probe_no_order,
    "wfl-order-skipped-after-reset": _probe_order_after_reset,
    "wfl-phone-sms-only": _probe_phone_sms_only,
    "wfl-secret-code-sms-only": _probe_secret_sms_only,
    "wfl-reset-clears-all": _probe_reset_clears_all,
    "wfl-email-reset-email-only": _probe_email_reset_email_only,
    "wfl-no-lockout": _probe_lockout,
    "wfl-lock-after-six": _probe_lockout,
    "wfl-otp-reusable": _probe_otp_reusable,
    "wfl-jwt-long-exp": _probe_jwt_long_exp,
    "wfl-operation-jwt-reusable": _probe_op_reusable,
    "wfl-operation-jwt-never-expires": _probe_op_never_expires,
    "wfl-operation-type-unchecked": _probe_op_type_unchecked,
    "wfl-session-jwt-authorizes-operations": _probe_session_for_ops,
    "wfl-whole-history-without-sca": _probe_whole_history,
    "wfl-no-sca-renewal": _probe_no_renewal,
    "wfl-renewal-one-day-early": _probe_renewal_early,
    "wfl-session-jwt-ignored": _probe_session_ignored,
    "wfl-old-transactions-empty": _probe_old_transactions_empty,
    "wfl-transfer-amount-unbound": _probe_amount_unbound,
    "wfl-transfer-iban-unbound": _probe_iban_unbound,
}


def test_every_workflow_defect_probed_and_every_rule_covered() -> None:
    all_defects()
    mine = {d.name: d.rule for d in REGISTRY.values() if d.family == "workflow"}
    assert set(mine) == set(PROBES)
    assert all(name.startswith("wfl-") for name in mine)
    assert set(mine.values()) == {f"WFL-{i}" for i in range(1, 9)}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_defect_is_observable(bank: Callable[..., httpx.Client], name: str) -> None:
    probe = PROBES[name]
    assert probe(bank()) is False, "the compliant bank must not show the violation"
    assert probe(bank(name)) is True, f"{name} ({REGISTRY[name].rule}) must be observable"
