"""escalation: token privilege escalation (ESC-1..ESC-9), after Mediobanca Premier's PSD2 inquiry APIs.

OAuth 2.0 authorization_code login with username and password (one factor) gives an
access token; the four inquiry APIs under `/private` answer `403 PSD2_SCA_REQUIRED` with
a `resourceId` when the data needs SCA, and the TPP escalates the token's privileges with
an SMS OTP (`…/sca/{resourceId}/challenge`, then `…/verify`). The SCA is recorded per
(customer, TPP client, product) on the PSU's clock: balance and the last 90 days are served
for `sca_renewal` after it; older transactions need a fresh SCA at every access (one-shot).
Every `/private` response is the ESC-1 envelope; the OAuth endpoints speak RFC 6749.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from harness.reference import sandbox
from harness.reference.escalation_defects import (  # noqa: F401  (importing registers them)
    ALTERNATING_REQUEST_ID,
    BARE_401,
    BLOCK_TOO_SHORT,
    BLOCKS_AFTER_SIX,
    COUNT_PER_ESCALATION,
    CROSS_CUSTOMER,
    EMPTY_TRANSACTIONS,
    FOREIGN_PRODUCT,
    LOGIN_REVEALS_USER,
    LOGIN_UNKNOWN_404,
    NEVER_BLOCKS,
    OLD_CARDS_EXEMPT,
    OLD_SCA_REUSABLE,
    OLD_SCA_REUSABLE_30S,
    OTP_REUSABLE,
    RECENT_WINDOW_SHORT,
    SCA_EXPIRES_EARLY,
    SCA_NEVER_EXPIRES,
    SCA_REQUIRED_401,
    SCA_REQUIRED_NO_FLUSH,
    SCA_SHARED_CLIENTS,
    SCA_SHARED_PRODUCTS,
    STATIC_REQUEST_ID,
    WRONG_OTP_401,
    WRONG_OTP_VOIDS,
)
from harness.reference.family import (
    FamilyBank,
    bearer_token,
    json_body,
    json_response,
    new_id,
    new_otp,
    new_token,
    same_secret,
    transaction_history,
)

FAMILY = "escalation"
DAY = 86_400

CURRENT_ACCOUNT = "CURRENT_ACCOUNT"
CREDIT_CARD = "CREDIT_CARD"
# which inquiry serves which product type
SERVES = {
    "balance": {CURRENT_ACCOUNT, CREDIT_CARD},
    "transactions": {CURRENT_ACCOUNT},
    "cards": {CREDIT_CARD},
    "transfers": {CURRENT_ACCOUNT},
}
SCA_REQUIRED_TEXT = (
    "The operation requires SCA: it's been too long since last customer SCA with current TPP "
    "and the response includes sensitive data"
)
STATIC_ID = "00000000-0000-4000-8000-000000000000"
ALTERNATING_IDS = ("00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b")
REUSE_SECONDS = 30  # esc-old-sca-reusable-30s: how long a used old-transactions SCA keeps serving


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass
class Customer:
    customer_id: str
    username: str
    password: str
    phone: str
    email: str
    opened: date
    failures: int = 0
    blocked_until: float | None = None


@dataclass
class Product:
    product_id: str
    customer_id: str
    type: str
    name: str


@dataclass
class Client:
    client_id: str
    secret: str
    redirect_uri: str


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    redirect_given: bool
    customer_id: str
    issued_at: float


@dataclass
class Token:
    token: str
    customer_id: str
    client_id: str
    issued_at: float


@dataclass
class Escalation:
    resource_id: str
    customer_id: str
    client_id: str
    product_id: str
    scope: str  # "recent" or "old"
    otp: str | None = None
    otp_sent_at: float = 0.0
    verified: bool = False
    failures: int = 0  # used only by the esc-attempts-per-escalation defect


async def _form(request: Request) -> dict[str, str]:
    raw = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(raw, keep_blank_values=True))


def _oauth_error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> JSONResponse:
    base = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    base.update(headers or {})
    return json_response({"error": error, "error_description": description}, status, base)


class _Refusal(Exception):
    """An envelope error answered from deep inside a handler."""

    def __init__(self, response: JSONResponse) -> None:
        self.response = response


class EscalationBank(FamilyBank):
    family = FAMILY

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customers: dict[str, Customer] = {}
        self.usernames: dict[str, str] = {}
        self.products: dict[str, Product] = {}
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, Code] = {}  # by sha256 of the code
        self.tokens: dict[str, Token] = {}  # by sha256 of the token
        self.escalations: dict[str, Escalation] = {}
        self.sca: dict[tuple[str, str, str], float] = {}  # last SCA per (customer, client, product)
        self.old_grants: dict[tuple[str, str, str], float] = {}  # one-shot old-transactions grants
        self.old_reuse_until: dict[tuple[str, str, str], float] = {}  # esc-old-sca-reusable-30s only
        self._serial = 0
        self._responses = 0  # esc-alternating-request-id only

    # -- SBX-1 ---------------------------------------------------------------------------
    def create_psu(self) -> dict[str, Any]:
        with self.lock:
            self._serial += 1
            n = self._serial
            customer_id = f"C{n:06d}{new_token(3).upper().replace('-', 'X').replace('_', 'Y')}"
            clock = self.new_psu_clock(customer_id)
            opened = clock.now().date() - timedelta(days=sandbox.history_days(self))
            customer = Customer(
                customer_id=customer_id,
                username=f"psu{n}-{new_token(4).lower()}",
                password=new_token(12),
                phone=f"+39333{n:07d}",
                email=f"psu{n}@escalation.example",
                opened=opened,
            )
            self.customers[customer_id] = customer
            self.usernames[customer.username] = customer_id
            products = []
            for idx, (kind, name) in enumerate(
                (
                    (CURRENT_ACCOUNT, "Conto corrente"),
                    (CURRENT_ACCOUNT, "Conto deposito"),
                    (CREDIT_CARD, "Carta di credito"),
                )
            ):
                pid = f"P{n:06d}{idx}"
                self.products[pid] = Product(pid, customer_id, kind, name)
                products.append({"productId": pid, "type": kind, "name": name, "currency": "EUR"})
            tpps = []
            for idx in range(2):
                client = Client(
                    f"tpp-{n}-{idx + 1}-{new_token(3)}", new_token(), f"https://tpp{idx + 1}.example/psu{n}/callback"
                )
                self.clients[client.client_id] = client
                tpps.append(
                    {"clientId": client.client_id, "clientSecret": client.secret, "redirectUri": client.redirect_uri}
                )
            return {
                "psuId": customer_id,
                "customerId": customer_id,
                "username": customer.username,
                "password": customer.password,
                "phone": customer.phone,
                "email": customer.email,
                "products": products,
                "tpps": tpps,
            }

    # -- helpers ---------------------------------------------------------------------------
    def _now(self, customer_id: str) -> float:
        return self.psu_clock(customer_id).time()

    def _request_id(self) -> str:
        if STATIC_REQUEST_ID in self.defects:
            return STATIC_ID
        if ALTERNATING_REQUEST_ID in self.defects:
            self._responses += 1
            return ALTERNATING_IDS[self._responses % 2]
        return new_id()

    def _envelope(
        self,
        status: int,
        resources: dict[str, Any] | None = None,
        messages: list | None = None,
        flush: bool | None = None,
        headers: dict[str, str] | None = None,
    ) -> JSONResponse:
        outcome = "SUCCESS" if status < 400 else "ERROR"
        body = {
            "result": {
                "requestId": self._request_id(),
                "outcome": outcome,
                "flushMessages": outcome == "ERROR" if flush is None else flush,
                "messages": messages or [],
            },
            "resources": resources or {},
        }
        return json_response(body, status, headers)

    def _error(self, status: int, code: str, message: str, resources: dict | None = None, **kw: Any) -> JSONResponse:
        return self._envelope(status, resources, [{"code": code, "message": message, "type": "ERROR"}], **kw)

    def _authenticate(self, request: Request) -> Token:
        given = bearer_token(request)
        token = self.tokens.get(_digest(given)) if given else None
        if token is not None and same_secret(given, token.token):
            if self._now(token.customer_id) - token.issued_at < self.regime["escalation_token_lifetime"]:
                return token
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        if BARE_401 in self.defects:
            raise _Refusal(json_response({"error": "invalid_token"}, 401, headers))
        raise _Refusal(
            self._error(401, "PSD2_INVALID_TOKEN", "missing, invalid or expired access token", headers=headers)
        )

    def _check_customer(self, token: Token, customer_id: str) -> Customer:
        if customer_id != token.customer_id and CROSS_CUSTOMER not in self.defects:
            raise _Refusal(self._error(403, "PSD2_FORBIDDEN", "the access token does not belong to this customer"))
        return self.customers[token.customer_id]

    def _sca_key(self, customer_id: str, client_id: str, product_id: str) -> tuple[str, str, str]:
        if SCA_SHARED_CLIENTS in self.defects:
            client_id = "*"
        if SCA_SHARED_PRODUCTS in self.defects:
            product_id = "*"
        return (customer_id, client_id, product_id)

    def _blocked(self, customer: Customer, now: float) -> bool:
        if customer.blocked_until is None:
            return False
        if now < customer.blocked_until:
            return True
        customer.blocked_until = None  # the block is over: a fresh count of attempts
        customer.failures = 0
        return False

    # -- OAuth 2.0 (RFC 6749) -------------------------------------------------------------
    async def authorize(self, request: Request) -> Response:
        form = await _form(request)
        with self.lock:
            client = self.clients.get(form.get("client_id", ""))
            if client is None:
                return _oauth_error(400, "invalid_request", "unknown client_id")
            given_redirect = form.get("redirect_uri")
            if given_redirect is not None and given_redirect != client.redirect_uri:
                return _oauth_error(400, "invalid_request", "redirect_uri is not registered for this client")
            redirect = client.redirect_uri
            state = form.get("state")
            sep = "&" if "?" in redirect else "?"
            response_type = form.get("response_type", "code")
            if response_type != "code":
                query = {"error": "unsupported_response_type"} | ({"state": state} if state is not None else {})
                return Response(status_code=302, headers={"Location": redirect + sep + urlencode(query)})
            customer_id = self.usernames.get(form.get("username", ""))
            customer = self.customers.get(customer_id) if customer_id else None
            expected = customer.password if customer else "x" * 16  # same work for an unknown user
            if not (same_secret(form.get("password"), expected) and customer is not None):
                if customer is None and LOGIN_UNKNOWN_404 in self.defects:
                    return _oauth_error(404, "access_denied", "invalid username or password")
                if customer is None and LOGIN_REVEALS_USER in self.defects:
                    return _oauth_error(401, "access_denied", "unknown username")
                return _oauth_error(401, "access_denied", "invalid username or password")
            code = new_token()
            self.codes[_digest(code)] = Code(
                code,
                client.client_id,
                redirect,
                given_redirect is not None,
                customer.customer_id,
                self._now(customer.customer_id),
            )
            query = {"code": code} | ({"state": state} if state is not None else {})
            return Response(
                status_code=302, headers={"Location": redirect + sep + urlencode(query), "Cache-Control": "no-store"}
            )

    async def token(self, request: Request) -> Response:
        form = await _form(request)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        scheme, _, creds = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic" and creds:
            try:
                pair = base64.b64decode(creds.strip(), validate=True).decode("utf-8")
            except ValueError:
                pair = ""
            cid, _, csec = pair.partition(":")
            client_id, secret = unquote(cid), unquote(csec)
        with self.lock:
            client = self.clients.get(client_id or "")
            if client is None or not same_secret(secret, client.secret):
                return _oauth_error(
                    401,
                    "invalid_client",
                    "client authentication failed",
                    {"WWW-Authenticate": 'Basic realm="escalation"'},
                )
            grant_type = form.get("grant_type")
            if not grant_type:
                return _oauth_error(400, "invalid_request", "grant_type is required")
            if grant_type != "authorization_code":
                return _oauth_error(400, "unsupported_grant_type", "only authorization_code is supported")
            given = form.get("code")
            if not given:
                return _oauth_error(400, "invalid_request", "code is required")
            code = self.codes.get(_digest(given))
            if (
                code is None
                or not same_secret(given, code.code)
                or code.client_id != client.client_id
                or self._now(code.customer_id) - code.issued_at >= self.regime["session_idle"]
                or (code.redirect_given and form.get("redirect_uri") != code.redirect_uri)
                or (form.get("redirect_uri") is not None and form.get("redirect_uri") != code.redirect_uri)
            ):
                return _oauth_error(400, "invalid_grant", "the authorization code is invalid, expired or already used")
            del self.codes[_digest(given)]  # single use
            access = new_token(32)
            self.tokens[_digest(access)] = Token(
                access, code.customer_id, client.client_id, self._now(code.customer_id)
            )
            lifetime = self.regime["escalation_token_lifetime"]
            return json_response(
                {"access_token": access, "token_type": "Bearer", "expires_in": lifetime},
                200,
                {"Cache-Control": "no-store", "Pragma": "no-cache"},
            )

    # -- inquiry APIs (ESC-1, 2, 4, 5, 6, 8) ------------------------------------------------
    def inquiry(self, kind: str):
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            with self.lock:
                try:
                    return self._inquire(request, kind, raw)
                except _Refusal as refusal:
                    return refusal.response

        return endpoint

    def _dates(self, raw: bytes, today: date, start: date) -> tuple[date, date]:
        body: Any = {}
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        if not isinstance(body, dict):
            raise _Refusal(self._error(400, "PSD2_INVALID_REQUEST", "the body must be a JSON object"))
        try:
            values = []
            for key, default in (("dateFrom", start), ("dateTo", today)):
                value = body.get(key)
                if value is None:
                    values.append(default)
                elif isinstance(value, str) and len(value) == 10:
                    values.append(date.fromisoformat(value))
                else:
                    raise ValueError(key)
        except ValueError:
            raise _Refusal(
                self._error(400, "PSD2_INVALID_REQUEST", "dateFrom and dateTo must be ISO dates (YYYY-MM-DD)")
            ) from None
        if values[0] > values[1]:
            raise _Refusal(self._error(400, "PSD2_INVALID_REQUEST", "dateFrom is after dateTo"))
        return values[0], values[1]

    def _inquire(self, request: Request, kind: str, raw: bytes) -> Response:
        token = self._authenticate(request)
        customer_id = request.path_params["customerId"]
        self._check_customer(token, customer_id)
        product = self.products.get(request.path_params["productId"])
        if product is None or (product.customer_id != customer_id and FOREIGN_PRODUCT not in self.defects):
            raise _Refusal(self._error(404, "PSD2_PRODUCT_NOT_FOUND", "no such product for this customer"))
        if product.type not in SERVES[kind]:
            raise _Refusal(
                self._error(400, "PSD2_PRODUCT_TYPE_NOT_SUPPORTED", "this inquiry does not apply to this product type")
            )
        clock = self.psu_clock(token.customer_id)
        now = clock.time()
        today = clock.now().date()
        window = self.regime["recent_window"] // DAY - (1 if RECENT_WINDOW_SHORT in self.defects else 0)
        start = today - timedelta(days=window)
        date_from, date_to = (start, today) if kind == "balance" else self._dates(raw, today, start)
        old = date_from < start
        key = self._sca_key(token.customer_id, token.client_id, product.product_id)
        one_shot = (
            old
            and OLD_SCA_REUSABLE not in self.defects
            and not (OLD_CARDS_EXEMPT in self.defects and kind in ("cards", "transfers"))
        )
        if one_shot:
            granted = self.old_grants.get(key)
            allowed = granted is not None and now - granted < self.regime["session_idle"]
            if allowed:
                del self.old_grants[key]  # one SCA serves one old-transactions request (ESC-5)
                if OLD_SCA_REUSABLE_30S in self.defects:
                    self.old_reuse_until[key] = now + REUSE_SECONDS
            elif now < self.old_reuse_until.get(key, now):
                allowed = True  # esc-old-sca-reusable-30s: the used SCA serves again
        else:
            last = self.sca.get(key)
            renewal = self.regime["sca_renewal"] - (DAY if SCA_EXPIRES_EARLY in self.defects else 0)
            allowed = last is not None and (SCA_NEVER_EXPIRES in self.defects or now - last < renewal)
        if not allowed:
            esc = Escalation(
                new_id(), token.customer_id, token.client_id, product.product_id, "old" if old else "recent"
            )
            self.escalations[esc.resource_id] = esc
            return self._error(
                401 if SCA_REQUIRED_401 in self.defects else 403,
                "PSD2_SCA_REQUIRED",
                SCA_REQUIRED_TEXT,
                {"resourceId": esc.resource_id},
                flush=SCA_REQUIRED_NO_FLUSH not in self.defects,
            )
        return self._envelope(200, self._data(kind, product, date_from, date_to, today))

    def _data(self, kind: str, product: Product, date_from: date, date_to: date, today: date) -> dict[str, Any]:
        opened = self.customers[product.customer_id].opened
        if kind == "balance":
            rows = transaction_history(product.product_id, opened, today)
            total = sum((Decimal(r["amount"]) for r in rows), Decimal("5000.00"))
            return {
                "productId": product.product_id,
                "type": product.type,
                "date": today.isoformat(),
                "balance": {"amount": f"{total:.2f}", "currency": "EUR"},
            }
        every = 7 if kind == "transfers" else 5
        rows = [
            r
            for r in transaction_history(product.product_id, opened, today, every)
            if date_from.isoformat() <= r["bookingDate"] <= date_to.isoformat()
        ]
        if EMPTY_TRANSACTIONS in self.defects:
            rows = []
        out: dict[str, Any] = {
            "productId": product.product_id,
            "dateFrom": date_from.isoformat(),
            "dateTo": date_to.isoformat(),
        }
        if kind == "transfers":
            out["transfers"] = [
                {
                    "transferId": r["transactionId"],
                    "executionDate": r["bookingDate"],
                    "amount": r["amount"].lstrip("-"),
                    "currency": r["currency"],
                    "beneficiaryName": f"Beneficiary {i % 7 + 1}",
                    "description": r["description"],
                }
                for i, r in enumerate(rows)
            ]
        else:
            out["transactions"] = rows
        return out

    # -- privilege escalation (ESC-3, 7, 8) ------------------------------------------------
    def _escalation(self, request: Request) -> tuple[Token, Customer, Escalation]:
        token = self._authenticate(request)
        customer = self._check_customer(token, request.path_params["customerId"])
        esc = self.escalations.get(request.path_params["resourceId"])
        if esc is None or esc.customer_id != token.customer_id or esc.client_id != token.client_id:
            raise _Refusal(self._error(404, "PSD2_SCA_NOT_FOUND", "no such escalation for this customer and client"))
        return token, customer, esc

    def _blocked_answer(self) -> JSONResponse:
        return self._error(403, "PSD2_SCA_BLOCKED", "too many failed attempts: SCA is temporarily blocked")

    async def challenge(self, request: Request) -> Response:
        with self.lock:
            try:
                _, customer, esc = self._escalation(request)
            except _Refusal as refusal:
                return refusal.response
            clock = self.psu_clock(customer.customer_id)
            if self._blocked(customer, clock.time()):
                return self._blocked_answer()
            if esc.verified:
                return self._error(409, "PSD2_SCA_ALREADY_COMPLETED", "this escalation is already completed")
            esc.otp, esc.otp_sent_at = new_otp(), clock.time()
            self.outbox.send("sms", customer.phone, esc.otp, clock.now())
            return self._envelope(
                200,
                {
                    "resourceId": esc.resource_id,
                    "channel": "sms",
                    "phone": "*" * (len(customer.phone) - 3) + customer.phone[-3:],
                    "expiresIn": self.regime["session_idle"],
                },
            )

    async def verify(self, request: Request) -> Response:
        otp = (await json_body(request)).get("otp")
        with self.lock:
            try:
                _, customer, esc = self._escalation(request)
            except _Refusal as refusal:
                return refusal.response
            now = self._now(customer.customer_id)
            if self._blocked(customer, now):
                return self._blocked_answer()
            live = esc.otp is not None and now - esc.otp_sent_at < self.regime["session_idle"]
            if live and same_secret(otp, esc.otp):
                customer.failures = esc.failures = 0
                esc.verified = True
                if OTP_REUSABLE not in self.defects:
                    esc.otp = None  # Art. 4(1): accepted once
                key = self._sca_key(esc.customer_id, esc.client_id, esc.product_id)
                self.sca[key] = now
                if esc.scope == "old":
                    self.old_grants[key] = now
                return self._envelope(
                    200,
                    {
                        "resourceId": esc.resource_id,
                        "productId": esc.product_id,
                        "scaStatus": "FINALISED",
                        "scope": esc.scope,
                    },
                )
            counter = esc if COUNT_PER_ESCALATION in self.defects else customer
            counter.failures += 1
            limit = self.regime["max_failed_attempts"] + (1 if BLOCKS_AFTER_SIX in self.defects else 0)
            if counter.failures >= limit and NEVER_BLOCKS not in self.defects:
                block = self.regime["sca_block"] // (2 if BLOCK_TOO_SHORT in self.defects else 1)
                customer.blocked_until = now + block
                customer.failures = 0
                for other in self.escalations.values():
                    if other.customer_id == customer.customer_id:
                        other.otp, other.failures = None, 0  # a new challenge is needed after the block
            if WRONG_OTP_VOIDS in self.defects:
                esc.otp = None
            return self._error(
                401 if WRONG_OTP_401 in self.defects else 400,
                "PSD2_SCA_INVALID_OTP",
                "the OTP is wrong, expired or already used",
            )

    # -- routes ------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        base = "/private/customers/{customerId}"
        product = base + "/products/{productId}"
        return [
            Route("/oauth/authorize", self.authorize, methods=["POST"], name="authorize"),
            Route("/oauth/token", self.token, methods=["POST"], name="requestToken"),
            Route(product + "/balance/retrieve", self.inquiry("balance"), methods=["POST"], name="retrieveBalance"),
            Route(
                product + "/transactions/retrieve",
                self.inquiry("transactions"),
                methods=["POST"],
                name="retrieveTransactions",
            ),
            Route(
                product + "/creditCardsTransactions/retrieve",
                self.inquiry("cards"),
                methods=["POST"],
                name="retrieveCreditCardTransactions",
            ),
            Route(
                product + "/moneyTransfer/history/retrieve",
                self.inquiry("transfers"),
                methods=["POST"],
                name="retrieveMoneyTransferHistory",
            ),
            Route(base + "/sca/{resourceId}/challenge", self.challenge, methods=["POST"], name="startScaChallenge"),
            Route(base + "/sca/{resourceId}/verify", self.verify, methods=["POST"], name="verifyScaChallenge"),
        ]
