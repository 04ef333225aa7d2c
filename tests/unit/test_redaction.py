"""harness.redaction: secrets masked by key and by value, in every place evidence goes."""

from __future__ import annotations

import threading
from urllib.parse import quote, quote_plus

import pytest

from harness.redaction import MASK, Redactor, is_secret_key

SECRET = "s3cr3t/val+ue=x"


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "authorization",
        "Cookie",
        "Set-Cookie",
        "api-key",
        "X-Api-Key",
        "apiKey",
        "password",
        "newPassword",
        "otp",
        "code",
        "access_token",
        "refresh_token",
        "client_secret",
        "clientSecret",
        "jwt",
        "sessionId",
        "credential",
    ],
)
def test_secret_keys(name: str) -> None:
    assert is_secret_key(name)


@pytest.mark.parametrize(
    "name",
    [
        "errorCode",
        "token_type",
        "tokenType",
        "expires_in",
        "status",
        "scope",
        "channel",
        "email",
        "psuId",
        "requestId",
        "message",
        "amount",
        "code_challenge_method",
    ],
)
def test_evidence_keys_are_kept(name: str) -> None:
    assert not is_secret_key(name)


def test_registration_keeps_every_encoded_form() -> None:
    r = Redactor([SECRET])
    assert {SECRET, quote(SECRET, safe=""), quote_plus(SECRET, safe="")} <= r.values
    text = f"a {SECRET} b {quote(SECRET, safe='')} c {quote_plus(SECRET, safe='')} d"
    assert r.text(text) == f"a {MASK} b {MASK} c {MASK} d"


def test_short_values_and_non_strings() -> None:
    r = Redactor()
    r.register("12345")  # a 5-digit OTP or PIN: masked where it stands as a whole token
    r.register("k3y")
    r.register("ab")  # two characters cannot be told from data: masked by key only
    r.register(True)
    r.register(None)
    r.register(654321)  # a numeric OTP
    assert r.values == {"654321", "12345", "k3y"}
    assert r.text("code 654321, id 12345, key=k3y") == f"code {MASK}, id {MASK}, key={MASK}"
    # not inside a longer run of letters and digits: a timestamp or an id keeps its digits
    assert r.text("at 1234567890 and k3yboard") == "at 1234567890 and k3yboard"
    assert r.json({"password": "ab", "note": "12345"}) == {"password": MASK, "note": MASK}
    r.harvest({"otpAttempts": 1, "sessionCount": 42})  # harvested by key: short values are no secrets
    assert r.text("1 of 42") == "1 of 42"


def test_longest_value_wins_and_metacharacters_are_literal() -> None:
    r = Redactor(["abc.def", "abc.def.ghi", "a+b*c?"])
    assert r.text("abc.def.ghi abcXdef a+b*c?") == f"{MASK} abcXdef {MASK}"


def test_harvest_registers_values_under_secret_keys_anywhere() -> None:
    r = Redactor()
    r.harvest(
        {
            "data": {"accessToken": "tok-123456"},
            "items": [{"otp": "987654"}],
            "errorCode": "SCA_REQUIRED",
            "messages": [{"code": "PSD2_SCA_REQUIRED", "message": "SCA required", "type": "ERROR"}],
            "name": "not-a-secret",
            "password": 12345678,
            "grant": {"code": "AUTHCODE1X"},
            "credentials": {"key": "ABCDEF123456"},
        }
    )
    # by key, whatever the value looks like: upper-case codes and keys too, and all below a secret key
    assert {"tok-123456", "987654", "12345678", "AUTHCODE1X", "ABCDEF123456"} <= r.values
    # the code of an error envelope (beside its message) is evidence, not a secret
    assert "PSD2_SCA_REQUIRED" not in r.values and "not-a-secret" not in r.values


def test_json_masks_by_key_and_by_value() -> None:
    r = Redactor([SECRET])
    body = {
        "token": "t",
        "code": "PSD2_SCA_REQUIRED",
        "message": "m",
        "otpSent": True,
        "token_type": "Bearer",
        "nested": [{"password": "p", "note": f"was {SECRET}"}],
        "expiresIn": 300,
        "otp": None,
        "inbox": [{"channel": "sms", "to": "+1", "code": "ABC123", "sentAt": "t"}],
    }
    assert r.json(body) == {
        "token": MASK,
        "code": "PSD2_SCA_REQUIRED",
        "message": "m",
        "otpSent": True,
        "token_type": "Bearer",
        "nested": [{"password": MASK, "note": f"was {MASK}"}],
        "expiresIn": 300,
        "otp": None,
        "inbox": [{"channel": "sms", "to": "+1", "code": MASK, "sentAt": "t"}],
    }
    assert body["token"] == "t", "json() returns a copy"


def test_headers_mask_by_name_and_location_as_a_url() -> None:
    r = Redactor([SECRET])
    out = r.headers(
        [
            ("Authorization", "Bearer abc"),
            ("Cookie", "sid=1"),
            ("X-Echo", f"k={SECRET}"),
            ("Location", "https://tpp/cb?code=AUTHCODE1x&state=st"),
            ("Accept", "a"),
            ("Accept", "b"),
        ]
    )
    assert out == {
        "Authorization": MASK,
        "Cookie": MASK,
        "X-Echo": f"k={MASK}",
        "Location": f"https://tpp/cb?code={MASK}&state=st",
        "Accept": "a, b",
    }


def test_url_masks_secret_parameters_in_place() -> None:
    r = Redactor()
    url = "https://tpp.example/cb?state=xyz&code=Ab%2Fc+d1234&scope=accounts"
    assert r.url(url) == f"https://tpp.example/cb?state=xyz&code={MASK}&scope=accounts"
    # the masked value is registered: a later echo of it, in any form, is masked too
    assert r.text("echo Ab/c d1234 and Ab%2Fc+d1234") == f"echo {MASK} and {MASK}"


def test_url_masks_the_fragment_of_an_implicit_grant() -> None:
    r = Redactor()
    assert (
        r.url("https://tpp/cb#access_token=AT-123456&token_type=Bearer&expires_in=300")
        == f"https://tpp/cb#access_token={MASK}&token_type=Bearer&expires_in=300"
    )
    assert "AT-123456" in r.values


def test_url_keeps_what_it_does_not_mask_byte_for_byte() -> None:
    r = Redactor([SECRET])
    # a careless bank puts the raw value in a query: `+` must not be re-encoded into a new form
    assert (
        r.url(f"https://x/p/{quote(SECRET, safe='')}?ref={SECRET}&a=%7E&b=1+2")
        == f"https://x/p/{MASK}?ref={MASK}&a=%7E&b=1+2"
    )
    assert (
        r.url("GET http://bank/x?page=2&errorCode=ACCESS_DENIED") == "GET http://bank/x?page=2&errorCode=ACCESS_DENIED"
    )
    assert r.url("http://bank/no-query") == "http://bank/no-query"


def test_form_fields() -> None:
    r = Redactor([SECRET])
    assert r.form({"client_secret": "cs", "note": SECRET, "grant_type": "authorization_code", "n": 3}) == {
        "client_secret": MASK,
        "note": MASK,
        "grant_type": "authorization_code",
        "n": "3",
    }


def test_concurrent_registration() -> None:
    r = Redactor()
    values = [f"value-{i:04d}" for i in range(100)]

    def worker(chunk: list[str]) -> None:
        for v in chunk:
            r.register(v)
            r.text(v)

    threads = [threading.Thread(target=worker, args=(values[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert r.text(" ".join(values)) == " ".join([MASK] * len(values))


# -- the memo of redacted texts ---------------------------------------------------------------


def test_a_text_redacted_before_a_value_is_registered_is_redacted_after() -> None:
    r = Redactor()
    text = "session AbCdEf123456 for psu-1"
    assert r.text(text) == text  # remembered unredacted
    r.register("AbCdEf123456")
    assert r.text(text) == f"session {MASK} for psu-1"
    r.register("k9z")  # a short value replaces the memo
    assert r.text("pin k9z, session AbCdEf123456") == f"pin {MASK}, session {MASK}"


def test_the_memo_rechecks_past_many_registrations() -> None:
    from harness.redaction import MEMO_RECHECK

    r = Redactor()
    text = "token tok-000042 and more"
    assert r.text(text) == text
    for i in range(MEMO_RECHECK * 3):
        r.register(f"tok-{i:06d}")
    assert r.text(text) == f"token {MASK} and more"
    assert r.text(text) == f"token {MASK} and more"  # and the remembered answer is the new one


def test_a_value_that_could_match_across_a_mask_is_never_skipped() -> None:
    r = Redactor(["k9z"])
    text = "x k9z yy"
    assert r.text(text) == f"x {MASK} yy"
    r.register(f"{MASK} yy")  # not in the text, only in what the short pass made of it
    assert r.text(text) == f"x {MASK}"


def test_the_memo_agrees_with_redaction_from_scratch() -> None:
    import random

    rng = random.Random(7)
    alphabet = "ab1/+%«»"
    r = Redactor()
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(300)]
    for _ in range(60):
        value = "".join(rng.choice(alphabet) for _ in range(rng.choice([3, 4, 6, 7, 9])))
        r.register(value)
        for text in rng.sample(texts, 40):
            assert r.text(text) == r._redact(text)
