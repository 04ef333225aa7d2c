"""workflow: sequential multi-factor SCA (email, then phone, then secret code); a JWT proves SCA.

Source: seeds/001_dbed7345ef6d3179.txt; contract: api-families.md, rules WFL-1..WFL-8;
document: specs/workflow.openapi.yaml (route names are its operationIds).

Bearer tokens come from agent or user password login; the SCA state is the user's and the
same rules apply whichever token is used. The JWT travels in `X-SCA-Token`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from harness.reference.clock import isoformat
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
from harness.reference.refusal import Refusal
from harness.reference.sandbox import history_days
from harness.reference.workflow_defects import (
    AMOUNT_UNBOUND,
    COMPLETED_WITHOUT_SECRET,
    EMAIL_RESET_EMAIL_ONLY,
    IBAN_UNBOUND,
    JWT_LONG_EXP,
    LOCK_AFTER_SIX,
    NO_LOCKOUT,
    NO_ORDER,
    NO_RENEWAL,
    OLD_TRANSACTIONS_EMPTY,
    OP_JWT_NEVER_EXPIRES,
    OP_JWT_REUSABLE,
    OP_TYPE_UNCHECKED,
    ORDER_SKIPPED_AFTER_RESET,
    OTP_REUSABLE,
    PHONE_SMS_ONLY,
    RENEWAL_EARLY,
    RESET_CLEARS_ALL,
    SECRET_SMS_ONLY,
    SESSION_JWT_FOR_OPS,
    SESSION_JWT_IGNORED,
    WHOLE_HISTORY,
)
from harness.reference.workflow_jwt import decode_jwt, encode_jwt, make_iban, normalize_amount, normalize_iban

FAMILY = "workflow"
DAY = 86_400

SOURCES = ("email", "phone_number", "secret_code")
METHODS = ("by_email", "by_sms")
OPERATION_TYPES = ("beneficiary.add", "personal_data.update", "transfer")
PERSONAL_FIELDS = ("firstName", "lastName", "address")
INITIAL_BALANCE = Decimal("10000.00")
SCA_HEADER = "x-sca-token"


@dataclass
class Otp:
    code: str
    sent_at: float
    failures: int = 0


@dataclass
class User:
    user_uuid: str
    platform_uuid: str
    email: str
    password: str
    phone: str
    opened: date
    account_id: str
    iban: str
    validated: set[str] = field(default_factory=set)
    ever_validated: set[str] = field(default_factory=set)
    verified: dict[str, set[str]] = field(default_factory=lambda: {s: set() for s in SOURCES})
    otps: dict[tuple[str, str], Otp] = field(default_factory=dict)
    secret_code: str | None = None
    secret_failures: int = 0
    locked: bool = False
    last_sca: float | None = None
    balance: Decimal = INITIAL_BALANCE
    transfers: list[dict[str, Any]] = field(default_factory=list)
    beneficiaries: list[dict[str, Any]] = field(default_factory=list)
    personal: dict[str, str] = field(default_factory=dict)


@dataclass
class Session:
    kind: str  # "user" | "agent"
    user_uuid: str  # the user, or for an agent the one user of its platform (its clock)
    platform_uuid: str
    last_used: float


class WorkflowBank(FamilyBank):
    family = FAMILY

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._key = new_token(32).encode("ascii")
        self._users: dict[str, User] = {}
        self._agents: dict[str, tuple[str, str]] = {}  # username -> (password, user_uuid)
        self._sessions: dict[str, Session] = {}
        self._used_jtis: set[str] = set()
        self._issued: dict[str, float] = {}
        """jti -> the exact issue time: the JWT's iat is whole seconds, limits are measured from the
        real instant, so "one second before the limit" is never refused by a truncated iat."""

    # -- SBX-1 -----------------------------------------------------------------------------
    def create_psu(self) -> dict[str, Any]:
        user_uuid = new_id()
        platform_uuid = new_id()
        clock = self.new_psu_clock(user_uuid)
        short = user_uuid[:8]
        digits = f"{int(user_uuid.replace('-', '')[:12], 16) % 10**8:08d}"
        account_no = f"{int(user_uuid.replace('-', '')[12:24], 16) % 10**11:011d}"
        user = User(
            user_uuid=user_uuid,
            platform_uuid=platform_uuid,
            email=f"user-{short}@workflow.example",
            password=new_token(12),
            phone=f"+336{digits}",
            opened=clock.now().date() - timedelta(days=history_days(self)),
            account_id=f"acc-{short}",
            iban=make_iban("FR", f"3000600001{account_no}00"),
            personal={"firstName": "Alex", "lastName": f"Martin-{short}", "address": "1 rue de la Paix, 75002 Paris"},
        )
        agent_user, agent_password = f"agent-{short}", new_token(12)
        with self.lock:
            self._users[user_uuid] = user
            self._agents[agent_user] = (agent_password, user_uuid)
        payees = [make_iban("DE", f"37040044{account_no[:10]}"), make_iban("NL", f"ABNA0{account_no[:9]}")]
        return {
            "psuId": user_uuid,
            "platformUUID": platform_uuid,
            "userUUID": user_uuid,
            "email": user.email,
            "password": user.password,
            "phone": user.phone,
            "agent": {"username": agent_user, "password": agent_password},
            "account": {
                "accountId": user.account_id,
                "iban": user.iban,
                "currency": "EUR",
                "balance": f"{user.balance:.2f}",
            },
            "payeeIbans": payees,
        }

    # -- helpers ---------------------------------------------------------------------------
    def _now(self, user: User) -> float:
        return self.psu_clock(user.user_uuid).time()

    def _authorize(self, request: Request) -> User:
        """Bearer token (user of the path, or agent of its platform) and the path's user.

        Call under self.lock. A token expires after regime session_idle without activity.
        """
        token = bearer_token(request) or ""
        session = self._sessions.get(token) if token else None
        if session is not None:
            owner = self._users[session.user_uuid]
            if self._now(owner) - session.last_used >= self.regime["session_idle"]:
                del self._sessions[token]
                session = None
        if session is None:
            raise Refusal(401, "UNAUTHORIZED", "missing, invalid or expired bearer token")
        session.last_used = self._now(self._users[session.user_uuid])
        platform = request.path_params["platformUUID"]
        user_uuid = request.path_params["userUUID"]
        if session.platform_uuid != platform or (session.kind == "user" and session.user_uuid != user_uuid):
            raise Refusal(403, "FORBIDDEN", "this token does not give access to this user")
        user = self._users.get(user_uuid)
        if user is None or user.platform_uuid != platform:
            raise Refusal(404, "NOT_FOUND", "no such user on this platform")
        return user

    @contextmanager
    def authenticated(self, request: Request) -> Iterator[User]:
        """The path's user, if the request's token may act for them, with the bank's state held
        for the handler's body."""
        with self.lock:
            yield self._authorize(request)

    def _required(self, user: User, source: str, *, compliant: bool = False) -> set[str]:
        """The methods whose OTPs validate `source` now (WFL-3, WFL-4)."""
        if source == "email":
            both = "phone_number" in user.validated and (compliant or EMAIL_RESET_EMAIL_ONLY not in self.defects)
            return {"by_email", "by_sms"} if both else {"by_email"}
        if source == "phone_number" and not compliant and PHONE_SMS_ONLY in self.defects:
            return {"by_sms"}
        if source == "secret_code" and not compliant and SECRET_SMS_ONLY in self.defects:
            return {"by_sms"}
        return {"by_email", "by_sms"}

    def _check_order(self, user: User, source: str) -> None:
        """WFL-2: every predecessor of `source` must be validated."""
        if NO_ORDER in self.defects:
            return
        for before in SOURCES[: SOURCES.index(source)]:
            if before in user.validated:
                continue
            if ORDER_SKIPPED_AFTER_RESET in self.defects and before in user.ever_validated:
                continue
            raise Refusal(409, "WORKFLOW_ORDER", f"validate {before} before {source}")

    def _completed(self, user: User) -> bool:
        return all(s in user.validated for s in SOURCES)

    def _status(self, user: User) -> dict[str, Any]:
        def one(source: str) -> dict[str, Any]:
            return {
                "validated": source in user.validated,
                "required_methods": sorted(self._required(user, source)),
                "verified_methods": sorted(user.verified[source]),
            }

        secret = one("secret_code")
        secret.update({"set": user.secret_code is not None, "locked": user.locked})
        completed = self._completed(user)
        if COMPLETED_WITHOUT_SECRET in self.defects:
            completed = "email" in user.validated and "phone_number" in user.validated
        return {
            "userUUID": user.user_uuid,
            "email": one("email"),
            "phone_number": one("phone_number"),
            "secret_code": secret,
            "workflow_completed": completed,
        }

    def _claims(self, user: User, request: Request) -> dict[str, Any] | None:
        """The claims of the X-SCA-Token if signed by this bank for this user, else None."""
        claims = decode_jwt(self._key, request.headers.get(SCA_HEADER))
        if claims is None or claims.get("sub") != user.user_uuid or not isinstance(claims.get("iat"), int):
            return None
        return claims

    def _alive(self, user: User, claims: dict[str, Any]) -> bool:
        """Valid while now - iat < sca_jwt_lifetime (the bank's own limit, whatever exp says)."""
        return self._now(user) - self._issued_at(claims) < self.regime["sca_jwt_lifetime"]

    def _issued_at(self, claims: dict[str, Any]) -> float:
        jti = claims.get("jti")
        iat: float = claims["iat"]
        return iat if jti is None else self._issued.get(jti, iat)

    def _session_sca(self, user: User, request: Request) -> bool:
        """WFL-7: a valid session JWT (no operation) presented in X-SCA-Token."""
        if SESSION_JWT_IGNORED in self.defects:
            return False
        claims = self._claims(user, request)
        if claims is None or "operation" in claims or not self._alive(user, claims):
            return False
        issued = self._issued_at(claims)
        user.last_sca = max(user.last_sca or issued, issued)
        return True

    def _exempt(self, user: User) -> bool:
        """WFL-7: password login alone suffices while the last SCA is younger than sca_renewal."""
        if user.last_sca is None:
            return False
        if NO_RENEWAL in self.defects:
            return True
        renewal = self.regime["sca_renewal"] - (DAY if RENEWAL_EARLY in self.defects else 0)
        return self._now(user) - user.last_sca < renewal

    def _operation_claims(self, user: User, request: Request, op_type: str) -> dict[str, Any] | None:
        """WFL-6: an unexpired, unused operation JWT of type `op_type`, else None (not consumed)."""
        claims = self._claims(user, request)
        if claims is None or not isinstance(claims.get("jti"), str):
            return None
        operation = claims.get("operation")
        if not isinstance(operation, dict):
            if SESSION_JWT_FOR_OPS not in self.defects:
                return None
            operation = {"type": op_type}
        if operation.get("type") != op_type and OP_TYPE_UNCHECKED not in self.defects:
            return None
        if not self._alive(user, claims) and OP_JWT_NEVER_EXPIRES not in self.defects:
            return None
        if claims["jti"] in self._used_jtis:
            return None
        return {**claims, "operation": operation}

    def _consume(self, claims: dict[str, Any]) -> None:
        if OP_JWT_REUSABLE not in self.defects:
            self._used_jtis.add(claims["jti"])

    def _transactions(self, user: User, today: date) -> list[dict[str, Any]]:
        rows = transaction_history(user.account_id, user.opened, today)
        rows += [
            {
                "transactionId": t["transferId"],
                "bookingDate": t["bookingDate"],
                "amount": f"-{t['amount']}",
                "currency": t["currency"],
                "description": f"Transfer to {t['iban']}",
            }
            for t in user.transfers
        ]
        return sorted(rows, key=lambda r: r["bookingDate"])

    # -- endpoints -------------------------------------------------------------------------
    async def agent_login(self, request: Request) -> JSONResponse:
        body = await json_body(request)
        with self.lock:
            username = body.get("username")
            entry = self._agents.get(username) if isinstance(username, str) else None
            ok = same_secret(body.get("password"), entry[0] if entry else new_token())
            if not (entry and ok):
                raise Refusal(401, "INVALID_CREDENTIALS", "invalid username or password")
            user = self._users[entry[1]]
            token = new_token()
            self._sessions[token] = Session("agent", user.user_uuid, user.platform_uuid, self._now(user))
        return json_response({"token": token, "token_type": "Bearer"})

    async def user_login(self, request: Request) -> JSONResponse:
        body = await json_body(request)
        platform = request.path_params["platformUUID"]
        with self.lock:
            found = next(
                (u for u in self._users.values() if u.platform_uuid == platform and u.email == body.get("email")),
                None,
            )
            ok = same_secret(body.get("password"), found.password if found else new_token())
            if not (found and ok):
                raise Refusal(401, "INVALID_CREDENTIALS", "invalid email or password")
            token = new_token()
            self._sessions[token] = Session("user", found.user_uuid, platform, self._now(found))
        return json_response({"token": token, "token_type": "Bearer"})

    async def get_status(self, request: Request) -> JSONResponse:
        with self.authenticated(request) as user:
            return json_response(self._status(user))

    def _otp_target(self, user: User, body: dict[str, Any]) -> tuple[str, str]:
        """What generate and verify share: the source and the method of the request, if an OTP
        may validate that source by that method now (workflow order, method)."""
        source, method = body.get("source"), body.get("method")
        if not isinstance(source, str) or source not in SOURCES or method not in METHODS:
            raise Refusal(400, "INVALID_REQUEST", f"source must be one of {SOURCES}, method one of {METHODS}")
        if source in user.validated:
            raise Refusal(409, "ALREADY_VALIDATED", f"{source} is validated; reset it first")
        self._check_order(user, source)
        if source == "secret_code" and user.secret_code is None:
            raise Refusal(409, "SECRET_CODE_NOT_SET", "set up the secret code first")
        if method not in self._required(user, source, compliant=True):
            raise Refusal(400, "METHOD_NOT_REQUIRED", f"{source} is not validated {method} now")
        return source, method

    async def generate_otp(self, request: Request) -> JSONResponse:
        body = await json_body(request)
        with self.authenticated(request) as user:
            source, method = self._otp_target(user, body)
            clock = self.psu_clock(user.user_uuid)
            code = new_otp()
            user.otps[(source, method)] = Otp(code, clock.time())
            channel, to = ("email", user.email) if method == "by_email" else ("sms", user.phone)
            self.outbox.send(channel, to, code, clock.now())
        return json_response({"source": source, "method": method, "channel": channel, "sent": True})

    async def verify_otp(self, request: Request) -> JSONResponse:
        body = await json_body(request)
        with self.authenticated(request) as user:
            source, method = self._otp_target(user, body)
            otp = user.otps.get((source, method))
            fresh = otp is not None and self._now(user) - otp.sent_at < self.regime["session_idle"]
            if otp is None or not fresh or not same_secret(body.get("code"), otp.code):
                if otp is not None:
                    otp.failures += 1
                    if not fresh or otp.failures >= self.regime["max_failed_attempts"]:
                        del user.otps[(source, method)]
                raise Refusal(400, "INVALID_OTP", "the code is wrong, expired or already used")
            if OTP_REUSABLE not in self.defects:
                del user.otps[(source, method)]
            user.verified[source].add(method)
            if self._required(user, source) <= user.verified[source]:
                user.validated.add(source)
                user.ever_validated.add(source)
            return json_response(self._status(user))

    async def setup_secret_code(self, request: Request) -> JSONResponse:
        body = await json_body(request)
        with self.authenticated(request) as user:
            code = body.get("secret_code")
            if not isinstance(code, str) or not code.isascii() or not code.isdigit() or not 4 <= len(code) <= 8:
                raise Refusal(400, "INVALID_REQUEST", "secret_code must be a string of 4 to 8 digits")
            if "secret_code" in user.validated:
                raise Refusal(409, "ALREADY_VALIDATED", "secret_code is validated; reset it first")
            self._check_order(user, "secret_code")
            user.secret_code = code
            user.verified["secret_code"].clear()
            user.otps = {k: v for k, v in user.otps.items() if k[0] != "secret_code"}
            user.secret_failures, user.locked = 0, False
            return json_response(self._status(user))

    def _parse_operation(self, raw: object) -> dict[str, Any] | None:
        """The operation a JWT is asked for (WFL-6, WFL-8), None for a session JWT."""
        if raw is None:
            return None
        if not isinstance(raw, dict) or raw.get("type") not in OPERATION_TYPES:
            raise Refusal(400, "INVALID_REQUEST", f"operation.type must be one of {OPERATION_TYPES}")
        if raw["type"] != "transfer":
            return {"type": raw["type"]}
        amount, iban = normalize_amount(raw.get("amount")), normalize_iban(raw.get("iban"))
        currency = raw.get("currency", "EUR")
        if amount is None or iban is None or currency != "EUR":
            raise Refusal(400, "INVALID_REQUEST", "a transfer operation needs amount > 0, a valid iban, currency EUR")
        return {"type": "transfer", "amount": amount, "currency": currency, "iban": iban}

    async def verify_secret_code(self, request: Request) -> JSONResponse:
        body = await json_body(request)
        with self.authenticated(request) as user:
            if not self._completed(user):
                raise Refusal(409, "WORKFLOW_INCOMPLETE", "validate email, phone_number and secret_code first")
            if user.locked:
                raise Refusal(423, "LOCKED", "secret code locked after too many failures; reset secret_code")
            operation = self._parse_operation(body.get("operation"))
            if not same_secret(body.get("secret_code"), user.secret_code):
                user.secret_failures += 1
                limit = self.regime["max_failed_attempts"] + (1 if LOCK_AFTER_SIX in self.defects else 0)
                if user.secret_failures >= limit and NO_LOCKOUT not in self.defects:
                    user.locked = True
                raise Refusal(400, "INVALID_SECRET_CODE", "authentication failed")
            user.secret_failures = 0
            return json_response({"jwt": self._jwt(user, operation)})

    def _jwt(self, user: User, operation: dict[str, Any] | None) -> str:
        """WFL-5: the SCA's proof; a session JWT (no operation) also restarts the WFL-7 renewal."""
        now = self._now(user)
        iat = int(now)
        lifetime = DAY if JWT_LONG_EXP in self.defects else self.regime["sca_jwt_lifetime"]
        claims: dict[str, Any] = {
            "iss": "psd2-harness-reference/workflow",
            "sub": user.user_uuid,
            "platform": user.platform_uuid,
            "iat": iat,
            "exp": iat + lifetime,
            "jti": new_id(),
        }
        self._issued[claims["jti"]] = now
        if operation is None:
            user.last_sca = now
        else:
            claims["operation"] = operation
        return encode_jwt(self._key, claims)

    async def reset_source(self, request: Request) -> JSONResponse:
        with self.authenticated(request) as user:
            source = request.path_params["source"]
            if source not in SOURCES:
                raise Refusal(400, "INVALID_REQUEST", f"source must be one of {SOURCES}")
            for each in SOURCES if RESET_CLEARS_ALL in self.defects else (source,):
                user.validated.discard(each)
                user.verified[each].clear()
                user.otps = {k: v for k, v in user.otps.items() if k[0] != each}
            if source == "secret_code":
                user.secret_code, user.secret_failures, user.locked = None, 0, False
            return json_response(self._status(user))

    async def get_balance(self, request: Request) -> JSONResponse:
        with self.authenticated(request) as user:
            if not (self._session_sca(user, request) or self._exempt(user)):
                raise Refusal(403, "SCA_REQUIRED", "strong customer authentication required")
            return json_response(
                {
                    "accountId": user.account_id,
                    "iban": user.iban,
                    "balance": {"amount": f"{user.balance:.2f}", "currency": "EUR"},
                }
            )

    async def list_transactions(self, request: Request) -> JSONResponse:
        with self.authenticated(request) as user:
            today = self.psu_clock(user.user_uuid).now().date()
            cutoff = today - timedelta(days=self.regime["recent_window"] // DAY)
            try:
                date_from = date.fromisoformat(request.query_params.get("dateFrom") or cutoff.isoformat())
                date_to = date.fromisoformat(request.query_params.get("dateTo") or today.isoformat())
            except ValueError:
                raise Refusal(400, "INVALID_REQUEST", "dateFrom and dateTo are dates YYYY-MM-DD") from None
            if date_from > date_to:
                raise Refusal(400, "INVALID_REQUEST", "dateFrom is after dateTo")
            recent = date_from >= cutoff or WHOLE_HISTORY in self.defects
            if not (self._session_sca(user, request) or (recent and self._exempt(user))):
                raise Refusal(403, "SCA_REQUIRED", "strong customer authentication required")
            rows = [
                r
                for r in self._transactions(user, today)
                if date_from.isoformat() <= r["bookingDate"] <= date_to.isoformat()
                and not (OLD_TRANSACTIONS_EMPTY in self.defects and r["bookingDate"] < cutoff.isoformat())
            ]
            return json_response(
                {
                    "accountId": user.account_id,
                    "dateFrom": date_from.isoformat(),
                    "dateTo": date_to.isoformat(),
                    "transactions": rows,
                }
            )

    async def add_beneficiary(self, request: Request) -> JSONResponse:
        body = await json_body(request)
        with self.authenticated(request) as user:
            name, iban = body.get("name"), normalize_iban(body.get("iban"))
            if not isinstance(name, str) or not name.strip() or iban is None:
                raise Refusal(400, "INVALID_REQUEST", "name (non-empty) and a valid iban are required")
            claims = self._operation_claims(user, request, "beneficiary.add")
            if claims is None:
                raise Refusal(403, "SCA_REQUIRED", "an operation JWT of type beneficiary.add is required")
            self._consume(claims)
            entry = {
                "beneficiaryId": new_id(),
                "name": name.strip(),
                "iban": iban,
                "createdAt": isoformat(self.psu_clock(user.user_uuid).now()),
            }
            user.beneficiaries.append(entry)
            return json_response(entry, 201)

    async def list_beneficiaries(self, request: Request) -> JSONResponse:
        with self.authenticated(request) as user:
            return json_response({"beneficiaries": list(user.beneficiaries)})

    async def get_personal_data(self, request: Request) -> JSONResponse:
        with self.authenticated(request) as user:
            return json_response(dict(user.personal))

    async def update_personal_data(self, request: Request) -> JSONResponse:
        body = await json_body(request)
        with self.authenticated(request) as user:
            if not body or any(
                k not in PERSONAL_FIELDS or not isinstance(v, str) or not v.strip() for k, v in body.items()
            ):
                raise Refusal(400, "INVALID_REQUEST", f"a non-empty object of string fields among {PERSONAL_FIELDS}")
            claims = self._operation_claims(user, request, "personal_data.update")
            if claims is None:
                raise Refusal(403, "SCA_REQUIRED", "an operation JWT of type personal_data.update is required")
            self._consume(claims)
            user.personal.update({k: v.strip() for k, v in body.items()})
            return json_response(dict(user.personal))

    async def create_transfer(self, request: Request) -> JSONResponse:
        body = await json_body(request)
        with self.authenticated(request) as user:
            amount, iban = normalize_amount(body.get("amount")), normalize_iban(body.get("iban"))
            currency = body.get("currency", "EUR")
            if amount is None or iban is None or currency != "EUR":
                raise Refusal(400, "INVALID_REQUEST", "amount > 0 (2 decimals at most), a valid iban, currency EUR")
            claims = self._operation_claims(user, request, "transfer")
            if claims is None:
                raise Refusal(403, "SCA_REQUIRED", "an operation JWT of type transfer is required")
            operation = claims["operation"]
            if operation.get("type") == "transfer":
                amount_ok = operation.get("amount") == amount or AMOUNT_UNBOUND in self.defects
                iban_ok = operation.get("iban") == iban or IBAN_UNBOUND in self.defects
                if not (amount_ok and iban_ok and operation.get("currency") == currency):
                    self._used_jtis.add(claims["jti"])  # Art. 5(1)(d): a change voids the code
                    raise Refusal(403, "SCA_REQUIRED", "the JWT was issued for another amount or payee; it is void")
            if Decimal(amount) > user.balance:
                raise Refusal(409, "INSUFFICIENT_FUNDS", "the balance does not cover this amount")
            self._consume(claims)
            now = self.psu_clock(user.user_uuid).now()
            user.balance -= Decimal(amount)
            transfer = {
                "transferId": new_id(),
                "amount": amount,
                "currency": currency,
                "iban": iban,
                "status": "EXECUTED",
                "bookingDate": now.date().isoformat(),
                "createdAt": isoformat(now),
            }
            user.transfers.append(transfer)
            return json_response({**transfer, "balance": {"amount": f"{user.balance:.2f}", "currency": "EUR"}}, 201)

    # -- errors and routes -----------------------------------------------------------------
    def refused(self, refusal: Refusal) -> Response:
        return json_response({"code": refusal.code, "message": refusal.message}, refusal.status)

    def routes(self) -> list[BaseRoute]:
        u = "/platforms/{platformUUID}/users/{userUUID}"
        sca = u + "/strong_auth"
        return [
            self.route("/agents/login", self.agent_login, "POST", "agentLogin"),
            self.route("/platforms/{platformUUID}/users/login", self.user_login, "POST", "userLogin"),
            self.route(sca + "/status", self.get_status, "GET", "getStrongAuthStatus"),
            self.route(sca + "/otp/generate", self.generate_otp, "POST", "generateOtp"),
            self.route(sca + "/otp/verify", self.verify_otp, "POST", "verifyOtp"),
            self.route(sca + "/secret_code/setup", self.setup_secret_code, "POST", "setupSecretCode"),
            self.route(sca + "/secret_code/verify", self.verify_secret_code, "POST", "verifySecretCode"),
            self.route(sca + "/reset/{source}", self.reset_source, "POST", "resetStrongAuthSource"),
            self.route(u + "/balance", self.get_balance, "GET", "getBalance"),
            self.route(u + "/transactions", self.list_transactions, "GET", "listTransactions"),
            self.route(u + "/beneficiaries", self.add_beneficiary, "POST", "addBeneficiary"),
            self.route(u + "/beneficiaries", self.list_beneficiaries, "GET", "listBeneficiaries"),
            self.route(u + "/personal_data", self.get_personal_data, "GET", "getPersonalData"),
            self.route(u + "/personal_data", self.update_personal_data, "PATCH", "updatePersonalData"),
            self.route(u + "/transfers", self.create_transfer, "POST", "createTransfer"),
        ]
