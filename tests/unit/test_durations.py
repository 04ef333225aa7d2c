"""harness.durations: what suites and regimes may write, and what they may not."""

from __future__ import annotations

import pytest

from harness.durations import format_duration, parse_duration
from harness.errors import DurationError


@pytest.mark.parametrize(
    "text,seconds",
    [
        ("179d", 179 * 86400),
        ("180d", 15552000),
        ("4m59s", 299),
        ("5m", 300),
        ("15s", 15),
        ("-1s", -1),
        ("1h30m", 5400),
        ("1d2h3m4s", 93784),
        ("15", 15),
        ("-15", -15),
        ("0", 0),
        (" 15s ", 15),
        (42, 42),
        (-3, -3),
    ],
)
def test_parses(text: object, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "s",
        "-",
        "5 minutes",
        "1.5s",
        "1s1m",
        "+5",
        "- 5",
        "--5",
        "1d-1s",
        "²",
        "１５",
        "5ms",
        True,
        False,
        1.5,
        None,
        [1],
    ],
)
def test_refuses_with_a_duration_error(bad: object) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(bad)
    assert "expected e.g. 179d, 4m59s, -1s or whole seconds" in str(info.value)


@pytest.mark.parametrize(
    "seconds,text", [(0, "0s"), (15552000, "180d"), (299, "4m59s"), (-1, "-1s"), (90061, "1d1h1m1s"), (3600, "1h")]
)
def test_formats_in_the_shortest_units(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("seconds", [0, 1, -1, 59, 60, 86399, 86400, 15465599, -7776000])
def test_format_and_parse_round_trip(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds
