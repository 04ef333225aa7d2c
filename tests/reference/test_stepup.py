"""The stepup family of the reference bank over HTTP: every rule STP-1..STP-10, both sides,
and every named defect shown to change the observable behaviour of its rule."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest

from harness.reference.defects import REGISTRY, all_defects
from harness.regime import load_regime

BASE = "/stepup"
LIMITS = load_regime("eu-2023")
IDLE = LIMITS["session_idle"]
RESEND = LIMITS["otp_resend_interval"]
MAX_FAILS = LIMITS["max_failed_attempts"]


class Psu:
    """One sandbox PSU driven over HTTP."""

    def __init__(self, client: httpx.Client) -> None:
        self.c = client
        response = client.post(f"{BASE}/__sandbox/psus")
        assert response.status_code == 201
        self.data = response.json()
        self.id = self.data["psuId"]
        self.account = self.data["accounts"][0]["id"]
        self.token: str | None = None

    def headers(self, token: str | None = None, api_key: str | None = None) -> dict[str, str]:
        h = {"api-key": api_key if api_key is not None else self.data["apiKey"]}
        token = token if token is not None else self.token
        if token:
            h["Authorization"] = f"Bearer {token}"
        return h

    def login(self) -> str:
        r = self.c.post(
            f"{BASE}/login_with_password",
            json={"email": self.data["email"], "password": self.data["password"]},
            headers={"api-key": self.data["apiKey"]},
        )
        assert r.status_code == 200, r.text
        self.token = r.json()["token"]
        return self.token

    def logout(self) -> httpx.Response:
        return self.c.post(f"{BASE}/logout", headers=self.headers())

    def advance(self, seconds: int) -> None:
        r = self.c.post(f"{BASE}/__sandbox/psus/{self.id}/clock/advance", json={"seconds": seconds})
        assert r.status_code == 200

    def challenge(self, channel: str = "SMS") -> httpx.Response:
        return self.c.post(f"{BASE}/stepup/challenges/otp/{channel}", headers=self.headers())

    def verify(self, code: str, channel: str = "SMS") -> httpx.Response:
        return self.c.post(
            f"{BASE}/stepup/challenges/otp/{channel}/verify", json={"verificationCode": code}, headers=self.headers()
        )

    def codes(self) -> list[str]:
        r = self.c.get(f"{BASE}/__sandbox/messages", params={"to": self.data["phone"]})
        return [m["code"] for m in r.json()["messages"]]

    def last_code(self) -> str:
        return self.codes()[-1]

    def wrong_code(self) -> str:
        return f"{(int(self.last_code()) + 1) % 1_000_000:06d}"

    def step_up(self) -> None:
        assert self.challenge().status_code == 204
        assert self.verify(self.last_code()).status_code == 204

    def statement(self, account: str | None = None) -> httpx.Response:
        return self.c.get(f"{BASE}/managed_accounts/{account or self.account}/statement", headers=self.headers())

    def accounts(self) -> httpx.Response:
        return self.c.get(f"{BASE}/managed_accounts", headers=self.headers())

    def transfer(self, amount: str = "12.50") -> str:
        r = self.c.post(
            f"{BASE}/outgoing_wire_transfers",
            json={"sourceAccountId": self.account, "iban": self.data["payeeIban"], "amount": amount},
            headers=self.headers(),
        )
        assert r.status_code == 201, r.text
        assert r.json()["state"] == "PENDING_CHALLENGE"
        return r.json()["id"]

    def transfer_challenge(self, transfer_id: str) -> httpx.Response:
        return self.c.post(f"{BASE}/outgoing_wire_transfers/{transfer_id}/challenges/otp/SMS", headers=self.headers())

    def transfer_verify(self, transfer_id: str, code: str) -> httpx.Response:
        return self.c.post(
            f"{BASE}/outgoing_wire_transfers/{transfer_id}/challenges/otp/SMS/verify",
            json={"verificationCode": code},
            headers=self.headers(),
        )


def fresh(client: httpx.Client) -> Psu:
    psu = Psu(client)
    psu.login()
    return psu


def error_code(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"errorCode", "message"}
    return body["errorCode"]


# -- SBX-1 ---------------------------------------------------------------------------------
def test_create_psu_answers_everything_a_case_needs(client: httpx.Client) -> None:
    data = Psu(client).data
    assert {"psuId", "apiKey", "email", "password", "phone", "channels", "accounts", "unenrolledChannel"} <= set(data)
    assert data["channels"] == ["SMS"] and data["unenrolledChannel"] == "AUTHY"
    transactions = data["accounts"][0]["transactions"]
    assert transactions and transactions[0]["bookingDate"] < transactions[-1]["bookingDate"]
    other = Psu(client).data
    assert other["phone"] != data["phone"] and other["apiKey"] != data["apiKey"]


# -- STP-1 ---------------------------------------------------------------------------------
def test_stp1_api_key_and_token_required(client: httpx.Client) -> None:
    psu = fresh(client)
    creds = {"email": psu.data["email"], "password": psu.data["password"]}
    r = client.post(f"{BASE}/login_with_password", json=creds)
    assert r.status_code == 401 and error_code(r) == "API_KEY_INVALID"
    r = client.post(f"{BASE}/login_with_password", json=creds, headers={"api-key": "nope"})
    assert r.status_code == 401
    assert client.get(f"{BASE}/managed_accounts", headers={"Authorization": f"Bearer {psu.token}"}).status_code == 401
    assert client.get(f"{BASE}/managed_accounts", headers=psu.headers(token="")).status_code == 401
    r = client.get(f"{BASE}/managed_accounts", headers=psu.headers(token="forged"))
    assert r.status_code == 401 and error_code(r) == "TOKEN_INVALID"
    other = Psu(client)
    assert client.get(f"{BASE}/managed_accounts", headers=psu.headers(api_key=other.data["apiKey"])).status_code == 401
    assert psu.accounts().status_code == 200
    assert psu.logout().status_code == 204
    assert psu.accounts().status_code == 401
    assert psu.challenge().status_code == 401


# -- STP-2 ---------------------------------------------------------------------------------
def test_stp2_resend_throttle(client: httpx.Client) -> None:
    psu = fresh(client)
    assert psu.challenge().status_code == 204
    first = psu.last_code()
    psu.advance(RESEND - 1)
    r = psu.challenge()
    assert r.status_code == 409 and error_code(r) == "RETRY_IN_15SEC"
    assert len(psu.codes()) == 1
    psu.advance(2)
    assert psu.challenge().status_code == 204
    assert len(psu.codes()) == 2
    if first != psu.last_code():
        assert psu.verify(first).status_code == 409
    assert psu.verify(psu.last_code()).status_code == 204


def test_stp2_throttled_request_does_not_count(client: httpx.Client) -> None:
    psu = fresh(client)
    assert psu.challenge().status_code == 204
    assert psu.challenge().status_code == 409
    psu.advance(RESEND + 1)
    assert psu.challenge().status_code == 204


# -- STP-3 ---------------------------------------------------------------------------------
def test_stp3_one_retry_per_session(client: httpx.Client) -> None:
    psu = fresh(client)
    assert psu.challenge().status_code == 204
    psu.advance(RESEND + 1)
    assert psu.challenge().status_code == 204
    psu.advance(RESEND + 1)
    r = psu.challenge()
    assert r.status_code == 400 and error_code(r) == "INVALID_REQUEST"
    assert psu.verify(psu.last_code()).status_code == 204  # the refused request voided nothing
    assert psu.logout().status_code == 204
    psu.login()
    assert psu.challenge().status_code == 204


def test_stp3_wire_transfer_challenges_count_apart(client: httpx.Client) -> None:
    psu = fresh(client)
    assert psu.challenge().status_code == 204
    transfer = psu.transfer()
    assert psu.transfer_challenge(transfer).status_code == 204
    psu.advance(RESEND + 1)
    assert psu.transfer_challenge(transfer).status_code == 204
    assert psu.challenge().status_code == 204
    psu.advance(RESEND + 1)
    assert psu.transfer_challenge(transfer).status_code == 400


# -- STP-4 ---------------------------------------------------------------------------------
def test_stp4_only_newest_otp_verifies(client: httpx.Client) -> None:
    psu = fresh(client)
    psu.challenge()
    psu.advance(RESEND + 1)
    psu.challenge()
    first, second = psu.codes()
    if first == second:  # one in a million
        pytest.skip("both OTPs equal")
    r = psu.verify(first)
    assert r.status_code == 409 and error_code(r) == "VERIFICATION_CODE_INVALID"
    assert psu.statement().status_code == 403
    assert psu.verify(second).status_code == 204
    assert psu.statement().status_code == 200


# -- STP-5 ---------------------------------------------------------------------------------
def test_stp5_wrong_code(client: httpx.Client) -> None:
    psu = fresh(client)
    psu.challenge()
    r = psu.verify(psu.wrong_code())
    assert r.status_code == 409 and error_code(r) == "VERIFICATION_CODE_INVALID"
    assert psu.accounts().status_code == 200
    assert psu.statement().status_code == 403


# -- STP-6 ---------------------------------------------------------------------------------
def test_stp6_statement_needs_step_up(client: httpx.Client) -> None:
    psu = fresh(client)
    r = psu.statement()
    assert r.status_code == 403 and error_code(r) == "STEP_UP_REQUIRED"
    psu.step_up()
    r = psu.statement()
    assert r.status_code == 200
    assert r.json()["entries"] == psu.data["accounts"][0]["transactions"]
    psu.logout()
    psu.login()
    assert psu.statement().status_code == 403


def test_ownership_and_not_found(client: httpx.Client) -> None:
    alice, bob = fresh(client), fresh(client)
    alice.step_up()
    r = alice.statement(bob.account)
    assert r.status_code == 404 and "entries" not in r.json()
    transfer = bob.transfer()
    assert client.get(f"{BASE}/outgoing_wire_transfers/{transfer}", headers=alice.headers()).status_code == 404
    assert alice.transfer_challenge(transfer).status_code == 404
    assert bob.accounts().json()["accounts"][0]["id"] == bob.account
    assert all(a["id"] != bob.account for a in alice.accounts().json()["accounts"])


# -- STP-7 ---------------------------------------------------------------------------------
def test_stp7_idle_expiry_and_refresh(client: httpx.Client) -> None:
    psu = fresh(client)
    psu.advance(IDLE - 1)
    assert psu.accounts().status_code == 200
    psu.advance(IDLE - 1)
    assert psu.accounts().status_code == 200  # the previous request restarted the count
    psu.advance(IDLE + 1)
    r = psu.accounts()
    assert r.status_code == 401 and error_code(r) == "TOKEN_INVALID"
    psu.login()
    assert psu.accounts().status_code == 200


# -- STP-8 ---------------------------------------------------------------------------------
def test_stp8_transfer_otp_does_not_step_up(client: httpx.Client) -> None:
    psu = fresh(client)
    transfer = psu.transfer("25.00")
    assert psu.transfer_challenge(transfer).status_code == 204
    assert psu.transfer_verify(transfer, psu.last_code()).status_code == 204
    got = client.get(f"{BASE}/outgoing_wire_transfers/{transfer}", headers=psu.headers()).json()
    assert got["state"] == "COMPLETED"
    assert psu.accounts().json()["accounts"][0]["balance"] == "9975.00"
    r = psu.statement()
    assert r.status_code == 403 and error_code(r) == "STEP_UP_REQUIRED"


# -- STP-9 ---------------------------------------------------------------------------------
def test_stp9_unenrolled_and_unknown_channel(client: httpx.Client) -> None:
    psu = fresh(client)
    r = psu.challenge("AUTHY")
    assert r.status_code == 409 and error_code(r) == "CHANNEL_NOT_REGISTERED"
    assert psu.codes() == []
    assert psu.challenge("PIGEON").status_code == 400
    assert psu.challenge().status_code == 204


def test_stp9_attempt_limit(client: httpx.Client) -> None:
    psu = fresh(client)
    psu.challenge()
    for _ in range(MAX_FAILS):
        assert error_code(psu.verify(psu.wrong_code())) == "VERIFICATION_CODE_INVALID"
    r = psu.verify(psu.last_code())
    assert r.status_code == 409 and error_code(r) == "CHALLENGE_LIMIT_EXCEEDED"
    assert psu.statement().status_code == 403


def test_stp9_below_limit_right_code_works(client: httpx.Client) -> None:
    psu = fresh(client)
    psu.challenge()
    for _ in range(MAX_FAILS - 1):
        assert psu.verify(psu.wrong_code()).status_code == 409
    assert psu.verify(psu.last_code()).status_code == 204


# -- STP-10 --------------------------------------------------------------------------------
def test_stp10_login_does_not_reveal_which_element(client: httpx.Client) -> None:
    psu = Psu(client)
    h = {"api-key": psu.data["apiKey"]}
    unknown = client.post(f"{BASE}/login_with_password", json={"email": "nobody@x.example", "password": "x"}, headers=h)
    wrong = client.post(f"{BASE}/login_with_password", json={"email": psu.data["email"], "password": "x"}, headers=h)
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_stp10_otp_verifies_once(client: httpx.Client) -> None:
    psu = fresh(client)
    psu.challenge()
    code = psu.last_code()
    assert psu.verify(code).status_code == 204
    assert psu.verify(code).status_code == 409
    transfer = psu.transfer()
    psu.transfer_challenge(transfer)
    code = psu.last_code()
    assert psu.transfer_verify(transfer, code).status_code == 204
    assert psu.transfer_verify(transfer, code).status_code == 409


def test_concurrent_verifications_one_wins(client: httpx.Client) -> None:
    psu = fresh(client)
    psu.challenge()
    code = psu.last_code()
    app = client.app  # type: ignore[attr-defined]
    results: list[int] = []

    def run() -> None:
        from harness.transport import SyncASGITransport

        with httpx.Client(transport=SyncASGITransport(app), base_url=str(client.base_url)) as c:
            r = c.post(
                f"{BASE}/stepup/challenges/otp/SMS/verify", json={"verificationCode": code}, headers=psu.headers()
            )
            results.append(r.status_code)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [204] + [409] * 7


def test_twenty_concurrent_psus_do_not_cross(client: httpx.Client) -> None:
    app = client.app  # type: ignore[attr-defined]
    psus = [Psu(client) for _ in range(20)]
    failures: list[str] = []

    def run(psu_data: dict) -> None:
        from harness.transport import SyncASGITransport

        with httpx.Client(transport=SyncASGITransport(app), base_url=str(client.base_url)) as c:
            psu = Psu.__new__(Psu)
            psu.c, psu.data, psu.id, psu.token = c, psu_data, psu_data["psuId"], None
            psu.account = psu_data["accounts"][0]["id"]
            try:
                psu.login()
                psu.step_up()
                r = psu.statement()
                assert r.status_code == 200 and r.json()["accountId"] == psu.account
                assert len(psu.codes()) == 1
            except AssertionError as exc:  # pragma: no cover - reported below
                failures.append(repr(exc))

    threads = [threading.Thread(target=run, args=(p.data,)) for p in psus]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


# -- defects -------------------------------------------------------------------------------
# Each probe drives one rule and answers True when the bank behaves as the rule says.
def probe_api_key(c: httpx.Client) -> bool:
    psu = fresh(c)
    r = c.get(f"{BASE}/managed_accounts", headers={"Authorization": f"Bearer {psu.token}"})
    return r.status_code == 401


def probe_logout(c: httpx.Client) -> bool:
    psu = fresh(c)
    psu.logout()
    return psu.accounts().status_code == 401


def probe_throttle(c: httpx.Client) -> bool:
    psu = fresh(c)
    psu.challenge()
    psu.advance(RESEND - 1)
    return psu.challenge().status_code == 409


def probe_throttle_not_counted(c: httpx.Client) -> bool:
    psu = fresh(c)
    psu.challenge()
    psu.challenge()
    psu.advance(RESEND + 1)
    return psu.challenge().status_code == 204


def probe_retry_limit(c: httpx.Client) -> bool:
    psu = fresh(c)
    psu.challenge()
    psu.advance(RESEND + 1)
    psu.challenge()
    psu.advance(RESEND + 1)
    return psu.challenge().status_code == 400


def probe_transfer_apart(c: httpx.Client) -> bool:
    psu = fresh(c)
    transfer = psu.transfer()
    psu.transfer_challenge(transfer)
    psu.advance(RESEND + 1)
    psu.transfer_challenge(transfer)
    return psu.challenge().status_code == 204


def probe_newest_only(c: httpx.Client) -> bool:
    psu = fresh(c)
    psu.challenge()
    psu.advance(RESEND + 1)
    psu.challenge()
    first, second = psu.codes()
    return first == second or psu.verify(first).status_code == 409


def probe_wrong_code_no_step_up(c: httpx.Client) -> bool:
    psu = fresh(c)
    psu.challenge()
    return psu.verify(psu.wrong_code()).status_code == 409 and psu.statement().status_code == 403


def probe_wrong_code_token_valid(c: httpx.Client) -> bool:
    psu = fresh(c)
    psu.challenge()
    psu.verify(psu.wrong_code())
    return psu.accounts().status_code == 200


def probe_statement_needs_step_up(c: httpx.Client) -> bool:
    return fresh(c).statement().status_code == 403


def probe_statement_has_entries(c: httpx.Client) -> bool:
    psu = fresh(c)
    psu.step_up()
    r = psu.statement()
    return r.status_code == 200 and len(r.json()["entries"]) > 0


def probe_idle_expiry(c: httpx.Client) -> bool:
    psu = fresh(c)
    psu.advance(IDLE + 1)
    return psu.accounts().status_code == 401


def probe_idle_refresh(c: httpx.Client) -> bool:
    psu = fresh(c)
    psu.advance(IDLE - 1)
    first = psu.accounts().status_code
    psu.advance(IDLE - 1)
    return first == 200 and psu.accounts().status_code == 200


def probe_transfer_no_step_up(c: httpx.Client) -> bool:
    psu = fresh(c)
    transfer = psu.transfer()
    psu.transfer_challenge(transfer)
    assert psu.transfer_verify(transfer, psu.last_code()).status_code == 204
    return psu.statement().status_code == 403


def probe_unenrolled(c: httpx.Client) -> bool:
    r = fresh(c).challenge("AUTHY")
    return r.status_code == 409 and r.json()["errorCode"] == "CHANNEL_NOT_REGISTERED"


def probe_attempt_limit(c: httpx.Client) -> bool:
    psu = fresh(c)
    psu.challenge()
    for _ in range(MAX_FAILS):
        psu.verify(psu.wrong_code())
    r = psu.verify(psu.last_code())
    return r.status_code == 409 and r.json()["errorCode"] == "CHALLENGE_LIMIT_EXCEEDED"


def probe_login_same_answer(c: httpx.Client) -> bool:
    psu = Psu(c)
    h = {"api-key": psu.data["apiKey"]}
    unknown = c.post(f"{BASE}/login_with_password", json={"email": "nobody@x.example", "password": "x"}, headers=h)
    wrong = c.post(f"{BASE}/login_with_password", json={"email": psu.data["email"], "password": "x"}, headers=h)
    return (unknown.status_code, unknown.content) == (wrong.status_code, wrong.content)


def probe_otp_once(c: httpx.Client) -> bool:
    psu = fresh(c)
    psu.challenge()
    code = psu.last_code()
    psu.verify(code)
    return psu.verify(code).status_code == 409


PROBES: dict[str, Callable[[httpx.Client], bool]] = {
    "stp-no-api-key-check": probe_api_key,
    "stp-logout-keeps-token": probe_logout,
    "stp-no-resend-throttle": probe_throttle,
    "stp-throttled-request-counts": probe_throttle_not_counted,
    "stp-unlimited-retries": probe_retry_limit,
    "stp-transfer-challenges-share-count": probe_transfer_apart,
    "stp-old-otp-still-valid": probe_newest_only,
    "stp-wrong-code-steps-up": probe_wrong_code_no_step_up,
    "stp-wrong-code-ends-session": probe_wrong_code_token_valid,
    "stp-statement-without-stepup": probe_statement_needs_step_up,
    "stp-empty-statement": probe_statement_has_entries,
    "stp-session-never-idles": probe_idle_expiry,
    "stp-idle-not-refreshed": probe_idle_refresh,
    "stp-idle-expires-early": probe_idle_refresh,
    "stp-transfer-otp-steps-up": probe_transfer_no_step_up,
    "stp-unenrolled-channel-accepted": probe_unenrolled,
    "stp-no-attempt-limit": probe_attempt_limit,
    "stp-attempt-limit-off-by-one": probe_attempt_limit,
    "stp-login-reveals-unknown-email": probe_login_same_answer,
    "stp-otp-reusable": probe_otp_once,
}


def test_every_stepup_defect_has_a_probe_and_every_rule_a_defect() -> None:
    all_defects()
    mine = {d.name: d for d in REGISTRY.values() if d.family == "stepup"}
    assert set(mine) == set(PROBES)
    assert {d.rule for d in mine.values()} == {f"STP-{n}" for n in range(1, 11)}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_defect_breaks_its_rule(bank: Callable[..., httpx.Client], name: str) -> None:
    probe = PROBES[name]
    assert probe(bank()) is True
    if name == "stp-old-otp-still-valid":  # retry the rare case of two equal OTPs
        assert any(probe(bank(name)) is False for _ in range(3))
    else:
        assert probe(bank(name)) is False


# The probe that stands for each rule in the cross-check below.
all_defects()
RULE_PROBES: dict[str, Callable[[httpx.Client], bool]] = {}
for _name, _probe in PROBES.items():
    RULE_PROBES.setdefault(REGISTRY[_name].rule, _probe)
RULE_PROBES["STP-7b"] = probe_idle_refresh

# Probes that read another rule's behaviour as their oracle and so cannot speak under that
# defect: the statement tells whether a token is stepped up; a dead token cannot guess on.
ORACLE_OF = {
    "stp-statement-without-stepup": {probe_newest_only, probe_wrong_code_no_step_up, probe_transfer_no_step_up},
    "stp-wrong-code-ends-session": {probe_attempt_limit},
}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_defect_leaves_other_rules_alone(bank: Callable[..., httpx.Client], name: str) -> None:
    rule = REGISTRY[name].rule
    client = bank(name)
    skip = ORACLE_OF.get(name, set())
    broken = [
        other
        for other, probe in RULE_PROBES.items()
        if other.rstrip("b") != rule and probe not in skip and not probe(client)
    ]
    assert broken == []


def test_stp6_empty_statement_defect(bank: Callable[..., httpx.Client]) -> None:
    """Stepped up, the compliant bank serves the statement's entries; the defect answers 200
    with none, while the plain token is still refused and the accounts still listed."""
    for defects, has_entries in (((), True), (("stp-empty-statement",), False)):
        psu = fresh(bank(*defects))
        assert psu.statement().status_code == 403
        psu.step_up()
        r = psu.statement()
        assert r.status_code == 200
        assert bool(r.json()["entries"]) is has_entries
        assert psu.accounts().json()["accounts"]
