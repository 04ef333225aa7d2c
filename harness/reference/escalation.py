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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NoReturn
from urllib.parse import parse_qsl, unquote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from harness.reference import sandbox
from harness.reference.escalation_defects import (
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
from harness.reference.refusal import Endpoint, Refusal

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
            with self.lock:  # refusals are rendered after the handler let go of the lock
                self._responses += 1
                return ALTERNATING_IDS[self._responses % 2]
        return new_id()

    def _envelope(
        self,
        status: int,
        resources: dict[str, Any] | None = None,
        messages: list[dict[str, str]] | None = None,
        flush: bool | None = None,
        headers: dict[str, str] | None = None,
    ) -> JSONResponse:
        """ESC-1: every `/private` answer, success or error."""
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

    # -- errors: the ESC-1 envelope on /private, RFC 6749 on the OAuth endpoints ------------
    def refused(self, refusal: Refusal) -> Response:
        """An ESC-1 error envelope; `extra` may name its `resources` and `flushMessages`."""
        message = {"code": refusal.code, "message": refusal.message, "type": "ERROR"}
        return self._envelope(
            refusal.status,
            refusal.extra.get("resources"),
            [message],
            refusal.extra.get("flushMessages"),
            dict(refusal.headers),
        )

    @staticmethod
    def oauth_refused(refusal: Refusal) -> Response:
        """RFC 6749 §5.2: `{"error", "error_description"}`, never cached."""
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache", **refusal.headers}
        return json_response({"error": refusal.code, "error_description": refusal.message}, refusal.status, headers)

    # -- authentication --------------------------------------------------------------------
    def _authenticate(self, request: Request) -> Token:
        given = bearer_token(request)
        token = self.tokens.get(_digest(given)) if given else None
        if token is not None and same_secret(given, token.token):
            if self._now(token.customer_id) - token.issued_at < self.regime["escalation_token_lifetime"]:
                return token
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        if BARE_401 in self.defects:
            raise Refusal(401, headers=headers, body={"error": "invalid_token"})
        raise Refusal(401, "PSD2_INVALID_TOKEN", "missing, invalid or expired access token", headers)

    @contextmanager
    def authenticated(self, request: Request) -> Iterator[Token]:
        """The request's access token, with the bank's state held for the handler's body."""
        with self.lock:
            yield self._authenticate(request)

    def _check_customer(self, token: Token, customer_id: str) -> Customer:
        if customer_id != token.customer_id and CROSS_CUSTOMER not in self.defects:
            raise Refusal(403, "PSD2_FORBIDDEN", "the access token does not belong to this customer")
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
                raise Refusal(400, "invalid_request", "unknown client_id")
            given_redirect = form.get("redirect_uri")
            if given_redirect is not None and given_redirect != client.redirect_uri:
                raise Refusal(400, "invalid_request", "redirect_uri is not registered for this client")
            redirect = client.redirect_uri
            state = form.get("state")
            sep = "&" if "?" in redirect else "?"
            response_type = form.get("response_type", "code")
            if response_type != "code":
                query = {"error": "unsupported_response_type"} | ({"state": state} if state is not None else {})
                return Response(status_code=302, headers={"Location": redirect + sep + urlencode(query)})
            customer = self._login(form)
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

    def _login(self, form: dict[str, str]) -> Customer:
        """ESC-9: the customer the form's username and password name; an unknown username and a
        wrong password get the same answer."""
        customer_id = self.usernames.get(form.get("username", ""))
        customer = self.customers.get(customer_id) if customer_id else None
        expected = customer.password if customer else "x" * 16  # same work for an unknown user
        if not (same_secret(form.get("password"), expected) and customer is not None):
            if customer is None and LOGIN_UNKNOWN_404 in self.defects:
                raise Refusal(404, "access_denied", "invalid username or password")
            if customer is None and LOGIN_REVEALS_USER in self.defects:
                raise Refusal(401, "access_denied", "unknown username")
            raise Refusal(401, "access_denied", "invalid username or password")
        return customer

    def _client(self, request: Request, form: dict[str, str]) -> Client:
        """RFC 6749 §2.3.1: the client of HTTP Basic credentials, else of `client_id`/`client_secret`."""
        client_id, secret = form.get("client_id"), form.get("client_secret")
        scheme, _, creds = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic" and creds:
            try:
                pair = base64.b64decode(creds.strip(), validate=True).decode("utf-8")
            except ValueError:
                pair = ""
            cid, _, csec = pair.partition(":")
            client_id, secret = unquote(cid), unquote(csec)
        client = self.clients.get(client_id or "")
        if client is None or not same_secret(secret, client.secret):
            raise Refusal(
                401, "invalid_client", "client authentication failed", {"WWW-Authenticate": 'Basic realm="escalation"'}
            )
        return client

    async def token(self, request: Request) -> Response:
        form = await _form(request)
        with self.lock:
            client = self._client(request, form)
            grant_type = form.get("grant_type")
            if not grant_type:
                raise Refusal(400, "invalid_request", "grant_type is required")
            if grant_type != "authorization_code":
                raise Refusal(400, "unsupported_grant_type", "only authorization_code is supported")
            given = form.get("code")
            if not given:
                raise Refusal(400, "invalid_request", "code is required")
            code = self.codes.get(_digest(given))
            if (
                code is None
                or not same_secret(given, code.code)
                or code.client_id != client.client_id
                or self._now(code.customer_id) - code.issued_at >= self.regime["session_idle"]
                or (code.redirect_given and form.get("redirect_uri") != code.redirect_uri)
                or (form.get("redirect_uri") is not None and form.get("redirect_uri") != code.redirect_uri)
            ):
                raise Refusal(400, "invalid_grant", "the authorization code is invalid, expired or already used")
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
    def inquiry(self, kind: str) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            with self.authenticated(request) as token:
                return self._inquire(request, token, kind, raw)

        return endpoint

    def _dates(self, raw: bytes, today: date, start: date) -> tuple[date, date]:
        body: Any = {}
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        if not isinstance(body, dict):
            raise Refusal(400, "PSD2_INVALID_REQUEST", "the body must be a JSON object")
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
            raise Refusal(400, "PSD2_INVALID_REQUEST", "dateFrom and dateTo must be ISO dates (YYYY-MM-DD)") from None
        if values[0] > values[1]:
            raise Refusal(400, "PSD2_INVALID_REQUEST", "dateFrom is after dateTo")
        return values[0], values[1]

    def _product(self, request: Request, token: Token, kind: str) -> Product:
        """ESC-8: the path's product, if the token's customer owns it and the inquiry serves its type."""
        customer_id = request.path_params["customerId"]
        self._check_customer(token, customer_id)
        product = self.products.get(request.path_params["productId"])
        if product is None or (product.customer_id != customer_id and FOREIGN_PRODUCT not in self.defects):
            raise Refusal(404, "PSD2_PRODUCT_NOT_FOUND", "no such product for this customer")
        if product.type not in SERVES[kind]:
            raise Refusal(400, "PSD2_PRODUCT_TYPE_NOT_SUPPORTED", "this inquiry does not apply to this product type")
        return product

    def _inquire(self, request: Request, token: Token, kind: str, raw: bytes) -> Response:
        product = self._product(request, token, kind)
        clock = self.psu_clock(token.customer_id)
        now = clock.time()
        today = clock.now().date()
        window = self.regime["recent_window"] // DAY - (1 if RECENT_WINDOW_SHORT in self.defects else 0)
        start = today - timedelta(days=window)
        date_from, date_to = (start, today) if kind == "balance" else self._dates(raw, today, start)
        old = date_from < start
        if not self._sca_serves(token, product, kind, old, now):
            esc = Escalation(
                new_id(), token.customer_id, token.client_id, product.product_id, "old" if old else "recent"
            )
            self.escalations[esc.resource_id] = esc
            raise Refusal(
                401 if SCA_REQUIRED_401 in self.defects else 403,
                "PSD2_SCA_REQUIRED",
                SCA_REQUIRED_TEXT,
                extra={
                    "resources": {"resourceId": esc.resource_id},
                    "flushMessages": SCA_REQUIRED_NO_FLUSH not in self.defects,
                },
            )
        return self._envelope(200, self._data(kind, product, date_from, date_to, today))

    def _sca_serves(self, token: Token, product: Product, kind: str, old: bool, now: float) -> bool:
        """ESC-4/5/6: whether the SCA on record serves this inquiry now (consuming a one-shot grant)."""
        key = self._sca_key(token.customer_id, token.client_id, product.product_id)
        one_shot = (
            old
            and OLD_SCA_REUSABLE not in self.defects
            and not (OLD_CARDS_EXEMPT in self.defects and kind in ("cards", "transfers"))
        )
        if not one_shot:
            last = self.sca.get(key)
            renewal = self.regime["sca_renewal"] - (DAY if SCA_EXPIRES_EARLY in self.defects else 0)
            return last is not None and (SCA_NEVER_EXPIRES in self.defects or now - last < renewal)
        granted = self.old_grants.get(key)
        if granted is not None and now - granted < self.regime["session_idle"]:
            del self.old_grants[key]  # one SCA serves one old-transactions request (ESC-5)
            if OLD_SCA_REUSABLE_30S in self.defects:
                self.old_reuse_until[key] = now + REUSE_SECONDS
            return True
        return now < self.old_reuse_until.get(key, now)  # esc-old-sca-reusable-30s: the used SCA serves again

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
    def _escalation(self, request: Request, token: Token) -> tuple[Customer, Escalation]:
        customer = self._check_customer(token, request.path_params["customerId"])
        esc = self.escalations.get(request.path_params["resourceId"])
        if esc is None or esc.customer_id != token.customer_id or esc.client_id != token.client_id:
            raise Refusal(404, "PSD2_SCA_NOT_FOUND", "no such escalation for this customer and client")
        return customer, esc

    def _check_unblocked(self, customer: Customer, now: float) -> None:
        if self._blocked(customer, now):
            raise Refusal(403, "PSD2_SCA_BLOCKED", "too many failed attempts: SCA is temporarily blocked")

    async def challenge(self, request: Request) -> Response:
        with self.authenticated(request) as token:
            customer, esc = self._escalation(request, token)
            clock = self.psu_clock(customer.customer_id)
            self._check_unblocked(customer, clock.time())
            if esc.verified:
                raise Refusal(409, "PSD2_SCA_ALREADY_COMPLETED", "this escalation is already completed")
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
        with self.authenticated(request) as token:
            customer, esc = self._escalation(request, token)
            now = self._now(customer.customer_id)
            self._check_unblocked(customer, now)
            live = esc.otp is not None and now - esc.otp_sent_at < self.regime["session_idle"]
            if not (live and same_secret(otp, esc.otp)):
                self._wrong_otp(customer, esc, now)
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

    def _wrong_otp(self, customer: Customer, esc: Escalation, now: float) -> NoReturn:
        """ESC-3/7: count the failure, block SCA at the limit, and refuse."""
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
        raise Refusal(
            401 if WRONG_OTP_401 in self.defects else 400,
            "PSD2_SCA_INVALID_OTP",
            "the OTP is wrong, expired or already used",
        )

    # -- routes ------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        customer = "/private/customers/{customerId}"
        product = customer + "/products/{productId}"
        oauth = self.oauth_refused
        inquiries = (
            ("/balance/retrieve", "balance", "retrieveBalance"),
            ("/transactions/retrieve", "transactions", "retrieveTransactions"),
            ("/creditCardsTransactions/retrieve", "cards", "retrieveCreditCardTransactions"),
            ("/moneyTransfer/history/retrieve", "transfers", "retrieveMoneyTransferHistory"),
        )
        return [
            self.route("/oauth/authorize", self.authorize, "POST", "authorize", envelope=oauth),
            self.route("/oauth/token", self.token, "POST", "requestToken", envelope=oauth),
            *(self.route(product + path, self.inquiry(kind), "POST", name) for path, kind, name in inquiries),
            self.route(customer + "/sca/{resourceId}/challenge", self.challenge, "POST", "startScaChallenge"),
            self.route(customer + "/sca/{resourceId}/verify", self.verify, "POST", "verifyScaChallenge"),
        ]
