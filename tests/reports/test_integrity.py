"""SHA256SUMS, `verify`, and the redaction canary."""

from __future__ import annotations

import base64
import json
import re
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


def test_verify_fails_after_one_byte_of_one_attachment_changes(
    copy_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    attachment = sorted((copy_run / "allure-results").glob("*-attachment.json"))[0]
    data = bytearray(attachment.read_bytes())
    data[len(data) // 2] ^= 0x01
    attachment.write_bytes(bytes(data))
    assert verify_run_dir(copy_run) == 1
    out = capsys.readouterr().out
    assert f"allure-results/{attachment.name}: content changed" in out


def test_verify_recounts_verdicts_even_when_the_sums_were_rewritten(
    copy_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
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
    target.write_text(text + f'secrets: ["${{env:{CANARY_ENV}}}"]\n', encoding="utf-8")
    return target


def test_canary_fails_the_run_on_a_planted_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    secret = "canary-" + secrets.token_hex(10)
    monkeypatch.setenv(CANARY_ENV, secret)
    monkeypatch.setenv("PSD2_REPORT_TEST_LEAK", "1")
    run = run_suite(tmp_path, capfd, target=str(_secret_target(tmp_path)), extra=["-p", "tests.reports.leaky_plugin"])
    assert run.code == 3
    assert "redaction canary" in run.output and "raw-dump.txt" in run.output
    assert secret not in run.output
    assert (run.run_dir / "allure-results" / "raw-dump.txt").read_text().count(secret) == 1
    assert run.summary["exit_code"] == 3  # the summary says what the process said
    assert run.summary["redaction_canary"] == {
        "clean": False,
        "files": ["allure-results/raw-dump.txt"],
        "masked_late": [],
    }


def test_canary_stays_quiet_on_a_clean_run_with_the_same_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(CANARY_ENV, "canary-" + secrets.token_hex(10))
    monkeypatch.delenv("PSD2_REPORT_TEST_LEAK", raising=False)
    run = run_suite(tmp_path, capfd, target=str(_secret_target(tmp_path)), extra=["-p", "tests.reports.leaky_plugin"])
    assert run.code == 0, run.output
    assert "redaction canary" not in run.output
    assert run.summary["redaction_canary"] == {"clean": True, "files": [], "masked_late": []}


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


# -- what summary.html and summary.md say, even after SHA256SUMS is recomputed --------------


def _failed_case(run_dir: Path) -> str:
    summary = json.loads((run_dir / "summary.json").read_text())
    return next(c["id"] for c in summary["cases"] if c["verdict"] == "failed")


def test_the_summaries_of_a_clean_run_say_what_the_raw_results_say(copy_run: Path) -> None:
    from harness.audit import html_said, markdown_said

    summary = json.loads((copy_run / "summary.json").read_text())
    verdicts = {c["id"]: c["verdict"] for c in summary["cases"]}
    assert {"failed", "passed"} <= set(verdicts.values())
    shown = {
        r["id"]: r["verdict"]
        for r in summary["requirements"]
        if r["cases"] or r["id"] in summary["requirements_without_cases"]
    }
    for said in (
        html_said((copy_run / "summary.html").read_text()),
        markdown_said((copy_run / "summary.md").read_text()),
    ):
        assert dict(said.cases) == verdicts
        assert said.counts == summary["counts"]
        assert said.exit_codes == {summary["exit_code"]}
        assert dict(said.requirements) == shown


def test_a_verdict_changed_in_summary_html_is_found_after_the_sums_are_recomputed(
    copy_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = _failed_case(copy_run)
    html = (copy_run / "summary.html").read_text()
    row = re.search(rf'<tr id="case-{re.escape(case)}">.*?</tr>', html, re.S)
    assert row and '<span class="v v-failed">failed</span>' in row.group()
    forged = row.group().replace('<span class="v v-failed">failed</span>', '<span class="v v-passed">passed</span>')
    (copy_run / "summary.html").write_text(html.replace(row.group(), forged))  # the Cases table only
    integrity.write_sums(copy_run)
    assert verify_run_dir(copy_run) == 1
    out = capsys.readouterr().out
    assert f"altered: summary.html says passed for case {case}, the raw results say failed" in out
    assert "summary.md" not in out and "summary.json" not in out


def test_every_mention_in_summary_html_is_checked(copy_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A forger who turns every failed badge green, the requirement's and the counts too."""
    case = _failed_case(copy_run)
    summary = json.loads((copy_run / "summary.json").read_text())
    html = (copy_run / "summary.html").read_text()
    html = html.replace('<span class="v v-failed">failed</span>', '<span class="v v-passed">passed</span>')
    html = re.sub(r"(<td>)(\d+)(</td>)", lambda m: m.group(1) + "0" + m.group(3), html, count=2)
    (copy_run / "summary.html").write_text(html)
    integrity.write_sums(copy_run)
    assert verify_run_dir(copy_run) == 1
    out = capsys.readouterr().out
    assert f"summary.html says passed for case {case}, the raw results say failed" in out
    rid = next(r["id"] for r in summary["requirements"] if r["verdict"] == "failed")
    assert f"summary.html says passed for requirement {rid}, the raw results say failed" in out
    assert f"summary.html counts 0 passed, the raw results count {summary['counts']['passed']}" in out


def test_a_case_removed_from_summary_html_is_found(copy_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = _failed_case(copy_run)
    html = (copy_run / "summary.html").read_text()
    html = re.sub(rf'<tr id="case-{re.escape(case)}">.*?</tr>', "", html, flags=re.S)
    html = re.sub(rf'<a href="#case-{re.escape(case)}">.*?</span>', "", html, flags=re.S)
    (copy_run / "summary.html").write_text(html)
    integrity.write_sums(copy_run)
    assert verify_run_dir(copy_run) == 1
    out = capsys.readouterr().out
    assert f"altered: summary.html does not give case {case} a verdict, the raw results say failed" in out


def test_an_edit_of_summary_md_is_found_after_the_sums_are_recomputed(
    copy_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = _failed_case(copy_run)
    md = (copy_run / "summary.md").read_text()
    assert f"{case} (failed)" in md
    (copy_run / "summary.md").write_text(
        md.replace(f"{case} (failed)", f"{case} (passed)")
        .replace(f"**{case}** (failed)", f"**{case}** (passed)")
        .replace("exit code 1.", "exit code 0.")
    )
    integrity.write_sums(copy_run)
    assert verify_run_dir(copy_run) == 1
    out = capsys.readouterr().out
    assert f"altered: summary.md says passed for case {case}, the raw results say failed" in out
    assert "altered: summary.md says exit code 0, summary.json says 1" in out
    assert "summary.html" not in out


def test_a_forged_summary_json_exit_code_is_found(copy_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("summary.json", "manifest.json"):
        data = json.loads((copy_run / name).read_text())
        data["exit_code"] = 0
        (copy_run / name).write_text(json.dumps(data))
    integrity.write_sums(copy_run)
    assert verify_run_dir(copy_run) == 1
    out = capsys.readouterr().out
    assert "summary.json: exit code 0, the recounted verdicts make 1" in out


def test_summary_md_findings_are_read_but_not_the_text_in_their_code_blocks() -> None:
    from harness.audit import markdown_said

    md = "\n".join(
        [
            "Target t (x), regime eu-2023, harness 0.1.0, exit code 1.",
            "",
            "| verdict | cases |",
            "|---|---|",
            "| failed | 1 |",
            "",
            "### CASE-a (failed)",
            "",
            "````text",
            "```",
            "CASE-b (passed) is quoted here, inside the finding",
            "```",
            "exit code 0",
            "````",
            "",
            "- **CASE-c** (broken): the reason says CASE-d (passed)",
        ]
    )
    said = markdown_said(md)
    assert said.cases == [("CASE-a", "failed"), ("CASE-c", "broken")]
    assert said.counts == {"failed": 1} and said.exit_codes == {1}
