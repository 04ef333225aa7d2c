"""The dedicated family: a PSD2 dedicated interface with an OAuth-style consent (DED-1..7).

Source: seed 003 (MultiPass dedicated interface). Parameters travel in the query string of
`POST` requests, as in the source; the source's table swaps two descriptions, and here
`accessCode` is the authorization code and `clientId` the TPP's id.

Flow: the TPP calls `POST /api/tpp/authorize` and sends the PSU to the `redirectUrl` it
gets (the consent page, shaped as the source's example: `…/consent?clientId=<TPP client
id>&x-request-id=<request id>`); the PSU logs in there and approves a subset of the scopes
(the consent form carries the request id in the field `requestId`, the reference's own name:
the source names no form field);
`POST /consent` redirects to the TPP's `redirect_uri?code=…`; the TPP exchanges the code at
`POST /api/client/token` and reads `/api/tpp/accounts`, `/api/tpp/account` and
`/api/tpp/account/balance` with `Authorization: Bearer`.

Every error of the family is `{"message": "..."}` except the source's revoke answer
(`{"status": "failure"}`). Time is read through the PSU's clock only.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from harness.reference import sandbox
from harness.reference.dedicated_defects import (
    ANY_REDIRECT_URI,
    BALANCE_WITHOUT_SCOPE,
    CODE_REUSABLE,
    CODE_WRONG_ERROR,
    EMPTY_ACCOUNT_LIST,
    EXPIRY_NOT_ENFORCED,
    FOREIGN_ACCOUNT,
    IGNORES_SECRET,
    REVOKE_IGNORED,
    REVOKE_TWICE_SUCCESS,
    SCOPE_AS_REQUESTED,
    TEN_YEAR_TOKEN,
    TOKEN_WITHOUT_SECRET,
    UNKNOWN_SCOPE,
)
from harness.reference.family import (
    FamilyBank,
    bearer_token,
    json_response,
    new_id,
    new_token,
    same_secret,
    transaction_history,
)
from harness.reference.refusal import Refusal

FAMILY = "dedicated"
SCOPES = ("account.list", "account.details", "account.balance")
CODE_ERROR = "Entity not found or Invalid access code"
# The consent page URL's query parameter naming the authorization request (the source's), and
# the consent form's field carrying it (the reference's own: the source names no form field).
REQUEST_ID_PARAM = "x-request-id"
REQUEST_ID_FIELD = "requestId"
SOURCE_EXPIRES_IN = 315_360_000  # the source's own example (ten years); only the DED-6 defect answers it


# -- state -------------------------------------------------------------------------------
@dataclass
class Tpp:
    client_id: str
    secret: str
    redirect_uri: str


@dataclass
class Account:
    id: int
    iban: str
    name: str
    currency: str
    balance: float


@dataclass
class Psu:
    psu_id: str
    username: str
    password: str
    name: str
    accounts: list[Account]
    opened: Any  # date: transactions start here (history_days before creation, PSU clock)
    failed_logins: int = 0
    blocked_until: float | None = None


@dataclass
class AuthRequest:
    request_id: str
    client_id: str
    scopes: list[str]
    redirect_uri: str
    state: str | None
    used: bool = False
    failed_logins: int = 0


@dataclass
class Code:
    client_id: str
    psu_id: str
    scopes: list[str]
    issued_at: float
    used: bool = False


@dataclass
class Token:
    psu_id: str
    client_id: str
    scopes: list[str]
    issued_at: float
    lifetime: int
    revoked: bool = False


def _scope_list(raw: str | None) -> list[str]:
    """Space-separated scope names, order kept, duplicates dropped."""
    seen: list[str] = []
    for name in (raw or "").split():
        if name not in seen:
            seen.append(name)
    return seen


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _iban(n: int) -> str:
    """A GB IBAN with valid ISO 13616 check digits (bank code SBOX)."""
    bban = f"SBOX{n:014d}"[-18:]
    numeric = "".join(str(int(ch, 36)) for ch in bban + "GB00")
    return f"GB{98 - int(numeric) % 97:02d}{bban}"


class DedicatedBank(FamilyBank):
    family = FAMILY

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._psus: dict[str, Psu] = {}
        self._by_username: dict[str, Psu] = {}
        self._tpps: dict[str, Tpp] = {}
        self._accounts: dict[int, tuple[str, Account]] = {}  # account id -> (owner psuId, account)
        self._requests: dict[str, AuthRequest] = {}
        self._codes: dict[str, Code] = {}
        self._tokens: dict[str, Token] = {}

    # -- SBX-1 -------------------------------------------------------------------------
    def _new_account_id(self) -> int:
        while True:
            candidate = 10_000_000_000 + secrets.randbelow(90_000_000_000)
            if candidate not in self._accounts:
                return candidate

    def create_psu(self) -> dict[str, Any]:
        psu_id = new_id()
        clock = self.new_psu_clock(psu_id)
        short = psu_id.split("-")[0]
        today = clock.now().date()
        opened = today - timedelta(days=sandbox.history_days(self))
        with self.lock:
            name = f"Sandbox PSU {short}"
            accounts = []
            for currency, balance in (("EUR", 1250.40), ("EUR", 87.15)):
                account_id = self._new_account_id()
                account = Account(account_id, _iban(account_id), name, currency, balance)
                self._accounts[account_id] = (psu_id, account)
                accounts.append(account)
            psu = Psu(psu_id, f"psu-{short}", new_token(12), name, accounts, opened)
            self._psus[psu_id] = psu
            self._by_username[psu.username] = psu
            tpps = []
            for n in (1, 2):
                client_id = f"tpp-{short}-{n}-{secrets.token_hex(3)}"
                tpp = Tpp(client_id, new_token(), f"https://tpp{n}.example/callback/{client_id}")
                self._tpps[client_id] = tpp
                tpps.append(tpp)
        return {
            "psuId": psu_id,
            "username": psu.username,
            "password": psu.password,
            "name": name,
            "accounts": [
                {
                    "id": a.id,
                    "iban": a.iban,
                    "name": a.name,
                    "currency": a.currency,
                    "balance": a.balance,
                    "transactions": transaction_history(str(a.id), opened, today),
                }
                for a in accounts
            ],
            "tpps": [{"clientId": t.client_id, "secret": t.secret, "redirectUri": t.redirect_uri} for t in tpps],
        }

    # -- helpers ---------------------------------------------------------------------------
    def _now(self, psu_id: str) -> float:
        return self.psu_clock(psu_id).time()

    def _lifetime(self) -> int:
        if TEN_YEAR_TOKEN in self.defects:
            return SOURCE_EXPIRES_IN
        return self.regime["consent_token_max_lifetime"]

    def _active_token(self, raw: str | None) -> Token | None:
        """The token if it is usable now: known, not revoked, not expired (DED-4, DED-6)."""
        if not raw:
            return None
        token = self._tokens.get(raw)
        if token is None:
            return None
        if token.revoked and REVOKE_IGNORED not in self.defects:
            return None
        elapsed = self._now(token.psu_id) - token.issued_at
        if elapsed >= token.lifetime and EXPIRY_NOT_ENFORCED not in self.defects:
            return None
        return token

    # -- endpoints -------------------------------------------------------------------------
    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        client_id = q.get("username")
        redirect_uri = q.get("redirect_uri")
        with self.lock:
            tpp = self._tpps.get(client_id or "")
            secret_ok = tpp is not None and same_secret(q.get("secret"), tpp.secret)
            if tpp is None or not (secret_ok or IGNORES_SECRET in self.defects):
                raise Refusal(401, message="Unknown TPP client or invalid secret")
            if not redirect_uri:
                raise Refusal(400, message="redirect_uri is required")
            if redirect_uri != tpp.redirect_uri and ANY_REDIRECT_URI not in self.defects:
                raise Refusal(400, message="redirect_uri is not registered for this client")
            scopes = _scope_list(q.get("scope"))
            unknown = [s for s in scopes if s not in SCOPES]
            if unknown and UNKNOWN_SCOPE in self.defects:
                scopes = [s for s in scopes if s in SCOPES]
                unknown = []
            if unknown:
                raise Refusal(400, message=f"Unknown scope: {' '.join(unknown)}")
            if not scopes:
                raise Refusal(400, message="scope is required")
            request_id = new_token(15)
            self._requests[request_id] = AuthRequest(request_id, tpp.client_id, scopes, redirect_uri, q.get("state"))
        # An absolute URL on the request's own base, so it works in process and served.
        path = request.url.path
        suffix = "/api/tpp/authorize"
        prefix = path[: -len(suffix)] if path.endswith(suffix) else ""
        # The source's shape: `https://frontend_redirect.url?clientId=username__1&x-request-id=…`.
        query = urlencode({"clientId": tpp.client_id, REQUEST_ID_PARAM: request_id})
        consent = request.url.replace(path=f"{prefix}/consent", query=query)
        return json_response({"redirectUrl": str(consent)})

    async def consent_page(self, request: Request) -> Response:
        request_id = request.query_params.get(REQUEST_ID_PARAM, "")
        with self.lock:
            auth = self._requests.get(request_id)
            if auth is None or auth.used:
                raise Refusal(404, message="Unknown or already used authorization request")
            client_id, scopes = auth.client_id, list(auth.scopes)
        boxes = "\n".join(
            f'<label><input type="checkbox" name="scope" value="{html.escape(s)}" checked> {html.escape(s)}</label><br>'
            for s in scopes
        )
        page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Consent</title></head><body>
<h1>{html.escape(client_id)} asks for access to your accounts</h1>
<form method="post" action="{html.escape(request.url.path)}">
<input type="hidden" name="{REQUEST_ID_FIELD}" value="{html.escape(request_id)}">
<label>Username <input name="username" autocomplete="username"></label><br>
<label>Password <input type="password" name="password" autocomplete="current-password"></label><br>
{boxes}
<button type="submit" name="approve" value="true">Approve</button>
<button type="submit" name="approve" value="false">Deny</button>
</form></body></html>
"""
        return HTMLResponse(page)

    async def consent(self, request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)

        def one(name: str) -> str | None:
            values = form.get(name)
            return values[0] if values else None

        request_id = one(REQUEST_ID_FIELD) or ""
        approve = (one("approve") or "").lower()
        with self.lock:
            auth = self._requests.get(request_id)
            if auth is None or auth.used:
                raise Refusal(404, message="Unknown or already used authorization request")
            if approve != "true":
                # Deny (or no explicit approval): the PSU may cancel without logging in.
                auth.used = True
                return self._redirect(auth, {"error": "access_denied"})
            psu = self._psu_login(one("username") or "", one("password"))
            raw_scope = " ".join(v for v in form.get("scope", []) if v.strip())
            if raw_scope:
                approved = [s for s in _scope_list(raw_scope) if s in auth.scopes]
            else:
                approved = list(auth.scopes)
            auth.used = True
            if not approved:
                return self._redirect(auth, {"error": "access_denied"})
            granted = list(auth.scopes) if SCOPE_AS_REQUESTED in self.defects else approved
            code = new_token()
            self._codes[code] = Code(auth.client_id, psu.psu_id, granted, self._now(psu.psu_id))
            return self._redirect(auth, {"code": code})

    def _psu_login(self, username: str, password: str | None) -> Psu:
        """The PSU logging in on the consent page, counting failures towards a temporary block."""
        psu = self._by_username.get(username)
        if psu is not None and psu.blocked_until is not None:
            if self._now(psu.psu_id) < psu.blocked_until:
                raise Refusal(403, message="Login temporarily blocked after too many failed attempts")
            psu.blocked_until, psu.failed_logins = None, 0
        if psu is None or not same_secret(password, psu.password):
            if psu is not None:
                psu.failed_logins += 1
                if psu.failed_logins >= self.regime["max_failed_attempts"]:
                    psu.blocked_until = self._now(psu.psu_id) + self.regime["sca_block"]
            # Same answer for an unknown username and a wrong password (Art. 4(3)(a)).
            raise Refusal(401, message="Invalid username or password")
        psu.failed_logins = 0
        return psu

    def _redirect(self, auth: AuthRequest, params: dict[str, str]) -> Response:
        if auth.state is not None:
            params = {**params, "state": auth.state}
        return RedirectResponse(_with_query(auth.redirect_uri, params), status_code=302)

    async def token(self, request: Request) -> Response:
        q = request.query_params
        raw_code = q.get("accessCode") or ""
        client_id = q.get("clientId") or ""
        secret = q.get("secret")
        with self.lock:
            code = self._codes.get(raw_code)
            valid = (
                code is not None
                and same_secret(client_id, code.client_id)
                and (not code.used or CODE_REUSABLE in self.defects)
                and self._now(code.psu_id) - code.issued_at < self.regime["session_idle"]
            )
            if not valid or code is None:
                if CODE_WRONG_ERROR in self.defects:
                    raise Refusal(400, body={"error": "invalid_grant"})
                raise Refusal(404, message=CODE_ERROR)
            tpp = self._tpps[code.client_id]
            if not secret:
                if TOKEN_WITHOUT_SECRET not in self.defects:
                    raise Refusal(401, message="Client authentication required: secret is missing")
            elif not same_secret(secret, tpp.secret):
                raise Refusal(401, message="Invalid client secret")
            code.used = True
            access_token = new_token()
            token = Token(code.psu_id, code.client_id, list(code.scopes), self._now(code.psu_id), self._lifetime())
            self._tokens[access_token] = token
        return json_response(
            {"accessToken": access_token, "expiresIn": token.lifetime, "scope": " ".join(token.scopes)}
        )

    async def revoke(self, request: Request) -> Response:
        raw = request.query_params.get("accessToken") or bearer_token(request)
        with self.lock:
            token = self._tokens.get(raw or "")
            if token is not None and token.revoked and REVOKE_TWICE_SUCCESS in self.defects:
                return json_response({"status": "success"})
            if token is None or token.revoked or self._active_token(raw) is None:
                raise Refusal(400, body={"status": "failure"})  # the source's answer, not the family's error
            token.revoked = True
        return json_response({"status": "success"})

    def _authorized(self, request: Request, scope: str) -> Token:
        """DED-3/4/6: the bearer token, if it is active and has `scope`."""
        token = self._active_token(bearer_token(request))
        if token is None:
            raise Refusal(401, message="Invalid, expired or revoked access token")
        if scope not in token.scopes and not (scope == "account.balance" and BALANCE_WITHOUT_SCOPE in self.defects):
            raise Refusal(403, message=f"The token has no {scope} consent")
        return token

    @contextmanager
    def authenticated(self, request: Request, scope: str) -> Iterator[Token]:
        """The request's token for `scope`, with the bank's state held for the handler's body."""
        with self.lock:
            yield self._authorized(request, scope)

    def _owned_account(self, request: Request, token: Token) -> Account:
        """DED-5: the account the request names, if the token's PSU owns it."""
        raw = request.query_params.get("accountId") or ""
        if not raw:
            raise Refusal(400, message="accountId is required")
        try:
            account_id = int(raw)
        except ValueError:
            raise Refusal(404, message="Account not found") from None
        entry = self._accounts.get(account_id)
        if entry is None or (entry[0] != token.psu_id and FOREIGN_ACCOUNT not in self.defects):
            raise Refusal(404, message="Account not found")
        return entry[1]

    @staticmethod
    def _account_json(account: Account) -> dict[str, Any]:
        return {
            "id": account.id,
            "name": account.name,
            "iban": account.iban,
            "currency": account.currency,
            "additional_data": [],
        }

    async def accounts(self, request: Request) -> Response:
        with self.authenticated(request, "account.list") as token:
            owned = [self._account_json(a) for a in self._psus[token.psu_id].accounts]
            if EMPTY_ACCOUNT_LIST in self.defects:
                owned = []
        return json_response({"accounts": owned})

    async def account(self, request: Request) -> Response:
        with self.authenticated(request, "account.details") as token:
            body = self._account_json(self._owned_account(request, token))
        return json_response({"account": body})

    async def balance(self, request: Request) -> Response:
        with self.authenticated(request, "account.balance") as token:
            account = self._owned_account(request, token)
            body = {
                "id": account.id,
                "name": account.name,
                "balance": [{"currency": account.currency, "available": account.balance}],
            }
        return json_response({"account": body})

    # -- errors and routes -----------------------------------------------------------------
    def refused(self, refusal: Refusal) -> Response:
        return json_response({"message": refusal.message}, refusal.status)

    def routes(self) -> list[BaseRoute]:
        return [
            self.route("/api/tpp/authorize", self.authorize, "POST", "authorize"),
            self.route("/consent", self.consent_page, "GET", "getConsentPage"),
            self.route("/consent", self.consent, "POST", "submitConsent"),
            self.route("/api/client/token", self.token, "POST", "createToken"),
            self.route("/api/client/token/revoke", self.revoke, "POST", "revokeToken"),
            self.route("/api/tpp/accounts", self.accounts, "POST", "getAccounts"),
            self.route("/api/tpp/account", self.account, "POST", "getAccount"),
            self.route("/api/tpp/account/balance", self.balance, "POST", "getBalance"),
        ]
