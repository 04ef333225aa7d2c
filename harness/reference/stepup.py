"""stepup family: step-up of an end-user token by SMS OTP (STP-1..STP-10).

Three layers of authentication (sources 002 and 004): the account (header `api-key`, one
per PSU's application), the end user (an auth token from `POST /login_with_password`, sent
as `Authorization: Bearer`), and the stepped-up token (the same token after an SMS OTP
challenge was verified). Errors are `{"errorCode", "message"}`.

State lives on the bank instance and is changed only under `self.lock`; no `await` sits
between checking a secret and consuming it, so of two concurrent verifications one wins.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from harness.reference import sandbox
from harness.reference.family import (
    FamilyBank,
    empty,
    json_body,
    json_response,
    new_id,
    new_otp,
    new_token,
    same_secret,
    transaction_history,
)
from harness.reference.refusal import Refusal
from harness.reference.stepup_defects import (
    ATTEMPT_LIMIT_OFF_BY_ONE,
    EMPTY_STATEMENT,
    IDLE_EXPIRES_EARLY,
    IDLE_NOT_REFRESHED,
    LOGIN_REVEALS_EMAIL,
    LOGOUT_KEEPS_TOKEN,
    NO_API_KEY_CHECK,
    NO_ATTEMPT_LIMIT,
    NO_RESEND_THROTTLE,
    OLD_OTP_VALID,
    OTP_REUSABLE,
    SESSION_NEVER_IDLES,
    STATEMENT_WITHOUT_STEPUP,
    THROTTLED_COUNTS,
    TRANSFER_OTP_STEPS_UP,
    TRANSFER_SHARES_COUNT,
    UNENROLLED_ACCEPTED,
    UNLIMITED_RETRIES,
    WRONG_CODE_ENDS_SESSION,
    WRONG_CODE_STEPS_UP,
)

FAMILY = "stepup"

# Channels the bank knows; a PSU is enrolled on SMS only. AUTHY exists but is never enrolled.
KNOWN_CHANNELS = ("SMS", "AUTHY")
ENROLLED_CHANNELS = ("SMS",)
UNENROLLED_CHANNEL = "AUTHY"

_DUMMY_PASSWORD = new_token(12)


def _key(secret: str) -> str:
    """Index of a secret: its SHA-256, so lookups never index by the secret itself."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _login_failed() -> Refusal:
    """STP-10: the one answer to an unknown email and to a wrong password."""
    return Refusal(401, "CREDENTIALS_INVALID", "email or password is not valid")


def _bad_request(expected: str) -> Refusal:
    return Refusal(400, "BAD_REQUEST", expected)


@dataclass
class Account:
    id: str
    friendly_name: str
    iban: str
    balance: Decimal
    currency: str = "EUR"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "friendlyName": self.friendly_name,
            "iban": self.iban,
            "currency": self.currency,
            "balance": f"{self.balance:.2f}",
        }


@dataclass
class Psu:
    psu_id: str
    api_key: str
    email: str
    password: str
    phone: str
    opened: date
    accounts: dict[str, Account]
    channels: tuple[str, ...] = ENROLLED_CHANNELS


@dataclass
class Challenge:
    """One OTP challenge series: accepted requests, throttle time, the live OTP and its failures."""

    accepted: int = 0
    last_at: float | None = None
    code: str | None = None
    old_codes: list[str] = field(default_factory=list)
    failures: int = 0
    void: bool = False


@dataclass
class Session:
    token: str
    psu_id: str
    last_activity: float
    stepped_up: bool = False
    stepup: Challenge = field(default_factory=Challenge)
    transfers: dict[str, Challenge] = field(default_factory=dict)


@dataclass
class Transfer:
    id: str
    psu_id: str
    source_account_id: str
    iban: str
    amount: Decimal
    state: str = "PENDING_CHALLENGE"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "sourceAccountId": self.source_account_id,
            "iban": self.iban,
            "amount": f"{self.amount:.2f}",
            "currency": "EUR",
        }


class StepupBank(FamilyBank):
    family = FAMILY

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._psus: dict[str, Psu] = {}
        self._by_api_key: dict[str, str] = {}
        self._by_email: dict[str, str] = {}
        self._sessions: dict[str, Session] = {}
        self._transfers: dict[str, Transfer] = {}
        self._serial = 0

    # -- SBX-1 -------------------------------------------------------------------
    def create_psu(self) -> dict[str, Any]:
        with self.lock:
            self._serial += 1
            serial = self._serial
            psu_id = new_id()
            clock = self.new_psu_clock(psu_id)
            opened = clock.now().date() - timedelta(days=sandbox.history_days(self))
            accounts = {}
            for n, name in enumerate(("Current account",), start=1):
                account_id = new_id()
                iban = f"MT{(serial * 7 + n) % 90 + 10:02d}STEP{serial:010d}{n:08d}"
                accounts[account_id] = Account(account_id, name, iban, Decimal("10000.00") * n)
            psu = Psu(
                psu_id=psu_id,
                api_key=new_token(),
                email=f"psu{serial}-{psu_id[:8]}@stepup.example",
                password=new_token(12),
                phone=f"+35679{serial:06d}",
                opened=opened,
                accounts=accounts,
            )
            self._psus[psu_id] = psu
            self._by_api_key[_key(psu.api_key)] = psu_id
            self._by_email[psu.email.lower()] = psu_id
            today = clock.now().date()
        return {
            "psuId": psu.psu_id,
            "apiKey": psu.api_key,
            "email": psu.email,
            "password": psu.password,
            "phone": psu.phone,
            "channels": list(psu.channels),
            "unenrolledChannel": UNENROLLED_CHANNEL,
            "payeeIban": "DE89370400440532013000",
            "accounts": [
                {**a.as_json(), "transactions": transaction_history(a.id, psu.opened, today)}
                for a in psu.accounts.values()
            ],
        }

    # -- errors --------------------------------------------------------------------------
    def refused(self, refusal: Refusal) -> Response:
        return json_response({"errorCode": refusal.code, "message": refusal.message}, refusal.status)

    # -- authentication ----------------------------------------------------------------
    def _app_psu(self, request: Request) -> str | None:
        """STP-1 account layer: the PSU whose application the `api-key` names (None: the
        no-api-key-check defect serves a request without one)."""
        given = request.headers.get("api-key")
        psu_id = self._by_api_key.get(_key(given)) if given else None
        if psu_id is not None and same_secret(given, self._psus[psu_id].api_key):
            return psu_id
        if NO_API_KEY_CHECK in self.defects:
            return None
        raise Refusal(401, "API_KEY_INVALID", "a valid api-key header is required")

    def _session(self, request: Request) -> Session:
        """STP-1 and STP-7: the live session of the bearer token, its idle count restarted."""
        app_psu = self._app_psu(request)
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        refused = Refusal(401, "TOKEN_INVALID", "a valid auth token is required")
        if scheme.lower() != "bearer" or not token:
            raise refused
        session = self._sessions.get(_key(token))
        if session is None or not same_secret(token, session.token):
            raise refused
        if app_psu is not None and app_psu != session.psu_id:
            raise refused
        now = self.psu_clock(session.psu_id).time()
        idle = self.regime["session_idle"] - (2 if IDLE_EXPIRES_EARLY in self.defects else 0)
        if SESSION_NEVER_IDLES not in self.defects and now - session.last_activity >= idle:
            del self._sessions[_key(token)]
            raise refused
        if IDLE_NOT_REFRESHED not in self.defects:
            session.last_activity = now
        return session

    @contextmanager
    def authenticated(self, request: Request) -> Iterator[Session]:
        """The request's session, with the bank's state held for the handler's body.

        A context, not a decorator: the lock is never held across an `await` (read the body
        before entering), and a handler may refuse on its input before it authenticates.
        """
        with self.lock:
            yield self._session(request)

    # -- challenges (shared by step-up and wire transfers) -------------------------------
    def _check_channel(self, session: Session, channel: str) -> None:
        if channel not in KNOWN_CHANNELS:
            raise Refusal(400, "CHANNEL_NOT_SUPPORTED", f"unknown channel; known channels: {', '.join(KNOWN_CHANNELS)}")
        if channel not in self._psus[session.psu_id].channels and UNENROLLED_ACCEPTED not in self.defects:
            raise Refusal(409, "CHANNEL_NOT_REGISTERED", "the user has not enrolled this channel")

    def _issue(self, session: Session, state: Challenge, counter: Challenge) -> None:
        """STP-2/3/4: throttle, count (on `counter`), then a fresh OTP that voids the earlier one."""
        psu = self._psus[session.psu_id]
        clock = self.psu_clock(psu.psu_id)
        now = clock.time()
        interval = self.regime["otp_resend_interval"]
        if NO_RESEND_THROTTLE not in self.defects and state.last_at is not None and now - state.last_at < interval:
            if THROTTLED_COUNTS in self.defects:
                counter.accepted += 1
            raise Refusal(409, "RETRY_IN_15SEC", "a new challenge may be requested 15 seconds after the previous one")
        if counter.accepted >= 2 and UNLIMITED_RETRIES not in self.defects:
            raise Refusal(400, "INVALID_REQUEST", "only one retry per session: log out and log in again")
        counter.accepted += 1
        state.last_at = now
        if state.code is not None:
            state.old_codes.append(state.code)
        state.code = new_otp()
        state.failures = 0
        state.void = False
        self.outbox.send("sms", psu.phone, state.code, clock.now())

    def _verify(self, session: Session, state: Challenge | None, body: dict[str, Any]) -> None:
        """STP-4/5/9/10: returns when the body's code is the live OTP (consumed), else refuses."""
        given = body.get("verificationCode")
        if not isinstance(given, str):
            raise _bad_request('body must be {"verificationCode"}')
        wrong = Refusal(409, "VERIFICATION_CODE_INVALID", "the verification code is not valid")
        if state is None or state.code is None:
            raise wrong
        if state.void:
            raise Refusal(409, "CHALLENGE_LIMIT_EXCEEDED", "too many wrong codes: this challenge is void")
        matches = same_secret(given, state.code)
        if OLD_OTP_VALID in self.defects:
            matches = matches or any(same_secret(given, old) for old in state.old_codes)
        if matches:
            if OTP_REUSABLE not in self.defects:
                state.code = None
                state.old_codes.clear()
            state.failures = 0
            return
        state.failures += 1
        limit = self.regime["max_failed_attempts"] + (1 if ATTEMPT_LIMIT_OFF_BY_ONE in self.defects else 0)
        if state.failures >= limit and NO_ATTEMPT_LIMIT not in self.defects:
            state.void = True
        self._wrong_code_side_effects(session)
        raise wrong

    def _wrong_code_side_effects(self, session: Session) -> None:
        if WRONG_CODE_STEPS_UP in self.defects:
            session.stepped_up = True
        if WRONG_CODE_ENDS_SESSION in self.defects:
            self._sessions.pop(_key(session.token), None)

    # -- login and step-up ---------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        body = await json_body(request)
        email, password = body.get("email"), body.get("password")
        if not isinstance(email, str) or not isinstance(password, str):
            raise _bad_request('body must be {"email", "password"}')
        with self.lock:
            app_psu = self._app_psu(request)
            psu_id = self._by_email.get(email.lower())
            if psu_id is None or (app_psu is not None and psu_id != app_psu):
                same_secret(password, _DUMMY_PASSWORD)
                if LOGIN_REVEALS_EMAIL in self.defects:
                    raise Refusal(404, "USER_NOT_FOUND", "no user with this email")
                raise _login_failed()
            if not same_secret(password, self._psus[psu_id].password):
                raise _login_failed()
            token = new_token()
            self._sessions[_key(token)] = Session(token, psu_id, self.psu_clock(psu_id).time())
        return json_response({"token": token})

    async def logout(self, request: Request) -> Response:
        with self.authenticated(request) as session:
            if LOGOUT_KEEPS_TOKEN not in self.defects:
                self._sessions.pop(_key(session.token), None)
        return empty(204)

    async def stepup_challenge(self, request: Request) -> Response:
        with self.authenticated(request) as session:
            self._check_channel(session, request.path_params["channel"])
            self._issue(session, session.stepup, session.stepup)
        return empty(204)

    async def stepup_verify(self, request: Request) -> Response:
        body = await json_body(request)
        with self.authenticated(request) as session:
            self._check_channel(session, request.path_params["channel"])
            self._verify(session, session.stepup, body)
            session.stepped_up = True
        return empty(204)

    # -- managed accounts ----------------------------------------------------------------
    def _account(self, session: Session, account_id: str) -> Account:
        account = self._psus[session.psu_id].accounts.get(account_id)
        if account is None:
            raise Refusal(404, "ACCOUNT_NOT_FOUND", "no such managed account")
        return account

    async def list_accounts(self, request: Request) -> Response:
        with self.authenticated(request) as session:
            accounts = [a.as_json() for a in self._psus[session.psu_id].accounts.values()]
        return json_response({"accounts": accounts})

    async def statement(self, request: Request) -> Response:
        date_from, date_to = _date_range(request)
        with self.authenticated(request) as session:
            psu = self._psus[session.psu_id]
            account = self._account(session, request.path_params["id"])
            if not session.stepped_up and STATEMENT_WITHOUT_STEPUP not in self.defects:
                raise Refusal(403, "STEP_UP_REQUIRED", "the statement needs a stepped-up token")
            today = self.psu_clock(psu.psu_id).now().date()
        rows = [
            r
            for r in transaction_history(account.id, psu.opened, today)
            if (date_from is None or r["bookingDate"] >= date_from.isoformat())
            and (date_to is None or r["bookingDate"] <= date_to.isoformat())
        ]
        if EMPTY_STATEMENT in self.defects:
            rows = []
        return json_response({"accountId": account.id, "entries": rows})

    # -- outgoing wire transfers ---------------------------------------------------------
    def _own_transfer(self, session: Session, request: Request) -> Transfer:
        transfer = self._transfers.get(request.path_params["id"])
        if transfer is None or transfer.psu_id != session.psu_id:
            raise Refusal(404, "TRANSFER_NOT_FOUND", "no such outgoing wire transfer")
        return transfer

    async def create_transfer(self, request: Request) -> Response:
        body = await json_body(request)
        with self.authenticated(request) as session:
            source, iban, amount = body.get("sourceAccountId"), body.get("iban"), _amount(body.get("amount"))
            if not isinstance(source, str) or not isinstance(iban, str) or not iban.strip() or amount is None:
                raise _bad_request('body must be {"sourceAccountId", "iban", "amount" > 0}')
            account = self._account(session, source)
            if amount > account.balance:
                raise Refusal(409, "FUNDS_INSUFFICIENT", "the source account does not hold the amount")
            transfer = Transfer(new_id(), session.psu_id, source, iban.strip(), amount)
            self._transfers[transfer.id] = transfer
            answer = transfer.as_json()
        return json_response(answer, 201)

    async def get_transfer(self, request: Request) -> Response:
        with self.authenticated(request) as session:
            answer = self._own_transfer(session, request).as_json()
        return json_response(answer)

    async def transfer_challenge(self, request: Request) -> Response:
        with self.authenticated(request) as session:
            transfer = self._own_transfer(session, request)
            self._check_channel(session, request.path_params["channel"])
            if transfer.state != "PENDING_CHALLENGE":
                raise Refusal(409, "STATE_INVALID", "the transfer is not waiting for a challenge")
            state = session.transfers.setdefault(transfer.id, Challenge())
            self._issue(session, state, session.stepup if TRANSFER_SHARES_COUNT in self.defects else state)
        return empty(204)

    async def transfer_verify(self, request: Request) -> Response:
        body = await json_body(request)
        with self.authenticated(request) as session:
            transfer = self._own_transfer(session, request)
            self._check_channel(session, request.path_params["channel"])
            self._verify(session, session.transfers.get(transfer.id), body)
            if transfer.state == "PENDING_CHALLENGE":
                transfer.state = "COMPLETED"
                self._psus[session.psu_id].accounts[transfer.source_account_id].balance -= transfer.amount
            if TRANSFER_OTP_STEPS_UP in self.defects:
                session.stepped_up = True
        return empty(204)

    # -- routes ------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        stepup = "/stepup/challenges/otp/{channel}"
        wire = "/outgoing_wire_transfers/{id}"
        wire_otp = wire + "/challenges/otp/{channel}"
        return [
            self.route("/login_with_password", self.login, "POST", "loginWithPassword"),
            self.route("/logout", self.logout, "POST", "logout"),
            self.route(stepup, self.stepup_challenge, "POST", "issueStepupOtpChallenge"),
            self.route(stepup + "/verify", self.stepup_verify, "POST", "verifyStepupOtpChallenge"),
            self.route("/managed_accounts", self.list_accounts, "GET", "listManagedAccounts"),
            self.route("/managed_accounts/{id}/statement", self.statement, "GET", "getManagedAccountStatement"),
            self.route("/outgoing_wire_transfers", self.create_transfer, "POST", "createOutgoingWireTransfer"),
            self.route(wire, self.get_transfer, "GET", "getOutgoingWireTransfer"),
            self.route(wire_otp, self.transfer_challenge, "POST", "issueOutgoingWireTransferOtpChallenge"),
            self.route(wire_otp + "/verify", self.transfer_verify, "POST", "verifyOutgoingWireTransferOtpChallenge"),
        ]


def _date_range(request: Request) -> tuple[date | None, date | None]:
    """The statement's `dateFrom` and `dateTo` (`YYYY-MM-DD`, either may be absent)."""
    try:
        return _parse_date(request.query_params.get("dateFrom")), _parse_date(request.query_params.get("dateTo"))
    except ValueError:
        raise _bad_request("dateFrom and dateTo are dates YYYY-MM-DD") from None


def _parse_date(value: str | None) -> date | None:
    """A `YYYY-MM-DD` query value, None when absent; a malformed one raises ValueError."""
    return None if value is None else date.fromisoformat(value)


def _amount(value: object) -> Decimal | None:
    """A positive amount with at most two decimals, given as a JSON number or string."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount
