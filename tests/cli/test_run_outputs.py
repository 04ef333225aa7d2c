"""What a run leaves behind: `reports/<UTC timestamp>-<target>/` with allure-results/,
junit.xml, summary.json, summary.md and manifest.json, each with the content it promises."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import harness
from harness.cli import run_pytest
from tests.cli.conftest import RUN_DIR_NAME, TINY_CASES, load_json, only_run_dir


def _utc(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def test_run_folder_holds_every_output_with_its_content(tiny_suite: Path, tmp_path: Path) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    code = run_pytest([str(tiny_suite)], target_name="reference", report_dir=str(tmp_path / "reports"))
    after = datetime.now(UTC)
    assert code == 0
    run_dir = only_run_dir(tmp_path / "reports")

    # the folder: <UTC timestamp>-<target>
    stamp, target = RUN_DIR_NAME.match(run_dir.name).groups()
    assert target == "reference"
    created = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert before <= created <= after
    assert {p.name for p in run_dir.iterdir()} >= {
        "allure-results",
        "junit.xml",
        "summary.json",
        "summary.md",
        "manifest.json",
    }

    # allure-results: one result per case, with its verdict and its requirement as a story
    results = [json.loads(p.read_text()) for p in (run_dir / "allure-results").glob("*-result.json")]
    by_case = {next(label["value"] for label in r["labels"] if label["name"] == "as_id"): r for r in results}
    assert sorted(by_case) == sorted(TINY_CASES)
    assert {r["status"] for r in results} == {"passed"}
    stories = {label["value"] for label in by_case["CLI-idle-above-limit"]["labels"] if label["name"] == "story"}
    assert any(s.startswith("STP-7 ") for s in stories), stories
    assert list((run_dir / "allure-results").glob("*-attachment.json")), "every exchange is attached as evidence"

    # junit.xml: one testcase per case id, none failed
    root = ET.parse(run_dir / "junit.xml").getroot()
    cases = {tc.get("name"): tc for tc in root.iter("testcase")}
    assert sorted(cases) == sorted(TINY_CASES)
    assert not any(tc.find("failure") is not None or tc.find("error") is not None for tc in cases.values())

    # summary.json: counts, cases, requirement table
    summary = load_json(run_dir / "summary.json")
    assert summary["exit_code"] == 0
    assert summary["counts"] == {"passed": 2, "failed": 0, "broken": 0, "not testable": 0, "skipped": 0}
    assert {c["id"]: (c["verdict"], c["requirements"]) for c in summary["cases"]} == {
        "CLI-login": ("passed", ["STP-1"]),
        "CLI-idle-above-limit": ("passed", ["STP-7"]),
    }
    reqs = {row["id"]: row for row in summary["requirements"]}
    assert reqs["STP-7"]["verdict"] == "passed" and reqs["STP-7"]["citations"]
    assert reqs["STP-2"]["verdict"] == "no case"

    # summary.md: the same, for people
    md = (run_dir / "summary.md").read_text(encoding="utf-8")
    assert md.startswith("# PSD2 SCA conformance: reference")
    assert "| passed | 2 |" in md and "exit code 0" in md
    assert "CLI-idle-above-limit (passed)" in md

    # manifest.json: what was run, pinned
    manifest = load_json(run_dir / "manifest.json")
    assert manifest["harness_version"] == harness.__version__
    assert manifest["target"]["name"] == "reference"
    assert manifest["target"]["base_url"] == "in-process:harness.reference.app:create_app"
    assert manifest["regime"] == "eu-2023"
    assert [Path(s["file"]).resolve() for s in manifest["suites"]] == [tiny_suite.resolve()]
    assert manifest["suites"][0]["sha256"] == hashlib.sha256(tiny_suite.read_bytes()).hexdigest()
    started, ended = _utc(manifest["started"]), _utc(manifest["ended"])
    assert before - timedelta(seconds=1) <= started <= ended <= after + timedelta(seconds=1)
    assert manifest["counts"] == summary["counts"]
    assert manifest["exit_code"] == 0


def test_manifest_of_a_remote_target_with_a_regime_override(
    tiny_suite: Path, closed_port_target: Path, tmp_path: Path
) -> None:
    # past the preflight (which stops `run` at once): the cases themselves meet the closed port
    code = run_pytest(
        [str(tiny_suite)],
        target_name=str(closed_port_target),
        regime="eu-2019",
        report_dir=str(tmp_path / "out"),
        allure=False,
    )
    assert code == 3
    run_dir = only_run_dir(tmp_path / "out")
    assert run_dir.name.endswith("-closed")
    manifest = load_json(run_dir / "manifest.json")
    base_url = closed_port_target.read_text().split("base_url: ", 1)[1].splitlines()[0]
    assert manifest["target"] == {"name": "closedbank", "base_url": base_url, "source": manifest["target"]["source"]}
    assert manifest["target"]["source"].endswith("closed.yaml")
    assert manifest["regime"] == "eu-2019"
    assert manifest["counts"]["broken"] == 2 and manifest["exit_code"] == 3
    assert manifest["suites"][0]["sha256"] == hashlib.sha256(tiny_suite.read_bytes()).hexdigest()


def test_each_run_gets_its_own_folder(tiny_suite: Path, tmp_path: Path) -> None:
    args = [str(tiny_suite)]
    assert run_pytest(args, target_name="reference", report_dir=str(tmp_path / "r"), keyword="CLI-login") == 0
    assert run_pytest(args, target_name="reference", report_dir=str(tmp_path / "r"), keyword="CLI-login") == 0
    folders = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert len(folders) == 2 and all(RUN_DIR_NAME.match(f) for f in folders)
    for folder in folders:
        assert load_json(tmp_path / "r" / folder / "summary.json")["counts"]["passed"] == 1
