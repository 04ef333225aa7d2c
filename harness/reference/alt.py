"""The `alt` dialect of the reference bank: the same rules, every open choice made otherwise.

`create_app(dialect="alt")` wraps the reference app (built with the same defects and a
whole-second clock) in this ASGI layer. The layer rewrites each request into the
reference's wiring and each answer into alt's; the rules stay where they are, in the
family modules, so a defect injected into the bank underneath acts on alt exactly as on
the reference. The dialect exists to prove the bundled suites assert rules, not the
reference's choices (shared notes: portability.md, "How to know it works"): every case
must give the same verdict here, described by the target file
`harness/targets/reference-alt.yaml` alone. What alt chooses differently, and why it may:

- Paths and methods (the contract: "paths, methods, header names ... are the bank's"):
  every operation of every family lives at another path, several under another method
  (`ROUTES`). The reference's own paths answer 404 here.
- Header names: stepup's `api-key` is `X-Api-Key`, workflow's `X-SCA-Token` is
  `X-Strong-Auth` (`HEADERS`); the reference names are not read at all.
- Parameter carriers ("where parameters travel (query, form, JSON)"): dedicated's
  authorize takes a form, its token exchange and account details a JSON body, its revoke
  a form; escalation's login takes JSON and its transactions a query string; workflow's
  transactions a JSON body (`Op.carry`).
- Fixtures (SBX-1 "fixes the facts a PSU comes with, not their names"): each family's
  new PSU, at `POST {family}/sandbox/test-users`, names and nests its facts its own way
  (`FIXTURES`), and the whole sandbox plane lives under `/sandbox`.
- Token field names: stepup's login answers `accessToken`; workflow keeps `token`
  (one family differs, the other not: a case reading the wrong one shows).
- Codes, messages and statuses where the contract names none (`ERROR_CODES`, `TEXTS`):
  other codes and texts; other statuses inside a class where the rule allows it (DED-1
  refuses with 403/422 instead of 401/400; ESC-8 answers 404 for another customer and
  403 for another customer's product, the reverse of the reference). Named codes and
  statuses (PSD2_SCA_REQUIRED, RETRY_IN_15SEC, WORKFLOW_ORDER, LOCKED, DED-3's 403,
  DED-5's 404, DED-2's message ...) pass unchanged. Texts are rewritten one-to-one, so
  two answers that differ on the reference differ on alt too (Art. 4(3)(a) cases).
- Extra fields and entries ("extra fields anywhere", "extra entries in message lists"):
  every JSON answer of a family operation carries a constant `meta` object (constant, so
  two equal answers stay equal); every escalation error envelope carries an INFO
  message first, before the one the rule names; dedicated errors other than DED-2 are
  Berlin-Group-like `{"tppMessages": [...]}` instead of `{"message"}`.
- Consent ("how the PSU consents on the bank's own pages"): dedicated's redirectUrl names
  the consent `authorisationId` (and the TPP `tpp`), not `requestId`/`x-request-id`; the
  PSU decides with `PUT /dedicated/v3/authorisations/{authorisationId}` and a JSON body
  `{"decision": "ACCEPT"|"REJECT", "psu": {"login", "password"}, "scopes": [...]}`, and
  the bank answers `303 See Other` to `redirect_uri?code=...`.
- Clock resolution ("whole seconds are common"): the clocks count whole seconds
  (harness/reference/clock.py explains how, so every limit holds at N - 1 s and N + 1 s).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from harness import jsonpointer
from harness.reference.refusal import Refusal

FAMILIES = ("escalation", "workflow", "stepup", "dedicated")
SANDBOX = "/sandbox"
"""alt's sandbox plane, under each family (the reference: `/__sandbox`)."""
NEW_PSU = SANDBOX + "/test-users"
META = {"dialect": "alt", "apiVersion": "2.4"}
"""Added to every JSON answer of a family operation. Constant on purpose: a per-answer id
here would make two otherwise equal answers differ, and a same-answer rule (Art. 4(3)(a))
is about what the bank tells, not about a trace id."""
INFO = {
    "code": "SUPPORT_REFERENCE",
    "message": "quote the requestId of this answer when you contact us",
    "type": "INFO",
}
"""The informational entry every escalation error envelope carries first (ESC-1 lists)."""
CODE_ERROR = "Entity not found or Invalid access code"  # DED-2, named by the contract: never rewritten

Params = dict[str, Any]


# -- one request, as it passes through the layer ---------------------------------------------
@dataclass
class Call:
    family: str
    op: Op
    base: str  # root path + /family, as the client addressed it
    path_params: dict[str, str]
    query: list[tuple[str, str]]
    body: bytes
    headers: list[tuple[bytes, bytes]]
    # what goes to the reference (filled from the above, then by the route's request hook)
    ref_query: str = ""
    ref_body: bytes = b""
    ref_type: str | None = None
    # what the reference answered (rewritten in place by the answer hooks)
    status: int = 0
    answer_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    data: Any = jsonpointer.MISSING
    raw: bytes = b""

    def params(self, carrier: str) -> Params:
        """The alt request's parameters from one carrier (`query`, `form` or `json`)."""
        if carrier == "query":
            return dict(self.query)
        if carrier == "form":
            return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        value = _json(self.body)
        return value if isinstance(value, dict) else {}

    def header(self, name: str) -> str | None:
        wanted = name.lower().encode()
        return next((v.decode("latin-1") for k, v in self.headers if k == wanted), None)


Hook = Callable[[Call], None]


@dataclass(frozen=True)
class Op:
    operation: str  # the operationId in specs/<family>.openapi.yaml or sandbox.openapi.yaml
    method: str  # alt's method and path (relative to /<family>)
    path: str
    ref_method: str  # the reference's, with the same path parameters
    ref_path: str
    carry: tuple[str, str] | None = None
    """(where alt takes the parameters, where the reference takes them); None: unchanged."""
    request: Hook | None = None  # builds the reference request itself (instead of `carry`)
    answer: Hook | None = None  # rewrites the answer before the family's error rewrite
    sandbox: bool = False  # a sandbox-plane operation: SBX-2/SBX-3 answers pass unchanged

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compile(self.path)


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return re.compile(regex + "$")


# -- small helpers --------------------------------------------------------------------------
def _json(raw: bytes) -> Any:
    if not raw.strip():
        return jsonpointer.MISSING
    try:
        return json.loads(raw)
    except ValueError:
        return jsonpointer.MISSING


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(_scalar(v) for v in value)
    return str(value)


def _reworded(text: str, texts: dict[str, str]) -> str:
    """alt's text for a reference text: its own wording, or a one-to-one rewording."""
    return texts.get(text) or f"request refused: {text}"


# -- fixtures (SBX-1): the same facts, other names and nesting ----------------------------------
@dataclass(frozen=True)
class Each:
    """A list: the template applied to every item of the list at `pointer`."""

    pointer: str
    template: Any


def render(template: Any, source: Any) -> Any:
    """A fixture template applied to the reference's answer: strings are JSON Pointers into
    it, dicts and lists are built, `Each` maps a list. Absent values are left out."""
    if isinstance(template, str):
        return jsonpointer.resolve(source, template)
    if isinstance(template, Each):
        items = jsonpointer.resolve(source, template.pointer)
        return [render(template.template, item) for item in items] if isinstance(items, list) else jsonpointer.MISSING
    if isinstance(template, list):
        return [v for v in (render(t, source) for t in template) if v is not jsonpointer.MISSING]
    out = {}
    for key, sub in template.items():
        value = render(sub, source)
        if value is not jsonpointer.MISSING:
            out[key] = value
    return out


BOOKING = {
    "ref": "/transactionId",
    "date": "/bookingDate",
    "value": "/amount",
    "currency": "/currency",
    "text": "/description",
}
FIXTURES: dict[str, Any] = {
    "stepup": {
        "id": "/psuId",
        "credentials": {"apiKey": "/apiKey", "login": {"email": "/email", "password": "/password"}},
        "contact": {"mobile": "/phone"},
        "enrolledChannels": "/channels",
        "otherChannels": ["/unenrolledChannel"],
        "testPayee": {"iban": "/payeeIban"},
        "managedAccounts": Each(
            "/accounts",
            {
                "accountId": "/id",
                "label": "/friendlyName",
                "iban": "/iban",
                "currency": "/currency",
                "available": "/balance",
                "history": Each("/transactions", BOOKING),
            },
        ),
    },
    "escalation": {
        "id": "/psuId",
        "customer": {"number": "/customerId", "contact": {"mobile": "/phone", "mail": "/email"}},
        "login": {"user": "/username", "secret": "/password"},
        "portfolio": Each(
            "/products", {"ref": "/productId", "kind": "/type", "label": "/name", "currency": "/currency"}
        ),
        "clients": Each("/tpps", {"id": "/clientId", "secret": "/clientSecret", "redirect_uri": "/redirectUri"}),
    },
    "workflow": {
        "id": "/psuId",
        "platform": {"id": "/platformUUID", "agent": {"login": "/agent/username", "secret": "/agent/password"}},
        "user": {"id": "/userUUID", "emailAddress": "/email", "mobileNumber": "/phone", "password": "/password"},
        "wallet": {
            "number": "/account/accountId",
            "iban": "/account/iban",
            "available": {"value": "/account/balance", "currency": "/account/currency"},
        },
        "payees": {"ibans": "/payeeIbans"},
    },
    "dedicated": {
        "id": "/psuId",
        "holder": "/name",
        "onlineBanking": {"username": "/username", "passphrase": "/password"},
        "bankAccounts": Each(
            "/accounts",
            {
                "number": "/id",
                "ibanCode": "/iban",
                "owner": "/name",
                "currency": "/currency",
                "available": "/balance",
                "bookings": Each("/transactions", BOOKING),
            },
        ),
        "apps": Each("/tpps", {"appId": "/clientId", "appSecret": "/secret", "callbackUrl": "/redirectUri"}),
    },
}


def _fixture(call: Call) -> None:
    if call.status == 201 and isinstance(call.data, dict):
        call.data = render(FIXTURES[call.family], call.data)


# -- errors: codes, texts and statuses the contract does not name ---------------------------------
ERROR_CODES: dict[str, dict[str, tuple[str, int | None]]] = {
    # family -> reference code -> (alt code, alt status or None to keep the reference's)
    "stepup": {
        "API_KEY_INVALID": ("APPLICATION_NOT_RECOGNISED", None),  # STP-1 names only the 401
        "TOKEN_INVALID": ("SESSION_NOT_ACTIVE", None),  # STP-1/STP-7: the 401 only
        "CREDENTIALS_INVALID": ("LOGIN_REJECTED", 403),  # STP-10 asks the same answer, not which
        "USER_NOT_FOUND": ("NO_SUCH_USER", None),  # only the login-reveals-email defect answers it
        "BAD_REQUEST": ("MALFORMED_BODY", 422),
        "CHANNEL_NOT_SUPPORTED": ("UNKNOWN_CHANNEL", 422),
        "ACCOUNT_NOT_FOUND": ("NO_SUCH_ACCOUNT", None),
        "TRANSFER_NOT_FOUND": ("NO_SUCH_WIRE", None),
        "STATE_INVALID": ("WIRE_NOT_AWAITING_CHALLENGE", None),
        "FUNDS_INSUFFICIENT": ("BALANCE_TOO_LOW", 422),
    },
    "workflow": {
        "UNAUTHORIZED": ("NOT_AUTHENTICATED", None),
        "FORBIDDEN": ("WRONG_PLATFORM_OR_USER", None),
        "NOT_FOUND": ("UNKNOWN_USER", None),
        "INVALID_REQUEST": ("VALIDATION_FAILED", 422),
        "INVALID_OTP": ("OTP_REJECTED", 422),  # WFL-5: "a second use is refused", no status named
        "INVALID_SECRET_CODE": ("SECRET_CODE_REJECTED", 422),  # WFL-5: "returns none"
        "INVALID_CREDENTIALS": ("LOGIN_REJECTED", None),
        "ALREADY_VALIDATED": ("SOURCE_ALREADY_VALIDATED", None),
        "WORKFLOW_INCOMPLETE": ("SCA_WORKFLOW_PENDING", None),
        "INSUFFICIENT_FUNDS": ("BALANCE_TOO_LOW", 422),
    },
    "escalation": {
        "PSD2_INVALID_TOKEN": ("ACCESS_TOKEN_REJECTED", None),
        "PSD2_FORBIDDEN": ("CUSTOMER_NOT_FOUND", 404),  # ESC-8 allows 403 or 404: the reference 403s
        "PSD2_PRODUCT_NOT_FOUND": ("PRODUCT_NOT_ACCESSIBLE", 403),  # ESC-8: the reference 404s
        "PSD2_PRODUCT_TYPE_NOT_SUPPORTED": ("INQUIRY_NOT_APPLICABLE", 422),
        "PSD2_INVALID_REQUEST": ("REQUEST_NOT_VALID", 422),
        "PSD2_SCA_NOT_FOUND": ("ESCALATION_UNKNOWN", None),
        "PSD2_SCA_ALREADY_COMPLETED": ("ESCALATION_CLOSED", None),
    },
}
TEXTS: dict[str, str] = {
    # reference text -> alt text (any other text is reworded one-to-one by `_reworded`)
    "a valid api-key header is required": "send the key of your application in X-Api-Key",
    "a valid auth token is required": "log in again: the session is unknown, ended or idle",
    "email or password is not valid": "the login was not accepted",
    "a new challenge may be requested 15 seconds after the previous one": "wait a moment before asking for a new code",
    "only one retry per session: log out and log in again": "no more codes in this session; start a new one",
    "the verification code is not valid": "that code does not match",
    "too many wrong codes: this challenge is void": "this challenge accepts no more codes",
    "the user has not enrolled this channel": "this channel is not set up for the user",
    "the statement needs a stepped-up token": "confirm with a one-time code to see the statement",
    "missing, invalid or expired bearer token": "authenticate first",
    "this token does not give access to this user": "the session belongs to another platform or user",
    "the code is wrong, expired or already used": "the one-time code was not accepted",
    "authentication failed": "the secret code was not accepted",
    "secret code locked after too many failures; reset secret_code": "the secret code is locked; reset it",
    "strong customer authentication required": "confirm with your secret code first",
    "invalid email or password": "the user login was not accepted",
    "invalid username or password": "the login was not accepted",
    "missing, invalid or expired access token": "the access token was not accepted",
    "the access token does not belong to this customer": "no such customer for this token",
    "no such product for this customer": "this product cannot be read with this token",
    "the OTP is wrong, expired or already used": "the one-time code was not accepted",
    "too many failed attempts: SCA is temporarily blocked": "strong authentication is blocked for now",
    "the authorization code is invalid, expired or already used": "the code cannot be exchanged",
    "client authentication failed": "the client could not be authenticated",
}
DEDICATED_ERRORS: list[tuple[str, str, str, int | None]] = [
    # reference text (prefix) -> alt code, alt text (the rest of the reference text is kept), alt status
    (
        "Unknown TPP client or invalid secret",
        "CLIENT_AUTHENTICATION_FAILED",
        "client id and secret do not match",
        403,
    ),  # DED-1: a 4xx; the reference answers 401
    ("redirect_uri is required", "REDIRECT_URI_MISSING", "a redirect_uri is required", 422),  # DED-1 (ref 400)
    (
        "redirect_uri is not registered for this client",
        "REDIRECT_URI_NOT_REGISTERED",
        "this redirect_uri is not registered",
        422,
    ),  # DED-1 (ref 400)
    ("Unknown scope: ", "SCOPE_UNKNOWN", "scope not offered: ", 422),  # DED-1 (ref 400)
    ("scope is required", "SCOPE_MISSING", "ask for at least one scope", 422),  # DED-1 (ref 400)
    (
        "Unknown or already used authorization request",
        "AUTHORISATION_UNKNOWN",
        "this authorisation is unknown or decided",
        410,
    ),
    (
        "Login temporarily blocked after too many failed attempts",
        "PSU_LOGIN_BLOCKED",
        "too many failed logins: try again later",
        None,
    ),
    ("Invalid username or password", "PSU_CREDENTIALS_REJECTED", "the login was not accepted", None),
    (
        "Client authentication required: secret is missing",
        "CLIENT_SECRET_MISSING",
        "send the client secret",
        403,
    ),  # DED-7: "refuses"; the reference answers 401
    ("Invalid client secret", "CLIENT_SECRET_WRONG", "the client secret does not match", 403),  # DED-7
    ("Invalid, expired or revoked access token", "TOKEN_NOT_ACTIVE", "the access token is not active", None),
    ("The token has no ", "CONSENT_SCOPE_MISSING", "the consent does not cover ", None),  # DED-3: 403 kept
    ("accountId is required", "ACCOUNT_ID_MISSING", "an accountId is required", 422),
    ("Account not found", "ACCOUNT_UNKNOWN", "no such account", None),  # DED-5: 404 kept
]


def family_error(family: str, status: int, code: str, text: str) -> tuple[int, dict[str, Any]]:
    """An error in alt's shape for `family` (outside every family, a bare `fault`).

    The one place that knows alt's envelopes: the refusals alt answers itself (unknown route,
    malformed consent decision) and the reference's errors it rewrites both come here."""
    if family == "stepup":
        return status, {"errorCode": code, "message": text, "meta": META}
    if family == "workflow":
        return status, {"code": code, "message": text, "meta": META}
    if family == "escalation":
        return status, {
            "result": {
                "requestId": str(uuid.uuid4()),
                "outcome": "ERROR",
                "flushMessages": True,
                "messages": [INFO, {"code": code, "message": text, "type": "ERROR"}],
            },
            "resources": {},
            "meta": META,
        }
    if family == "dedicated":
        return status, {"tppMessages": [{"category": "ERROR", "code": code, "text": text}], "meta": META}
    return status, {"fault": {"code": code, "text": text}}


def _coded_errors(code_key: str) -> Hook:
    """stepup `{"errorCode", "message"}` and workflow `{"code", "message"}`: other codes and texts."""

    def rewrite(call: Call) -> None:
        body = call.data
        if call.status < 400 or not isinstance(body, dict) or not isinstance(body.get(code_key), str):
            return
        alt_code, status = ERROR_CODES[call.family].get(body[code_key], (body[code_key], None))
        body[code_key] = alt_code
        if isinstance(body.get("message"), str):
            body["message"] = _reworded(body["message"], TEXTS)
        call.status = status or call.status

    return rewrite


def _escalation_errors(call: Call) -> None:
    """ESC-1 envelopes keep their shape; unnamed codes change, an INFO entry comes first.
    The OAuth endpoints' RFC 6749 errors keep `error` and their status; the text changes."""
    body = call.data
    if not isinstance(body, dict):
        return
    if isinstance(body.get("error"), str) and isinstance(body.get("error_description"), str):
        body["error_description"] = _reworded(body["error_description"], TEXTS)
        return
    result = body.get("result")
    if not isinstance(result, dict) or result.get("outcome") != "ERROR" or not isinstance(result.get("messages"), list):
        return
    messages = []
    for message in result["messages"]:
        if isinstance(message, dict) and isinstance(message.get("code"), str):
            alt_code, status = ERROR_CODES["escalation"].get(message["code"], (message["code"], None))
            message = {**message, "code": alt_code, "message": _reworded(str(message.get("message", "")), TEXTS)}
            if status and message.get("type") == "ERROR":
                call.status = status
        messages.append(message)
    result["messages"] = [INFO] + messages


def _dedicated_errors(call: Call) -> None:
    """`{"message"}` errors become `{"tppMessages": [...]}`, except DED-2's named one."""
    body = call.data
    if call.status < 400 or not isinstance(body, dict) or set(body) != {"message"}:
        return
    text = body["message"]
    if text == CODE_ERROR:
        return
    for prefix, code, alt_text, status in DEDICATED_ERRORS:
        if isinstance(text, str) and text.startswith(prefix):
            call.status = status or call.status
            call.data = family_error("dedicated", call.status, code, alt_text + text[len(prefix) :])[1]
            return
    call.data = family_error("dedicated", call.status, "REQUEST_REFUSED", _reworded(str(text), {}))[1]


FAMILY_ERRORS: dict[str, Hook] = {
    "stepup": _coded_errors("errorCode"),
    "workflow": _coded_errors("code"),
    "escalation": _escalation_errors,
    "dedicated": _dedicated_errors,
}


# -- per-route hooks ----------------------------------------------------------------------------
def _renamed(old: str, new: str) -> Hook:
    """A success answer's field under another name."""

    def rewrite(call: Call) -> None:
        if call.status < 300 and isinstance(call.data, dict) and old in call.data:
            call.data = {(new if k == old else k): v for k, v in call.data.items()}

    return rewrite


CONSENT_PAGE = "/v3/consent-page"
CONSENT_ID = "authorisationId"  # the reference's redirectUrl says requestId (soon x-request-id)
CONSENT_TPP = "tpp"  # ... and clientId


def _consent_url(call: Call) -> None:
    """The reference's redirectUrl, with alt's consent page and query parameter names."""
    if call.status != 200 or not isinstance(call.data, dict) or not isinstance(call.data.get("redirectUrl"), str):
        return
    url = urlsplit(call.data["redirectUrl"])
    query = dict(parse_qsl(url.query))
    request_id = query.get("x-request-id") or query.get("requestId") or ""
    client = query.get("clientId") or call.params("form").get("username", "")
    alt_query = urlencode({CONSENT_ID: request_id, CONSENT_TPP: client})
    call.data["redirectUrl"] = f"{url.scheme}://{url.netloc}{call.base}{CONSENT_PAGE}?{alt_query}"


def _consent_page_request(call: Call) -> None:
    request_id = dict(call.query).get(CONSENT_ID, "")
    call.ref_query = urlencode({"requestId": request_id, "x-request-id": request_id})


def _consent_page(call: Call) -> None:
    """alt's own page: the reference's names the reference's form, which alt does not take."""
    if call.status != 200 or call.data is not jsonpointer.MISSING:
        return
    html = call.raw.decode("utf-8", "replace")
    scopes = re.findall(r'name="scope" value="([^"]*)"', html)
    tpp = dict(call.query).get(CONSENT_TPP, "")
    decision = f"{call.base}/v3/authorisations/{quote(dict(call.query).get(CONSENT_ID, ''), safe='')}"
    items = "".join(f"<li>{s}</li>" for s in scopes)  # already escaped by the reference
    page = (
        f'<!doctype html>\n<html><head><meta charset="utf-8"><title>Authorise access</title></head><body>\n'
        f"<h1>{escape(tpp)} would like to access your accounts</h1>\n<ul>{items}</ul>\n"
        f"<p>Decide with <code>PUT {escape(decision)}</code> and a JSON body "
        '<code>{"decision": "ACCEPT" | "REJECT", "psu": {"login", "password"}, "scopes": [...]}</code>.</p>\n'
        "</body></html>\n"
    )
    call.raw = page.encode("utf-8")


def _consent_decision(call: Call) -> None:
    """alt's JSON decision -> the reference's consent form (approve, username, password, scope)."""
    body = call.params("json")
    decision = body.get("decision")
    if decision not in ("ACCEPT", "REJECT"):
        raise Refusal(400, "DECISION_INVALID", 'decision must be "ACCEPT" or "REJECT"')
    given = body.get("psu")
    psu = given if isinstance(given, dict) else {}
    request_id = call.path_params[CONSENT_ID]
    form = [
        ("requestId", request_id),
        ("x-request-id", request_id),
        ("username", _scalar(psu.get("login", ""))),
        ("password", _scalar(psu.get("password", ""))),
    ]
    approve = decision == "ACCEPT"
    if "scopes" in body:
        raw = body["scopes"]
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
            raise Refusal(400, "SCOPES_INVALID", "scopes is a list of scope names")
        names = [n for item in raw for n in item.split()]  # an item may be an RFC 6749 scope string
        approve = approve and bool(names)  # approving no scope at all is a refusal
        form += [("scope", " ".join(names))]
    form.append(("approve", "true" if approve else "false"))
    call.ref_body = urlencode(form).encode()
    call.ref_type = "application/x-www-form-urlencoded"


def _see_other(call: Call) -> None:
    if call.status == 302:
        call.status = 303


# -- the routes, per family -------------------------------------------------------------------
def _sandbox_ops() -> tuple[Op, ...]:
    return (
        Op("createSandboxPsu", "POST", NEW_PSU, "POST", "/__sandbox/psus", answer=_fixture, sandbox=True),
        Op("listSandboxMessages", "GET", SANDBOX + "/messages", "GET", "/__sandbox/messages", sandbox=True),
        Op("getPsuClock", "GET", SANDBOX + "/psus/{psuId}/clock", "GET", "/__sandbox/psus/{psuId}/clock", sandbox=True),
        Op(
            "advancePsuClock",
            "POST",
            SANDBOX + "/psus/{psuId}/clock/advance",
            "POST",
            "/__sandbox/psus/{psuId}/clock/advance",
            sandbox=True,
        ),
        Op("getBankClock", "GET", SANDBOX + "/clock", "GET", "/__sandbox/clock", sandbox=True),
        Op("advanceBankClock", "POST", SANDBOX + "/clock/advance", "POST", "/__sandbox/clock/advance", sandbox=True),
    )


_PRODUCT = "/api/v2/customers/{customerId}/products/{productId}"
_ESCALATION = "/api/v2/customers/{customerId}/escalations/{resourceId}"
_REF_PRODUCT = "/private/customers/{customerId}/products/{productId}"
_REF_SCA = "/private/customers/{customerId}/sca/{resourceId}"
_USER = "/v1/platforms/{platformUUID}/users/{userUUID}"
_REF_USER = "/platforms/{platformUUID}/users/{userUUID}"

ROUTES: dict[str, tuple[Op, ...]] = {
    "escalation": (
        Op("authorize", "POST", "/oauth2/authorise", "POST", "/oauth/authorize", carry=("json", "form")),
        Op("requestToken", "POST", "/oauth2/token", "POST", "/oauth/token"),  # RFC 6749 §4.1.3: a form
        Op("retrieveBalance", "GET", _PRODUCT + "/balance", "POST", _REF_PRODUCT + "/balance/retrieve"),
        Op(
            "retrieveTransactions",
            "GET",
            _PRODUCT + "/transactions",
            "POST",
            _REF_PRODUCT + "/transactions/retrieve",
            carry=("query", "json"),
        ),
        Op(
            "retrieveCreditCardTransactions",
            "POST",
            _PRODUCT + "/card-transactions/search",
            "POST",
            _REF_PRODUCT + "/creditCardsTransactions/retrieve",
        ),
        Op(
            "retrieveMoneyTransferHistory",
            "POST",
            _PRODUCT + "/transfers/search",
            "POST",
            _REF_PRODUCT + "/moneyTransfer/history/retrieve",
        ),
        Op("startScaChallenge", "POST", _ESCALATION + "/otp", "POST", _REF_SCA + "/challenge"),
        Op("verifyScaChallenge", "PUT", _ESCALATION + "/otp", "POST", _REF_SCA + "/verify"),
    ),
    "workflow": (
        Op("agentLogin", "POST", "/v1/agent/sessions", "POST", "/agents/login"),
        Op(
            "userLogin",
            "POST",
            "/v1/platforms/{platformUUID}/sessions",
            "POST",
            "/platforms/{platformUUID}/users/login",
        ),
        Op("getStrongAuthStatus", "GET", _USER + "/sca", "GET", _REF_USER + "/strong_auth/status"),
        Op("generateOtp", "POST", _USER + "/sca/otp", "POST", _REF_USER + "/strong_auth/otp/generate"),
        Op("verifyOtp", "POST", _USER + "/sca/otp/verification", "POST", _REF_USER + "/strong_auth/otp/verify"),
        Op("setupSecretCode", "PUT", _USER + "/sca/secret-code", "POST", _REF_USER + "/strong_auth/secret_code/setup"),
        Op(
            "verifySecretCode",
            "POST",
            _USER + "/sca/secret-code/verification",
            "POST",
            _REF_USER + "/strong_auth/secret_code/verify",
        ),
        Op(
            "resetStrongAuthSource",
            "DELETE",
            _USER + "/sca/{source}",
            "POST",
            _REF_USER + "/strong_auth/reset/{source}",
        ),
        Op("getBalance", "GET", _USER + "/wallet/balance", "GET", _REF_USER + "/balance"),
        Op(
            "listTransactions",
            "POST",
            _USER + "/wallet/transactions/search",
            "GET",
            _REF_USER + "/transactions",
            carry=("json", "query"),
        ),
        Op("addBeneficiary", "POST", _USER + "/payees", "POST", _REF_USER + "/beneficiaries"),
        Op("listBeneficiaries", "GET", _USER + "/payees", "GET", _REF_USER + "/beneficiaries"),
        Op("getPersonalData", "GET", _USER + "/profile", "GET", _REF_USER + "/personal_data"),
        Op("updatePersonalData", "PUT", _USER + "/profile", "PATCH", _REF_USER + "/personal_data"),
        Op("createTransfer", "POST", _USER + "/payments", "POST", _REF_USER + "/transfers"),
    ),
    "stepup": (
        Op(
            "loginWithPassword",
            "POST",
            "/v2/sessions",
            "POST",
            "/login_with_password",
            answer=_renamed("token", "accessToken"),
        ),
        Op("logout", "DELETE", "/v2/sessions/current", "POST", "/logout"),
        Op("issueStepupOtpChallenge", "POST", "/v2/step-up/{channel}", "POST", "/stepup/challenges/otp/{channel}"),
        Op(
            "verifyStepupOtpChallenge",
            "POST",
            "/v2/step-up/{channel}/verification",
            "POST",
            "/stepup/challenges/otp/{channel}/verify",
        ),
        Op("listManagedAccounts", "GET", "/v2/accounts", "GET", "/managed_accounts"),
        Op(
            "getManagedAccountStatement",
            "GET",
            "/v2/accounts/{id}/statement",
            "GET",
            "/managed_accounts/{id}/statement",
            answer=_renamed("entries", "lines"),
        ),
        Op("createOutgoingWireTransfer", "POST", "/v2/wires", "POST", "/outgoing_wire_transfers"),
        Op("getOutgoingWireTransfer", "GET", "/v2/wires/{id}", "GET", "/outgoing_wire_transfers/{id}"),
        Op(
            "issueOutgoingWireTransferOtpChallenge",
            "POST",
            "/v2/wires/{id}/challenge/{channel}",
            "POST",
            "/outgoing_wire_transfers/{id}/challenges/otp/{channel}",
        ),
        Op(
            "verifyOutgoingWireTransferOtpChallenge",
            "POST",
            "/v2/wires/{id}/challenge/{channel}/verification",
            "POST",
            "/outgoing_wire_transfers/{id}/challenges/otp/{channel}/verify",
        ),
    ),
    "dedicated": (
        Op(
            "authorize",
            "POST",
            "/v3/authorisations",
            "POST",
            "/api/tpp/authorize",
            carry=("form", "query"),
            answer=_consent_url,
        ),
        Op(
            "getConsentPage",
            "GET",
            CONSENT_PAGE,
            "GET",
            "/consent",
            request=_consent_page_request,
            answer=_consent_page,
        ),
        Op(
            "submitConsent",
            "PUT",
            "/v3/authorisations/{authorisationId}",
            "POST",
            "/consent",
            request=_consent_decision,
            answer=_see_other,
        ),
        Op("createToken", "POST", "/v3/token", "POST", "/api/client/token", carry=("json", "query")),
        Op("revokeToken", "POST", "/v3/token/revocation", "POST", "/api/client/token/revoke", carry=("form", "query")),
        Op("getAccounts", "GET", "/v3/accounts", "POST", "/api/tpp/accounts"),
        Op("getAccount", "POST", "/v3/accounts/details", "POST", "/api/tpp/account", carry=("json", "query")),
        Op("getBalance", "GET", "/v3/accounts/balance", "POST", "/api/tpp/account/balance"),
    ),
}
for _family in FAMILIES:
    ROUTES[_family] += _sandbox_ops()

HEADERS: dict[str, dict[str, str]] = {
    # family -> alt header name -> the reference's (lower case); the reference's own name is dropped
    "stepup": {"x-api-key": "api-key"},
    "workflow": {"x-strong-auth": "x-sca-token"},
}
_PATTERNS = {family: [(op, op.pattern) for op in ops] for family, ops in ROUTES.items()}


# -- the ASGI layer -----------------------------------------------------------------------------
class AltDialect:
    """ASGI app: alt's wiring outside, the reference bank (`inner`) inside."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.state = inner.state  # banks, clock and defects of the bank underneath

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path: str = scope["path"]
        family, _, rest = path.lstrip("/").partition("/")
        try:
            call = self._route(scope, family, "/" + rest, body)
            self._prepare(call)
        except Refusal as refusal:  # alt's own refusals: the reference bank never saw the request
            await _respond(send, *family_error(family, refusal.status, refusal.code, refusal.message))
            return
        await self._forward(scope, call)
        self._rewrite(call)
        headers = [(k, v) for k, v in call.answer_headers if k != b"content-length"]
        raw = call.raw if call.data is jsonpointer.MISSING else _dump(call.data)
        headers.append((b"content-length", str(len(raw)).encode()))
        await send({"type": "http.response.start", "status": call.status, "headers": headers})
        await send({"type": "http.response.body", "body": raw})

    # -- steps -------------------------------------------------------------------------------
    def _route(self, scope: dict[str, Any], family: str, rest: str, body: bytes) -> Call:
        """The operation `rest` (the path under `/<family>`) names, with the request's parts."""
        if family not in _PATTERNS:
            raise Refusal(404, "NO_SUCH_ROUTE", f"nothing at {scope['path']}")
        allowed = []
        for op, pattern in _PATTERNS[family]:
            match = pattern.match(rest)
            if match is None:
                continue
            if op.method != scope["method"]:
                allowed.append(op.method)
                continue
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            return Call(
                family=family,
                op=op,
                base=scope.get("root_path", "") + "/" + family,
                path_params=match.groupdict(),
                query=query,
                body=body,
                headers=list(scope.get("headers", [])),
            )
        if allowed:
            raise Refusal(405, "METHOD_NOT_ALLOWED", f"use {' or '.join(sorted(set(allowed)))}")
        raise Refusal(404, "NO_SUCH_ROUTE", f"nothing at {scope['path']}")

    @staticmethod
    def _prepare(call: Call) -> None:
        """The reference request's query and body: carried over, converted, or built by the route."""
        call.ref_query = urlencode(call.query)
        call.ref_body = call.body
        if call.op.request is not None:
            call.op.request(call)
        elif call.op.carry is not None:  # alt reads its carrier only: the reference's is ignored
            source, target = call.op.carry
            params = {k: _scalar(v) for k, v in call.params(source).items() if v is not None}
            call.ref_query, call.ref_body = "", b""
            if target == "query":
                call.ref_query = urlencode(params)
            elif target == "form":
                call.ref_body, call.ref_type = urlencode(params).encode(), "application/x-www-form-urlencoded"
            elif params:
                call.ref_body, call.ref_type = _dump(params), "application/json"

    async def _forward(self, scope: dict[str, Any], call: Call) -> None:
        renames = HEADERS.get(call.family, {})
        headers = []
        for name, value in call.headers:
            text = name.decode("latin-1")
            if text in renames.values():
                continue  # the reference's own header names mean nothing on alt
            if call.ref_type and name == b"content-type":
                continue  # the body was rebuilt in another carrier
            headers.append((renames.get(text, text).encode("latin-1"), value))
        if call.ref_type:
            headers.append((b"content-type", call.ref_type.encode()))
        headers = [(k, v) for k, v in headers if k != b"content-length"]
        headers.append((b"content-length", str(len(call.ref_body)).encode()))
        path = "/" + call.family + _fill(call.op.ref_path, call.path_params)
        inner = {
            **scope,
            "method": call.op.ref_method,
            "path": path,
            "raw_path": quote(path).encode(),
            "query_string": call.ref_query.encode("latin-1"),
            "headers": headers,
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": call.ref_body, "more_body": False}

        chunks: list[bytes] = []

        async def collect(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                call.status = message["status"]
                call.answer_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.inner(inner, receive, collect)
        call.raw = b"".join(chunks)
        content_type = next((v for k, v in call.answer_headers if k == b"content-type"), b"")
        call.data = _json(call.raw) if b"json" in content_type else jsonpointer.MISSING

    @staticmethod
    def _rewrite(call: Call) -> None:
        if call.op.answer is not None:
            call.op.answer(call)
        if call.op.sandbox:
            return
        FAMILY_ERRORS[call.family](call)
        if isinstance(call.data, dict):
            call.data = {**call.data, "meta": META}


def _fill(template: str, params: dict[str, str]) -> str:
    for name, value in params.items():
        template = template.replace("{" + name + "}", value)
    return template


async def _respond(send: Any, status: int, body: Any) -> None:
    raw = _dump(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": raw})
