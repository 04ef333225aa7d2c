"""Helpers of the workflow family: HS256 JWTs (stdlib only), IBANs and amounts.

The JWT is a real RFC 7519 token signed with HMAC-SHA256 under a key private to one bank
instance; a suite may decode its payload (base64url JSON) to read `iat`, `exp`, `jti` and
the bound `operation`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

_HEADER = {"alg": "HS256", "typ": "JWT"}


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    pad = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + pad)


def encode_jwt(key: bytes, claims: dict[str, Any]) -> str:
    head = _b64url(json.dumps(_HEADER, separators=(",", ":")).encode())
    body = _b64url(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signing_input = f"{head}.{body}".encode("ascii")
    sig = hmac.new(key, signing_input, hashlib.sha256).digest()
    return f"{head}.{body}.{_b64url(sig)}"


def decode_jwt(key: bytes, token: object) -> dict[str, Any] | None:
    """The claims of a token signed by `key` with HS256, or None (any defect: None)."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    head, body, sig = token.split(".")
    try:
        header = json.loads(_unb64url(head))
        given = _unb64url(sig)
        claims = json.loads(_unb64url(body))
    except (ValueError, TypeError):
        return None
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
        return None
    expected = hmac.new(key, f"{head}.{body}".encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(given, expected):
        return None
    return claims


# -- IBAN ----------------------------------------------------------------------------
_IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def _mod97(text: str) -> int:
    digits = "".join(str(int(ch, 36)) for ch in text)
    return int(digits) % 97


def normalize_iban(value: object) -> str | None:
    """The IBAN without spaces, upper case, if its format and ISO 13616 checksum hold."""
    if not isinstance(value, str):
        return None
    iban = value.replace(" ", "").upper()
    if not _IBAN_RE.match(iban):
        return None
    if _mod97(iban[4:] + iban[:4]) != 1:
        return None
    return iban


def make_iban(country: str, bban: str) -> str:
    """A valid IBAN for `bban` (check digits computed)."""
    check = 98 - _mod97(bban + country + "00")
    return f"{country}{check:02d}{bban}"


# -- amounts -------------------------------------------------------------------------
def normalize_amount(value: object) -> str | None:
    """A positive amount with at most two decimals, as a string with two decimals."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    exponent = amount.as_tuple().exponent  # an int for every finite amount ('n', 'N', 'F': NaN, sNaN, infinity)
    if not amount.is_finite() or amount <= 0 or not isinstance(exponent, int) or exponent < -2:
        return None
    return f"{amount.quantize(Decimal('0.01'))}"
