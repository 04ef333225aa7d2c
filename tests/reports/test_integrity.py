"""SHA256SUMS, `verify`, and the redaction canary."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import pytest

from harness import integrity
from harness.audit import verify_run_dir

from .conftest import run_suite

CANARY_ENV = "PSD2_REPORT_TEST_SECRET"


def test_sums_cover_every_artifact_and_verify_passes(copy_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = set(integrity.read_sums(copy_run))
    files = {p.relative_to(copy_run).as_posix() for p in copy_run.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert listed == files
    assert {"summary.json", "summary.html", "junit.xml", "manifest.json"} <= listed
    assert verify_run_dir(copy_run) == 0
    assert "intact" in capsys.readouterr().out


def test_verify_fails_after_one_byte_of_one_attachment_changes(copy_run: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    attachment = sorted((copy_run / "allure-results").glob("*-attachment.json"))[0]
    data = bytearray(attachment.read_bytes())
    data[len(data) // 2] ^= 0x01
    attachment.write_bytes(bytes(data))
    assert verify_run_dir(copy_run) == 1
    out = capsys.readouterr().out
    assert f"allure-results/{attachment.name}: content changed" in out


def test_verify_recounts_verdicts_even_when_the_sums_were_rewritten(copy_run: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    summary = json.loads((copy_run / "summary.json").read_text())
    failed = next(c for c in summary["cases"] if c["verdict"] == "failed")
    failed["verdict"] = "passed"
    summary["counts"]["failed"] -= 1
    summary["counts"]["passed"] += 1
    (copy_run / "summary.json").write_text(json.dumps(summary))
    integrity.write_sums(copy_run)  # a forger who also updates the checksums
    assert verify_run_dir(copy_run) == 1
    out = capsys.readouterr().out
    assert f"{failed['id']} is 'failed' there, 'passed' in summary.json" in out


def _secret_target(tmp_path: Path) -> Path:
    reference = Path(__file__).resolve().parents[2] / "harness" / "targets" / "reference.yaml"
    text = reference.read_text(encoding="utf-8").replace("name: reference", "name: canary")
    target = tmp_path / "canary.yaml"
    target.write_text(text + f"secrets: [\"${{env:{CANARY_ENV}}}\"]\n", encoding="utf-8")
    return target


def test_canary_fails_the_run_on_a_planted_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    secret = "canary-" + secrets.token_hex(10)
    monkeypatch.setenv(CANARY_ENV, secret)
    monkeypatch.setenv("PSD2_REPORT_TEST_LEAK", "1")
    run = run_suite(tmp_path, capfd, target=str(_secret_target(tmp_path)),
                    extra=["-p", "tests.reports.leaky_plugin"])
    assert run.code == 3
    assert "redaction canary" in run.output and "raw-dump.txt" in run.output
    assert secret not in run.output
    assert (run.run_dir / "allure-results" / "raw-dump.txt").read_text().count(secret) == 1
    assert run.summary["exit_code"] == 3  # the summary says what the process said
    assert run.summary["redaction_canary"] == {"clean": False, "files": ["allure-results/raw-dump.txt"]}


def test_canary_stays_quiet_on_a_clean_run_with_the_same_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(CANARY_ENV, "canary-" + secrets.token_hex(10))
    monkeypatch.delenv("PSD2_REPORT_TEST_LEAK", raising=False)
    run = run_suite(tmp_path, capfd, target=str(_secret_target(tmp_path)),
                    extra=["-p", "tests.reports.leaky_plugin"])
    assert run.code == 0, run.output
    assert "redaction canary" not in run.output
    assert run.summary["redaction_canary"] == {"clean": True, "files": []}


def test_canary_finds_values_as_written_escaped_and_base64_embedded(tmp_path: Path) -> None:
    secret, otp = "tok+" + secrets.token_hex(8) + "/é", "482913"
    files = {
        "clean.json": json.dumps({"start": 17954829130001, "id": "x482913y"}),  # an OTP's digits inside numbers
        "plain.txt": f"Authorization: Bearer {secret}\n",
        "escaped.json": json.dumps({"v": secret}),
        "otp.txt": f"code {otp}.",
        "page.html": '<script>d("x","' + base64.b64encode(f'{{"t":"{secret}"}}'.encode()).decode() + '")</script>',
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert integrity.leaks(tmp_path, [secret, otp]) == ["escaped.json", "otp.txt", "page.html", "plain.txt"]
    assert integrity.leaks(tmp_path, []) == []
