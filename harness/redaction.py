"""Redaction of secrets, by key and by value, before anything is written anywhere.

By key: headers, JSON fields, form fields and query parameters whose names say secret
(Authorization, Cookie, api keys, passwords, OTPs, secrets, codes, tokens, JWTs).
By value: every secret the target file resolves and every credential minted during the
run is registered; afterwards it is replaced wherever it appears: URLs, bodies, failure
messages, JUnit. A value is registered as soon as it is seen in a response, so a token
echoed in a later body or a redirect URL is caught too.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

MASK = "«redacted»"


def _wall_ns() -> int:
    """Wall-clock time as files' mtimes count it; not time.time_ns, which freezegun replaces."""
    return time.clock_gettime_ns(time.CLOCK_REALTIME)


MIN_SECRET_LENGTH = 6
"""Values this long or longer are masked wherever they appear, even inside longer text."""
MIN_SHORT_SECRET = 3
"""A secret the run was given (an env value, a PSU's credential, an OTP) shorter than
MIN_SECRET_LENGTH is masked where it stands as a whole token; one of fewer characters than
this cannot be told from ordinary data and is masked by its key only."""

SECRET_KEY = re.compile(
    r"(?i)(^|[-_.])?(authorization|cookie|api[-_]?key|apikey|passw(or)?d|secret|otp|code|token|jwt|"
    r"credential|assertion|session)([-_.]|$)?"
)
"""Field names whose values are secret, whatever the value looks like. The one exception is a
`code` beside a `message` (an error envelope: `{"code": "PSD2_SCA_REQUIRED", "message": ...}`),
see `_secret_in`."""

_ENVELOPE_KEYS = frozenset({"message", "text", "type", "category", "description", "detail"})
_CREDENTIAL_HOLDER = re.compile(r"(?i)^(credentials?|secrets?|auth|authentication|login|keys?|tokens?|api[-_]?keys?)$")
"""Keys that hold credentials whatever the children are called (`credentials: {key: ...}`);
any other secret-named object (`secret_code: {required_methods: [...]}`, a state) only
makes its children secret by their own names."""


def _child_secret(mapping: Mapping[str, Any], key: str, value: Any, secret: bool) -> bool:
    """Whether `mapping[key]` (= `value`) is secret, `secret` saying whether `mapping` is: a
    secret-named object that holds no credentials makes its children secret only by their
    own names (`secret_code: {required_methods: [...]}` is a state, not a secret)."""
    if isinstance(value, dict) and not secret and not _CREDENTIAL_HOLDER.match(key):
        return False
    return secret or _secret_in(mapping, key)


_NOT_SECRET_KEYS = {
    "errorcode",
    "code_challenge_method",
    "tokentype",
    "token_type",
    "channel",
    "expiresin",
    "expires_in",
    "source",
    "method",
    "status",
    "scope",
}


@lru_cache(maxsize=4096)
def is_secret_key(name: str) -> bool:
    lowered = name.lower()
    if lowered in _NOT_SECRET_KEYS:
        return False
    return bool(SECRET_KEY.search(name))


def _secret_in(mapping: Mapping[str, Any], key: str) -> bool:
    """Whether `mapping[key]` is secret: by its name, unconditionally, except the `code` of an
    error envelope (an inbox message `{channel, to, code, sentAt}` holds an OTP: secret)."""
    if not is_secret_key(key):
        return False
    return not (key.lower() == "code" and any(k in _ENVELOPE_KEYS for k in mapping))


_SHORT = re.compile(r"(?!)")

MEMO_MAX_LENGTH = 256
"""Texts up to this long have their redacted form remembered: a run redacts the same short
strings (a currency, a header value, a status word) tens of thousands of times."""
MEMO_SIZE = 32768
"""Remembered texts at most (then the memo starts again): its memory stays a few MB."""
MEMO_RECHECK = 16
"""A remembered result is rechecked against at most this many values registered since;
with more, the text is redacted again."""


class Redactor:
    """Holds the secret values of one run; thread-safe, cheap when nothing is registered."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self._index: dict[str, tuple[str, ...]] = {}
        """The first MIN_SECRET_LENGTH characters of each value -> the values, longest first."""
        self._short: set[str] = set()
        """Values shorter than MIN_SECRET_LENGTH (a PIN, a 5-character key): masked where they
        stand as a whole token, not inside longer runs of letters and digits."""
        self._short_pattern: re.Pattern[str] = _SHORT
        self._log: list[str] = []
        """Every form in `_index`, in the order registered (appended after `_index` has it)."""
        self._overlapping: set[str] = set()
        """Forms that could match across a MASK the short pass wrote (they hold a character of
        MASK's brackets, or lie inside it): a remembered result is never trusted past one."""
        self._registered_ns: dict[str, int] = {}
        """Each value (each form) -> when it was registered: a file written before then cannot
        have been redacted of it (see `integrity.mask_late`)."""
        self._memo: dict[str, tuple[int, str]] = {}
        """text -> (len(_log) when redacted, the redacted text). Valid for every form registered
        since that does not occur in the text: a value a text does not hold cannot change how it
        is redacted. Replaced (not cleared) when the short values change."""
        for value in secrets:
            self.register(value)

    @property
    def values(self) -> frozenset[str]:
        return frozenset(self._values)

    def register(self, value: Any, short: bool = True) -> None:
        """Remember a secret value (and its URL-encoded forms) for redaction by value.

        `short=False` (values harvested by key from answers, where counters and flags stand
        under secret-sounding names) keeps only values of MIN_SECRET_LENGTH or more."""
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            return
        if len(value) < MIN_SECRET_LENGTH:
            if not short or len(value) < MIN_SHORT_SECRET:
                return
            with self._lock:
                if value not in self._short:
                    self._registered_ns.setdefault(value, _wall_ns())
                    self._short.add(value)
                    self._values.add(value)
                    alternatives = "|".join(re.escape(v) for v in sorted(self._short, key=len, reverse=True))
                    self._short_pattern = re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")
                    self._memo = {}  # after the pattern: a text() that saw this memo sees the new pattern
            return
        forms = {value, quote(value, safe=""), quote_plus(value, safe="")}
        with self._lock:
            if forms <= self._values:
                return
            now = _wall_ns()
            for form in sorted(forms - self._values):
                self._registered_ns.setdefault(form, now)
                head = form[:MIN_SECRET_LENGTH]
                self._index[head] = tuple(sorted({*self._index.get(head, ()), form}, key=len, reverse=True))
                if "\u00ab" in form or "\u00bb" in form or form in MASK:
                    self._overlapping.add(form)
                self._log.append(form)  # after the index: a length read before a scan covers it
            self._values |= forms

    def registered_ns(self, value: str) -> int | None:
        """When `value` was registered (wall clock, ns), None if it never was here."""
        return self._registered_ns.get(value)

    def harvest(self, value: Any, secret: bool = False) -> None:
        """Register every value found under a secret key anywhere inside `value`; everything
        below a secret key counts (`credentials: {key: ...}` names its secret `key`)."""
        if isinstance(value, dict):
            for k, v in value.items():
                key = k if isinstance(k, str) else str(k)
                # a key is_secret_key refuses makes no child secret (the common case: one cached lookup)
                child = secret or (is_secret_key(key) and _child_secret(value, key, v, False))
                if child or isinstance(v, (dict, list)):
                    self.harvest(v, child)
        elif isinstance(value, list):
            for item in value:
                if secret or isinstance(item, (dict, list)):
                    self.harvest(item, secret)
        elif secret and value is not None and not isinstance(value, bool):
            self.register(value if isinstance(value, str) else str(value), short=False)

    def text(self, text: str) -> str:
        """Replace every registered value inside `text` (leftmost, longest first).

        One dictionary lookup per position of `text`, whatever the number of values: a run
        registers a thousand or more, and one alternation regex recompiled after each
        registration cost more than the rest of the run together. A short text redacted
        before is looked up (see `_memo`) and rechecked only against the values registered since.
        """
        memo = self._memo  # before the short pattern (see register)
        known = len(self._log)  # before the index is read (see register)
        remembered = memo.get(text)
        if remembered is not None:
            then, result = remembered
            if then == known:
                return result
            if known - then <= MEMO_RECHECK:
                overlapping = self._overlapping
                for form in self._log[then:known]:
                    if form in text or form in overlapping:
                        break
                else:
                    memo[text] = (known, result)
                    return result
        result = self._redact(text)
        if isinstance(text, str) and len(text) <= MEMO_MAX_LENGTH:  # (not a str: as _redact treats it, unremembered)
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[text] = (known, result)
        return result

    def _redact(self, text: str) -> str:
        if self._short and text:
            text = self._short_pattern.sub(MASK, text)
        index = self._index
        if not index or not text or len(text) < MIN_SECRET_LENGTH:
            return text
        out: list[str] = []
        i = last = 0
        end = len(text) - MIN_SECRET_LENGTH
        while i <= end:
            candidates = index.get(text[i : i + MIN_SECRET_LENGTH])
            if candidates:
                for value in candidates:
                    if text.startswith(value, i):
                        out += (text[last:i], MASK)
                        i = last = i + len(value)
                        break
                else:
                    i += 1
            else:
                i += 1
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)

    def json(self, value: Any, secret: bool = False) -> Any:
        """A redacted copy of a JSON value: secret keys masked (with all they hold),
        registered values replaced."""
        if isinstance(value, dict):
            return self._mapping(value, secret)
        if isinstance(value, list):
            return [self.json(v, secret) for v in value]
        if secret and value is not None and not isinstance(value, bool):
            return MASK
        if isinstance(value, str):
            return self.text(value)
        return value

    def _mapping(self, mapping: Mapping[Any, Any], secret: bool) -> dict[Any, Any]:
        """`json` of a mapping, with the leaves handled in place (most of a body's nodes)."""
        out: dict[Any, Any] = {}
        text, json = self.text, self.json
        for k, v in mapping.items():
            key = k if isinstance(k, str) else str(k)
            child = secret or (is_secret_key(key) and _child_secret(mapping, key, v, False))
            if isinstance(v, dict):
                out[k] = self._mapping(v, child)
            elif isinstance(v, list):
                out[k] = json(v, child)
            elif child:
                out[k] = v if v is None or isinstance(v, bool) else MASK
            elif isinstance(v, str):
                out[k] = text(v)
            else:
                out[k] = v
        return out

    def headers(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in headers:
            shown = MASK if is_secret_key(name) else self.text(value)
            if name.lower() == "location":
                shown = self.url(value)
            out[name] = shown if name not in out else f"{out[name]}, {shown}"
        return out

    def url(self, url: str) -> str:
        """Query and fragment parameters with secret names masked, registered values replaced anywhere.

        The URL is otherwise kept as it was: decoding and re-encoding it would turn a secret
        into a form nobody registered (a raw `+` read as a space comes back as `+`, not `%2B`).
        A value masked by its name is registered, so its later echoes are masked too.
        """
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.text(url)
        query, fragment = self._params(parts.query), self._params(parts.fragment)
        if (query, fragment) != (parts.query, parts.fragment):
            url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, fragment))
        return self.text(url)

    def _params(self, text: str) -> str:
        """`a=1&token=xyz` with the values of secret names masked in place (the fragment of an
        implicit grant, `#access_token=...`, reads the same)."""
        if "=" not in text:
            return text
        pieces = []
        for piece in text.split("&"):
            key, sep, value = piece.partition("=")
            decoded = unquote_plus(value)
            if sep and is_secret_key(unquote_plus(key)) and decoded:
                self.register(decoded)
                self.register(value)
                piece = f"{key}={MASK}"
            pieces.append(piece)
        return "&".join(pieces)

    def form(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return {k: (MASK if is_secret_key(k) else self.text(str(v))) for k, v in fields.items()}
