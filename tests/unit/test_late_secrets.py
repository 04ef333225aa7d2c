"""A value that becomes a secret after a file was written is masked there, not reported as a
leak; a secret the file was written after is a leak (`integrity.mask_late`).

Seen in a real run: an OTP sent late in the run equalled the 6 digits ending a TPP client id
written in an earlier case's evidence, and the canary failed the run (exit 3)."""

from __future__ import annotations

import os
from pathlib import Path

from harness import integrity
from harness.redaction import MASK, Redactor

EVIDENCE = '{"url": "http://bank/token?clientId=tpp-eb1c1fd6-1-037384"}'


def _written_at(path: Path, text: str, ns: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(ns, ns))


def test_a_value_registered_after_the_file_was_written_is_masked_in_place(tmp_path: Path) -> None:
    redactor = Redactor()
    early = tmp_path / "early-attachment.json"
    _written_at(early, EVIDENCE, 1_000_000_000)  # long before anything was registered
    redactor.register("037384")  # the OTP, sent later
    hits = integrity.leaks(tmp_path, redactor.values)
    assert hits == ["early-attachment.json"]
    assert integrity.mask_late(tmp_path, hits, redactor) == ["early-attachment.json"]
    assert early.read_text(encoding="utf-8") == EVIDENCE.replace("037384", MASK)
    assert integrity.leaks(tmp_path, redactor.values) == []


def test_a_file_written_after_the_value_was_registered_stays_a_leak(tmp_path: Path) -> None:
    redactor = Redactor()
    redactor.register("037384")
    late = tmp_path / "late-attachment.json"
    late.write_text(EVIDENCE, encoding="utf-8")  # now: after the registration, so redaction should have masked it
    hits = integrity.leaks(tmp_path, redactor.values)
    assert integrity.mask_late(tmp_path, hits, redactor) == []
    assert late.read_text(encoding="utf-8") == EVIDENCE
    assert integrity.leaks(tmp_path, redactor.values) == ["late-attachment.json"]


def test_one_early_value_does_not_excuse_another_known_before(tmp_path: Path) -> None:
    redactor = Redactor()
    redactor.register("known-before-ABCDEF")
    mixed = tmp_path / "mixed.json"
    _written_at(mixed, EVIDENCE[:-2] + ' known-before-ABCDEF"}', 2_000_000_000)
    os.utime(mixed, ns=(redactor.registered_ns("known-before-ABCDEF") or 0,) * 2)  # written as it was registered
    redactor.register("037384")
    hits = integrity.leaks(tmp_path, redactor.values)
    assert integrity.mask_late(tmp_path, hits, redactor) == []  # one value was known when it was written
