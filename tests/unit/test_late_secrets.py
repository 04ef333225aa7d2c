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


LATE_SUITE = """\
family: stepup
title: a value that becomes a secret later
cases:
  - id: a-early-evidence
    title: evidence holds a number as plain data
    requirements: [STP-1]
    severity: major
    steps:
      - method: GET
        url: /echo?reference=481516
        expect: {status: 200}
  - id: b-late-secret
    title: the bank then mints the same number as a token
    requirements: [STP-1]
    severity: major
    steps:
      - method: POST
        url: /reflect
        json: {token: "481516"}
        expect: {status: 200}
        capture: {token: /token}
"""


def test_a_run_whose_late_secret_stood_in_earlier_evidence_is_clean_and_says_so(tmp_path: Path) -> None:
    from tests.engine.conftest import run_suite_in

    run = run_suite_in(tmp_path, LATE_SUITE, allure=True)
    canary = run.summary["redaction_canary"]
    assert run.code == 0, run.summary
    assert canary["clean"] is True and canary["files"] == []
    # case a's exchange and its result (whose step title names the URL), both written before case b ran
    masked = canary["masked_late"]
    assert {name.rsplit("-", 1)[-1] for name in masked} == {"attachment.json", "result.json"}, masked
    for name in masked:
        text = (run.run_dir / name).read_text(encoding="utf-8")
        assert "481516" not in text and MASK in text
    assert not integrity.check_sums(run.run_dir)  # SHA256SUMS covers the file as masked
