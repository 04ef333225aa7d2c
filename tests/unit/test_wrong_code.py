"""`otp: {wrong: true}`: a wrong OTP that is never right by chance and reveals nothing."""

from __future__ import annotations

import pytest

from harness.engine import wrong_code
from harness.errors import TargetFault


def test_a_wrong_code_has_the_form_of_the_otp_and_is_none_of_the_codes_sent() -> None:
    sent = [f"{i:06d}" for i in range(0, 1_000_000, 7)]  # a seventh of every six-digit code
    for _ in range(20):
        code = wrong_code(sent[-1], sent)
        assert len(code) == 6 and code.isdigit()
        assert code not in sent


def test_it_keeps_the_width_of_short_codes() -> None:
    taken = [str(i) for i in range(9)]
    assert wrong_code("3", taken) == "9"  # the only one-digit code left


def test_it_is_not_derived_from_the_real_code() -> None:
    codes = {wrong_code("482913", ["482913"]) for _ in range(50)}
    assert len(codes) > 40  # random, not latest + 1


def test_when_every_code_was_sent_there_is_no_wrong_code() -> None:
    with pytest.raises(TargetFault):
        wrong_code("5", [str(i) for i in range(10)])
