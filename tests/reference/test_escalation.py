"""The escalation family of the reference bank (ESC-1..ESC-9), driven over HTTP only."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from harness.reference.defects import REGISTRY, all_defects
from harness.regime import load_regime

E = "/escalation"
R = load_regime("eu-2023")
RENEWAL = R["sca_renewal"]
WINDOW_DAYS = R["recent_window"] // 86_400
IDLE = R["session_idle"]
BLOCK = R["sca_block"]
ATTEMPTS = R["max_failed_attempts"]
TOKEN_LIFE = R["escalation_token_lifetime"]
OPS = {
    "balance": "balance/retrieve",
    "transactions": "transactions/retrieve",
    "cards": "creditCardsTransactions/retrieve",
    "transfers": "moneyTransfer/history/retrieve",
}
ACCOUNT, DEPOSIT, CARD = 0, 1, 2


# -- helpers -------------------------------------------------------------------------------
def new_psu(c: httpx.Client) -> dict:
    r = c.post(f"{E}/__sandbox/psus")
    assert r.status_code == 201
    return r.json()


def authorize(c: httpx.Client, p: dict, tpp: int = 0, **over: str) -> httpx.Response:
    t = p["tpps"][tpp]
    form = {
        "client_id": t["clientId"],
        "redirect_uri": t["redirectUri"],
        "state": "st-1",
        "username": p["username"],
        "password": p["password"],
    } | over
    return c.post(f"{E}/oauth/authorize", data=form)


def code_of(r: httpx.Response) -> str:
    assert r.status_code == 302, r.text
    return parse_qs(urlsplit(r.headers["location"]).query)["code"][0]


def exchange(c: httpx.Client, p: dict, code: str, tpp: int = 0, **over: str) -> httpx.Response:
    t = p["tpps"][tpp]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": t["redirectUri"],
        "client_id": t["clientId"],
        "client_secret": t["clientSecret"],
    } | over
    return c.post(f"{E}/oauth/token", data=form)


def login(c: httpx.Client, p: dict, tpp: int = 0) -> str:
    r = exchange(c, p, code_of(authorize(c, p, tpp)), tpp)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def inquire(c, p, tok, op="balance", product=ACCOUNT, body=None, customer=None, pid=None) -> httpx.Response:
    pid = pid or p["products"][product]["productId"]
    url = f"{E}/private/customers/{customer or p['customerId']}/products/{pid}/{OPS[op]}"
    headers = {"Authorization": f"Bearer {tok}"}
    return c.post(url, headers=headers, json=body) if body is not None else c.post(url, headers=headers)


def challenge(c, p, tok, rid, customer=None) -> httpx.Response:
    return c.post(
        f"{E}/private/customers/{customer or p['customerId']}/sca/{rid}/challenge",
        headers={"Authorization": f"Bearer {tok}"},
    )


def verify(c, p, tok, rid, otp, customer=None) -> httpx.Response:
    return c.post(
        f"{E}/private/customers/{customer or p['customerId']}/sca/{rid}/verify",
        headers={"Authorization": f"Bearer {tok}"},
        json={"otp": otp},
    )


def last_otp(c, p) -> str:
    msgs = c.get(f"{E}/__sandbox/messages", params={"to": p["phone"]}).json()["messages"]
    assert msgs and msgs[-1]["channel"] == "sms"
    return msgs[-1]["code"]


def wrong(otp: str) -> str:
    return f"{(int(otp) + 1) % 1_000_000:06d}"


def rid_of(r: httpx.Response) -> str:
    assert r.status_code in (401, 403), r.text
    assert r.json()["result"]["messages"][0]["code"] == "PSD2_SCA_REQUIRED"
    return r.json()["resources"]["resourceId"]


def escalate(c, p, tok, r: httpx.Response, customer=None) -> httpx.Response:
    rid = rid_of(r)
    assert challenge(c, p, tok, rid, customer).status_code == 200
    return verify(c, p, tok, rid, last_otp(c, p), customer)


def sca(c, p, tok, op="balance", product=ACCOUNT, body=None) -> None:
    """Complete an escalation for this request (if it needs one)."""
    r = inquire(c, p, tok, op, product, body)
    if r.status_code != 200:
        assert escalate(c, p, tok, r).status_code == 200


def advance(c, p, seconds: int) -> None:
    assert c.post(f"{E}/__sandbox/psus/{p['psuId']}/clock/advance", json={"seconds": seconds}).status_code == 200


def today(c, p) -> date:
    return date.fromisoformat(c.get(f"{E}/__sandbox/psus/{p['psuId']}/clock").json()["now"][:10])


def since(c, p, days: int) -> dict:
    return {"dateFrom": (today(c, p) - timedelta(days=days)).isoformat()}


def code(r: httpx.Response) -> str | None:
    messages = r.json().get("result", {}).get("messages") or [{}]
    return messages[0].get("code")


def needs_sca(r: httpx.Response) -> bool:
    return code(r) == "PSD2_SCA_REQUIRED" and r.status_code != 200


def fail_times(c, p, tok, rid, n: int) -> None:
    for _ in range(n):
        assert verify(c, p, tok, rid, wrong(last_otp(c, p))).status_code != 200


# -- SBX-1 and OAuth -----------------------------------------------------------------------
def test_create_psu_shape(client):
    p = new_psu(client)
    assert p["psuId"] == p["customerId"]
    assert {"username", "password", "phone", "email"} <= p.keys()
    assert [x["type"] for x in p["products"]] == ["CURRENT_ACCOUNT", "CURRENT_ACCOUNT", "CREDIT_CARD"]
    assert len(p["tpps"]) == 2 and all({"clientId", "clientSecret", "redirectUri"} <= t.keys() for t in p["tpps"])
    assert new_psu(client)["phone"] != p["phone"]


def test_authorize_redirects_with_code_and_state(client):
    p = new_psu(client)
    r = authorize(client, p)
    loc = urlsplit(r.headers["location"])
    assert r.status_code == 302 and f"{loc.scheme}://{loc.netloc}{loc.path}" == p["tpps"][0]["redirectUri"]
    assert parse_qs(loc.query)["state"] == ["st-1"]
    t = exchange(client, p, code_of(r))
    assert t.status_code == 200 and t.headers["cache-control"] == "no-store"
    assert t.json()["token_type"] == "Bearer" and t.json()["expires_in"] == TOKEN_LIFE


def test_code_is_single_use(client):
    p = new_psu(client)
    c = code_of(authorize(client, p))
    assert exchange(client, p, c).status_code == 200
    again = exchange(client, p, c)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_oauth_errors(client):
    p = new_psu(client)
    bad_redirect = authorize(client, p, redirect_uri="https://evil.example/cb")
    assert bad_redirect.status_code == 400 and "location" not in bad_redirect.headers
    assert authorize(client, p, client_id="nobody").status_code == 400
    c = code_of(authorize(client, p))
    r = exchange(client, p, c, client_secret="wrong")
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert exchange(client, p, c, tpp=1).json()["error"] in ("invalid_client", "invalid_grant")
    assert exchange(client, p, c, grant_type="password").json()["error"] == "unsupported_grant_type"
    assert exchange(client, p, c).status_code == 200  # failed attempts did not consume it
    c2 = code_of(authorize(client, p, tpp=1))
    assert exchange(client, p, c2, tpp=0, client_id=p["tpps"][0]["clientId"]).json()["error"] == "invalid_grant"


@pytest.mark.parametrize("elapsed, ok", [(IDLE - 1, True), (IDLE + 1, False)])
def test_code_lifetime(client, elapsed, ok):
    p = new_psu(client)
    c = code_of(authorize(client, p))
    advance(client, p, elapsed)
    assert (exchange(client, p, c).status_code == 200) is ok


@pytest.mark.parametrize("elapsed, status", [(TOKEN_LIFE - 1, 403), (TOKEN_LIFE + 1, 401)])
def test_token_lifetime(client, elapsed, status):
    p = new_psu(client)
    tok = login(client, p)
    advance(client, p, elapsed)
    r = inquire(client, p, tok)
    assert r.status_code == status
    if status == 401:
        assert code(r) == "PSD2_INVALID_TOKEN" and r.json()["result"]["outcome"] == "ERROR"


def test_esc9_same_answer_unknown_user_and_wrong_password(client):
    p = new_psu(client)
    unknown = authorize(client, p, username="nobody-here")
    bad_pw = authorize(client, p, password="not-the-password")
    assert unknown.status_code == bad_pw.status_code == 401
    assert unknown.content == bad_pw.content and unknown.json()["error"] == "access_denied"
    assert "location" not in unknown.headers and "location" not in bad_pw.headers


# -- ESC-1 / ESC-2 ------------------------------------------------------------------------
def test_esc1_envelope_everywhere_and_unique_request_ids(client):
    a, b = new_psu(client), new_psu(client)
    tok = login(client, a)
    answers = [
        inquire(client, a, tok),  # 403 SCA required
        inquire(client, a, "bad-token"),  # 401
        inquire(client, a, tok, customer=b["customerId"]),  # 403 not yours
        inquire(client, a, tok, pid=b["products"][0]["productId"]),  # 404
        inquire(client, a, tok, "transactions", body={"dateFrom": "nope"}),  # 400
        challenge(client, a, tok, "no-such-escalation"),  # 404
    ]
    sca(client, a, tok)
    answers.append(inquire(client, a, tok))  # 200
    ids = set()
    for r in answers:
        body = r.json()
        res = body["result"]
        assert set(body) == {"result", "resources"} and isinstance(body["resources"], dict)
        assert res["outcome"] == ("SUCCESS" if r.status_code == 200 else "ERROR")
        assert isinstance(res["flushMessages"], bool)
        for m in res["messages"]:
            assert set(m) == {"code", "message", "type"}
        ids.add(res["requestId"])
    assert [r.status_code for r in answers] == [403, 401, 403, 404, 400, 404, 200]
    assert len(ids) == len(answers)


def _request_ids(c, n: int) -> list[str]:
    p = new_psu(c)
    tok = login(c, p)
    return [inquire(c, p, tok, op).json()["result"]["requestId"] for op in ["balance", "transactions"] * (n // 2)]


def test_esc1_alternating_request_id_defect(bank):
    """Each id differs from the one before it, yet two answers apart they repeat."""
    assert len(set(_request_ids(bank(), 6))) == 6
    ids = _request_ids(bank("esc-alternating-request-id"), 6)
    assert all(a != b for a, b in itertools.pairwise(ids))
    assert len(set(ids)) == 2 and ids[0] == ids[2] == ids[4]


@pytest.mark.parametrize(
    "op, product", [("balance", ACCOUNT), ("transactions", ACCOUNT), ("cards", CARD), ("transfers", ACCOUNT)]
)
def test_esc2_sca_required(client, op, product):
    p = new_psu(client)
    r = inquire(client, p, login(client, p), op, product)
    body = r.json()
    assert r.status_code == 403
    assert body["result"]["outcome"] == "ERROR" and body["result"]["flushMessages"] is True
    assert body["result"]["messages"][0]["code"] == "PSD2_SCA_REQUIRED"
    assert body["result"]["messages"][0]["type"] == "ERROR"
    assert body["resources"]["resourceId"]


# -- ESC-3 --------------------------------------------------------------------------------
def test_esc3_challenge_sends_sms_and_verify_serves_every_token_of_the_client(client):
    p = new_psu(client)
    tok = login(client, p)
    rid = rid_of(inquire(client, p, tok))
    assert client.get(f"{E}/__sandbox/messages", params={"to": p["phone"]}).json()["messages"] == []
    assert challenge(client, p, tok, rid).status_code == 200
    otp = last_otp(client, p)
    assert len(otp) == 6 and otp.isdigit()
    v = verify(client, p, tok, rid, otp)
    assert v.status_code == 200 and v.json()["result"]["outcome"] == "SUCCESS"
    assert inquire(client, p, tok).status_code == 200
    assert inquire(client, p, login(client, p)).status_code == 200  # fresh token, same client


def test_esc3_wrong_otp_changes_nothing_else(client):
    p = new_psu(client)
    tok = login(client, p)
    rid = rid_of(inquire(client, p, tok))
    challenge(client, p, tok, rid)
    otp = last_otp(client, p)
    w = verify(client, p, tok, rid, wrong(otp))
    assert w.status_code == 400 and code(w) == "PSD2_SCA_INVALID_OTP"
    assert inquire(client, p, tok).status_code == 403
    assert verify(client, p, tok, rid, otp).status_code == 200


def test_new_challenge_voids_earlier_otp(client):
    p = new_psu(client)
    tok = login(client, p)
    rid = rid_of(inquire(client, p, tok))
    challenge(client, p, tok, rid)
    first = last_otp(client, p)
    challenge(client, p, tok, rid)
    second = last_otp(client, p)
    if first != second:
        assert verify(client, p, tok, rid, first).status_code == 400
    assert verify(client, p, tok, rid, second).status_code == 200


@pytest.mark.parametrize("elapsed, ok", [(IDLE - 1, True), (IDLE + 1, False)])
def test_otp_lifetime(client, elapsed, ok):
    p = new_psu(client)
    tok = login(client, p)
    rid = rid_of(inquire(client, p, tok))
    challenge(client, p, tok, rid)
    advance(client, p, elapsed)
    assert (verify(client, p, tok, rid, last_otp(client, p)).status_code == 200) is ok


def test_escalation_of_another_client_is_not_found(client):
    p = new_psu(client)
    tok0, tok1 = login(client, p, 0), login(client, p, 1)
    rid = rid_of(inquire(client, p, tok0))
    assert challenge(client, p, tok1, rid).status_code == 404


# -- ESC-4 --------------------------------------------------------------------------------
@pytest.mark.parametrize("elapsed, status", [(RENEWAL - 1, 200), (RENEWAL + 1, 403)])
def test_esc4_sca_valid_for_renewal_period(client, elapsed, status):
    p = new_psu(client)
    tok = login(client, p)
    sca(client, p, tok)
    advance(client, p, elapsed)
    fresh = login(client, p)
    assert inquire(client, p, fresh).status_code == status
    assert inquire(client, p, fresh, "transactions").status_code == status
    assert inquire(client, p, fresh, "transactions", body=since(client, p, WINDOW_DAYS)).status_code == status


def test_esc4_recent_window_boundary(client):
    p = new_psu(client)
    tok = login(client, p)
    sca(client, p, tok)
    r = inquire(client, p, tok, "transactions", body=since(client, p, WINDOW_DAYS))
    assert r.status_code == 200
    rows = r.json()["resources"]["transactions"]
    assert rows and min(x["bookingDate"] for x in rows) >= since(client, p, WINDOW_DAYS)["dateFrom"]
    assert inquire(client, p, tok, "transactions", body=since(client, p, WINDOW_DAYS + 1)).status_code == 403
    default = inquire(client, p, tok, "transactions").json()["resources"]
    assert default["dateFrom"] == since(client, p, WINDOW_DAYS)["dateFrom"]


@pytest.mark.parametrize(
    "op, product, key",
    [("transactions", ACCOUNT, "transactions"), ("cards", CARD, "transactions"), ("transfers", ACCOUNT, "transfers")],
)
def test_esc4_empty_transactions_defect(bank, op, product, key):
    """The compliant bank serves the SCA'd lists with rows; the defect serves them empty (2xx)."""
    for defects, has_rows in (((), True), (("esc-empty-transactions",), False)):
        c = bank(*defects)
        p = new_psu(c)
        tok = login(c, p)
        sca(c, p, tok, "balance", product)
        r = inquire(c, p, tok, op, product)
        assert r.status_code == 200
        assert r.json()["result"]["outcome"] == "SUCCESS"
        assert bool(r.json()["resources"][key]) is has_rows
        assert "balance" in inquire(c, p, tok, "balance", product).json()["resources"]


# -- ESC-5 --------------------------------------------------------------------------------
@pytest.mark.parametrize("op, product", [("transactions", ACCOUNT), ("cards", CARD), ("transfers", ACCOUNT)])
def test_esc5_old_transactions_need_fresh_sca_each_time(client, op, product):
    p = new_psu(client)
    tok = login(client, p)
    sca(client, p, tok, "balance", product)  # a recent SCA does not serve old data
    old = since(client, p, 400)
    first = inquire(client, p, tok, op, product, old)
    assert escalate(client, p, tok, first).status_code == 200
    served = inquire(client, p, tok, op, product, old)
    assert served.status_code == 200
    rows = served.json()["resources"].get("transactions") or served.json()["resources"]["transfers"]
    first_day = min(r.get("bookingDate") or r["executionDate"] for r in rows)
    assert first_day <= since(client, p, 390)["dateFrom"]  # reaches 400 days back
    advance(client, p, 60)
    again = inquire(client, p, tok, op, product, old)
    assert again.status_code == 403 and code(again) == "PSD2_SCA_REQUIRED"
    assert inquire(client, p, tok, op, product).status_code == 200  # recent still exempt


@pytest.mark.parametrize("op, product", [("transactions", ACCOUNT), ("cards", CARD), ("transfers", ACCOUNT)])
def test_esc5_old_sca_reusable_30s_defect(bank, op, product):
    """The compliant bank refuses the second old request at once; the defect serves it for 30 s
    after the first, and refuses it a minute later (what a probe at one minute alone sees)."""
    for defects, again_at_once in (((), False), (("esc-old-sca-reusable-30s",), True)):
        c = bank(*defects)
        p = new_psu(c)
        tok = login(c, p)
        old = since(c, p, 200)
        assert escalate(c, p, tok, inquire(c, p, tok, op, product, old)).status_code == 200
        assert inquire(c, p, tok, op, product, old).status_code == 200
        at_once = inquire(c, p, tok, op, product, old)
        assert (at_once.status_code == 200) is again_at_once
        assert needs_sca(at_once) is not again_at_once
        advance(c, p, 29)
        assert (inquire(c, p, tok, op, product, old).status_code == 200) is again_at_once
        advance(c, p, 31)
        assert needs_sca(inquire(c, p, tok, op, product, old))


@pytest.mark.parametrize("elapsed, ok", [(IDLE - 1, True), (IDLE + 1, False)])
def test_esc5_old_grant_is_short_lived(client, elapsed, ok):
    p = new_psu(client)
    tok = login(client, p)
    old = since(client, p, 200)
    sca(client, p, tok, "transactions", ACCOUNT, old)
    advance(client, p, elapsed)
    assert (inquire(client, p, tok, "transactions", ACCOUNT, old).status_code == 200) is ok


# -- ESC-6 --------------------------------------------------------------------------------
def test_esc6_sca_per_client_and_per_product(client):
    p = new_psu(client)
    tok0, tok1 = login(client, p, 0), login(client, p, 1)
    sca(client, p, tok0)
    assert inquire(client, p, tok0).status_code == 200
    assert inquire(client, p, tok1).status_code == 403
    assert inquire(client, p, tok0, product=DEPOSIT).status_code == 403
    sca(client, p, tok1)
    assert inquire(client, p, tok1).status_code == 200


# -- ESC-7 --------------------------------------------------------------------------------
def test_esc7_block_after_five_wrong_otps(client):
    p = new_psu(client)
    tok = login(client, p)
    rid = rid_of(inquire(client, p, tok))
    challenge(client, p, tok, rid)
    right = last_otp(client, p)
    fail_times(client, p, tok, rid, ATTEMPTS)
    r = verify(client, p, tok, rid, right)
    assert r.status_code == 403 and code(r) == "PSD2_SCA_BLOCKED"
    assert challenge(client, p, tok, rid).status_code == 403


def test_esc7_count_spans_escalations_and_success_resets_it(client):
    p = new_psu(client)
    tok = login(client, p)
    rid = rid_of(inquire(client, p, tok))
    challenge(client, p, tok, rid)
    fail_times(client, p, tok, rid, ATTEMPTS - 1)
    assert verify(client, p, tok, rid, last_otp(client, p)).status_code == 200  # success resets the count
    rid2 = rid_of(inquire(client, p, tok, product=DEPOSIT))
    challenge(client, p, tok, rid2)
    fail_times(client, p, tok, rid2, 2)
    rid3 = rid_of(inquire(client, p, tok, product=CARD))
    challenge(client, p, tok, rid3)
    fail_times(client, p, tok, rid3, ATTEMPTS - 2)
    assert verify(client, p, tok, rid3, last_otp(client, p)).status_code == 403


@pytest.mark.parametrize("elapsed, blocked", [(BLOCK - 1, True), (BLOCK + 1, False)])
def test_esc7_block_duration(client, elapsed, blocked):
    p = new_psu(client)
    tok = login(client, p)
    rid = rid_of(inquire(client, p, tok))
    challenge(client, p, tok, rid)
    fail_times(client, p, tok, rid, ATTEMPTS)
    advance(client, p, elapsed)
    tok = login(client, p)
    r = challenge(client, p, tok, rid)
    assert (r.status_code == 403) is blocked
    if not blocked:
        fail_times(client, p, tok, rid, ATTEMPTS - 1)  # the count restarted after the block
        assert verify(client, p, tok, rid, last_otp(client, p)).status_code == 200


def test_esc7_verified_otp_cannot_be_used_again(client):
    p = new_psu(client)
    tok = login(client, p)
    old = since(client, p, 300)
    rid = rid_of(inquire(client, p, tok, "transactions", body=old))
    challenge(client, p, tok, rid)
    otp = last_otp(client, p)
    assert verify(client, p, tok, rid, otp).status_code == 200
    assert inquire(client, p, tok, "transactions", body=old).status_code == 200
    again = verify(client, p, tok, rid, otp)
    assert again.status_code == 400 and code(again) == "PSD2_SCA_INVALID_OTP"
    assert inquire(client, p, tok, "transactions", body=old).status_code == 403
    assert challenge(client, p, tok, rid).status_code == 409


# -- ESC-8 --------------------------------------------------------------------------------
def test_esc8_no_cross_customer_reads(client):
    a, b = new_psu(client), new_psu(client)
    tok = login(client, a)
    sca(client, a, tok)
    other = inquire(client, a, tok, customer=b["customerId"], pid=b["products"][0]["productId"])
    assert other.status_code == 403 and code(other) == "PSD2_FORBIDDEN" and other.json()["resources"] == {}
    foreign = inquire(client, a, tok, pid=b["products"][0]["productId"])
    assert foreign.status_code == 404 and foreign.json()["resources"] == {}
    rid = rid_of(inquire(client, a, tok, product=DEPOSIT))
    assert challenge(client, a, tok, rid, customer=b["customerId"]).status_code == 403


# -- every defect is registered, named and observable --------------------------------------
def _sca_required_status(c):
    p = new_psu(c)
    r = inquire(c, p, login(c, p))
    return r.status_code == 403 and needs_sca(r)


def _ids_unique(c):
    """Three answers, three requestIds: neither a repeated nor an alternating id passes."""
    p = new_psu(c)
    tok = login(c, p)
    ids = [inquire(c, p, tok).json()["result"]["requestId"] for _ in range(3)]
    return len(set(ids)) == 3


def _401_enveloped(c):
    p = new_psu(c)
    r = inquire(c, p, "nope")
    return r.status_code == 401 and r.json().get("result", {}).get("outcome") == "ERROR"


def _flush(c):
    p = new_psu(c)
    return inquire(c, p, login(c, p)).json()["result"]["flushMessages"] is True


def _wrong_then_right(c):
    p = new_psu(c)
    tok = login(c, p)
    rid = rid_of(inquire(c, p, tok))
    challenge(c, p, tok, rid)
    otp = last_otp(c, p)
    w = verify(c, p, tok, rid, wrong(otp))
    return w.status_code == 400 and verify(c, p, tok, rid, otp).status_code == 200


def _expires_on_time(elapsed, served):
    def probe(c):
        p = new_psu(c)
        tok = login(c, p)
        sca(c, p, tok)
        advance(c, p, elapsed)
        r = inquire(c, p, login(c, p))
        return r.status_code == 200 if served else code(r) == "PSD2_SCA_REQUIRED"

    return probe


def _recent_transactions_served(c):
    p = new_psu(c)
    tok = login(c, p)
    sca(c, p, tok)
    r = inquire(c, p, tok, "transactions")
    return r.status_code == 200 and len(r.json()["resources"]["transactions"]) > 0


def _window_90_recent(c):
    p = new_psu(c)
    tok = login(c, p)
    sca(c, p, tok)
    return inquire(c, p, tok, "transactions", body=since(c, p, WINDOW_DAYS)).status_code == 200


def _old_one_shot(op, product):
    def probe(c):
        p = new_psu(c)
        tok = login(c, p)
        old = since(c, p, 365)
        sca(c, p, tok, op, product, old)
        first = inquire(c, p, tok, op, product, old).status_code
        return first == 200 and needs_sca(inquire(c, p, tok, op, product, old))

    return probe


def _old_cards_need_fresh_sca(c):
    p = new_psu(c)
    tok = login(c, p)
    sca(c, p, tok, "balance", CARD)
    sca(c, p, tok, "balance", ACCOUNT)
    old = since(c, p, 365)
    return needs_sca(inquire(c, p, tok, "cards", CARD, old)) and needs_sca(
        inquire(c, p, tok, "transfers", ACCOUNT, old)
    )


def _per_client(c):
    p = new_psu(c)
    tok0, tok1 = login(c, p, 0), login(c, p, 1)
    sca(c, p, tok0)
    return needs_sca(inquire(c, p, tok1))


def _per_product(c):
    p = new_psu(c)
    tok = login(c, p)
    sca(c, p, tok)
    return needs_sca(inquire(c, p, tok, product=DEPOSIT))


def _sixth_blocked(c):
    p = new_psu(c)
    tok = login(c, p)
    rid = rid_of(inquire(c, p, tok))
    challenge(c, p, tok, rid)
    right = last_otp(c, p)
    fail_times(c, p, tok, rid, ATTEMPTS)
    return code(verify(c, p, tok, rid, right)) == "PSD2_SCA_BLOCKED"


def _count_spans_escalations(c):
    p = new_psu(c)
    tok = login(c, p)
    rid = rid_of(inquire(c, p, tok))
    challenge(c, p, tok, rid)
    fail_times(c, p, tok, rid, 3)
    rid2 = rid_of(inquire(c, p, tok))
    challenge(c, p, tok, rid2)
    fail_times(c, p, tok, rid2, ATTEMPTS - 3)
    return code(verify(c, p, tok, rid2, last_otp(c, p))) == "PSD2_SCA_BLOCKED"


def _block_lasts(c):
    p = new_psu(c)
    tok = login(c, p)
    rid = rid_of(inquire(c, p, tok))
    challenge(c, p, tok, rid)
    fail_times(c, p, tok, rid, ATTEMPTS)
    advance(c, p, BLOCK - 1)
    return code(challenge(c, p, login(c, p), rid)) == "PSD2_SCA_BLOCKED"


def _otp_once(c):
    p = new_psu(c)
    tok = login(c, p)
    rid = rid_of(inquire(c, p, tok))
    challenge(c, p, tok, rid)
    otp = last_otp(c, p)
    return verify(c, p, tok, rid, otp).status_code == 200 and verify(c, p, tok, rid, otp).status_code != 200


def _no_cross_read(pick_customer):
    def probe(c):
        a, b = new_psu(c), new_psu(c)
        tok = login(c, a)
        customer = b["customerId"] if pick_customer else a["customerId"]
        pid = b["products"][0]["productId"]
        r = inquire(c, a, tok, customer=customer, pid=pid)
        if needs_sca(r):
            escalate(c, a, tok, r, customer=customer)  # with A's own OTP
            r = inquire(c, a, tok, customer=customer, pid=pid)
        return r.status_code in (403, 404) and "balance" not in r.json()["resources"]

    return probe


def _same_login_failure(c):
    p = new_psu(c)
    a, b = authorize(c, p, username="ghost"), authorize(c, p, password="wrong-password")
    return a.status_code == b.status_code and a.content == b.content


PROBES = {
    "esc-static-request-id": _ids_unique,
    "esc-alternating-request-id": _ids_unique,
    "esc-bare-401": _401_enveloped,
    "esc-sca-required-401": _sca_required_status,
    "esc-sca-required-no-flush": _flush,
    "esc-wrong-otp-voids-challenge": _wrong_then_right,
    "esc-wrong-otp-401": _wrong_then_right,
    "esc-sca-never-expires": _expires_on_time(RENEWAL + 1, False),
    "esc-sca-expires-early": _expires_on_time(RENEWAL - 1, True),
    "esc-recent-window-89-days": _window_90_recent,
    "esc-empty-transactions": _recent_transactions_served,
    "esc-old-sca-reusable": _old_one_shot("transactions", ACCOUNT),
    "esc-old-sca-reusable-30s": _old_one_shot("cards", CARD),
    "esc-old-cards-transfers-exempt": _old_cards_need_fresh_sca,
    "esc-sca-shared-across-clients": _per_client,
    "esc-sca-shared-across-products": _per_product,
    "esc-never-blocks": _sixth_blocked,
    "esc-blocks-after-six": _sixth_blocked,
    "esc-attempts-per-escalation": _count_spans_escalations,
    "esc-block-too-short": _block_lasts,
    "esc-otp-reusable": _otp_once,
    "esc-cross-customer-read": _no_cross_read(True),
    "esc-foreign-product-read": _no_cross_read(False),
    "esc-login-reveals-username": _same_login_failure,
    "esc-login-unknown-user-404": _same_login_failure,
}


def test_every_rule_has_a_defect_and_every_defect_a_probe():
    mine = [d for d in all_defects() if d.family == "escalation"]
    assert {d.rule for d in mine} == {f"ESC-{i}" for i in range(1, 10)}
    assert all(d.name.startswith("esc-") for d in mine)
    assert {d.name for d in mine} == set(PROBES)


@pytest.mark.parametrize("name", sorted(PROBES))
def test_defect_is_observable(bank, name):
    assert REGISTRY[name].rule.startswith("ESC-")
    assert PROBES[name](bank()) is True
    assert PROBES[name](bank(name)) is False


@pytest.mark.parametrize("name", sorted(PROBES))
def test_defect_keeps_other_rules(bank, name):
    """A defect breaks its own rule only: every other rule's probe still holds."""
    c = bank(name)
    rule = REGISTRY[name].rule
    checked = set()
    for other, probe in PROBES.items():  # one probe per other rule keeps this fast
        if REGISTRY[other].rule not in checked | {rule}:
            checked.add(REGISTRY[other].rule)
            assert probe(c) is True, f"{name} also breaks {other} ({REGISTRY[other].rule})"


def test_concurrent_verifications_exactly_one_wins(client):
    from concurrent.futures import ThreadPoolExecutor

    from harness.transport import SyncASGITransport

    p = new_psu(client)
    tok = login(client, p)
    rid = rid_of(inquire(client, p, tok))
    challenge(client, p, tok, rid)
    otp = last_otp(client, p)
    others = [httpx.Client(transport=SyncASGITransport(client.app), base_url=client.base_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            codes = list(pool.map(lambda c: verify(c, p, tok, rid, otp).status_code, others))
    finally:
        for c in others:
            c.close()
    assert sorted(codes) == [200, 400, 400, 400]


def test_routes_match_the_openapi_document(client):
    import yaml

    from harness.paths import specs_dir

    doc = yaml.safe_load((specs_dir() / "escalation.openapi.yaml").read_text(encoding="utf-8"))
    documented = {(m.upper(), path, op["operationId"]) for path, item in doc["paths"].items() for m, op in item.items()}
    mount = next(r for r in client.app.routes if r.path == "/escalation")
    served = {
        (m, r.path, r.name)
        for r in mount.routes
        if not r.path.startswith("/__sandbox")
        for m in r.methods
        if m != "HEAD"
    }
    assert documented == served
    assert {"Envelope", "SandboxPsu", "OAuthError"} <= doc["components"]["schemas"].keys()
