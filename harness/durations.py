"""Durations as people write them in suites and regimes: `179d`, `4m59s`, `-1s`, `15`.

Whole seconds only: the contract measures every limit in whole seconds of the bank's clock.
"""

from __future__ import annotations

import re

from harness.errors import DurationError

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_PATTERN = re.compile(r"^(-)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$")
_SECONDS = re.compile(r"^-?[0-9]+$")  # ASCII digits only: "--5" or "²" are errors, not crashes


def parse_duration(value: object) -> int:
    """Return the duration in seconds; ints pass through, strings use d/h/m/s units."""
    if isinstance(value, bool):
        raise DurationError(f"bad duration {value!r}; expected e.g. 179d, 4m59s, -1s or whole seconds")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _SECONDS.match(text):
            return int(text)
        match = _PATTERN.match(text)
        if match and any(match.group(i) for i in range(2, 6)):
            sign = -1 if match.group(1) else 1
            total = sum(int(g) * _UNITS[u] for g, u in zip(match.groups()[1:], "dhms", strict=True) if g)
            return sign * total
    raise DurationError(f"bad duration {value!r}; expected e.g. 179d, 4m59s, -1s or whole seconds")


def format_duration(seconds: int) -> str:
    """The shortest unit form, for messages and reports (`15552000` -> `180d`)."""
    if seconds == 0:
        return "0s"
    sign, rest = ("-", -seconds) if seconds < 0 else ("", seconds)
    parts = []
    for unit, size in _UNITS.items():
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return sign + "".join(parts)
