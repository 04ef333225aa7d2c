"""Allure results of a run carry the metadata an auditor navigates by (read from the JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.catalogue import catalogue
from harness.loader import load_suites
from harness.redaction import MASK
from harness.reporting import CATEGORIES, EPIC, RTS_DOCUMENT
from harness.verdicts import FAILED, PASSED

from .conftest import Run, run_suite


def _labels(result: dict, name: str) -> list[str]:
    return [lab["value"] for lab in result["labels"] if lab["name"] == name]


def _attachments(step: dict) -> list[dict]:
    found = list(step.get("attachments", []))
    for sub in step.get("steps", []):
        found += _attachments(sub)
    return found


def _cases(run: Run) -> dict:
    return {case.id: (suite, case) for suite in load_suites([str(run.suite)]) for case in suite.cases}


def test_labels_links_description_title_of_every_case(defect_run: Run) -> None:
    cases = _cases(defect_run)
    results = defect_run.results()
    assert sorted(_labels(r, "as_id")[0] for r in results) == sorted(cases)
    for result in results:
        suite, case = cases[_labels(result, "as_id")[0]]
        assert result["name"] == f"{case.id}: {case.title}"  # set at teardown, not overwritten
        assert _labels(result, "epic") == [EPIC]
        assert _labels(result, "feature") == [suite.family]
        assert _labels(result, "severity") == [{"warning": "trivial"}.get(case.severity, case.severity)]
        reqs = catalogue()
        assert _labels(result, "story") == [f"{rid} {reqs[rid].title}" for rid in case.requirements]
        tags = _labels(result, "tag")
        assert set(case.requirements) <= set(tags) and suite.family in tags and set(case.tags) <= set(tags)
        # links: every cited article, the requirement's source document, the regulation itself
        urls = {link["url"]: link["name"] for link in result["links"]}
        for rid in case.requirements:
            for cite in reqs[rid].citations:
                if cite.url:
                    assert urls.get(cite.url) is not None, (cite.url, urls)
            source = getattr(reqs[rid], "source_document", None)
            if source is not None and getattr(source, "url", ""):
                assert source.url in urls
        assert urls[RTS_DOCUMENT[0]] == RTS_DOCUMENT[1]
        # description: obligation, citations, what the case does, the regime values it used
        text = result["description"]
        for rid in case.requirements:
            assert reqs[rid].title in text
            if reqs[rid].obligation:
                assert reqs[rid].obligation in text
            for cite in reqs[rid].citations:
                assert cite.label in text
        assert "### What the case does" in text and case.steps[0].label in text
        assert "Regime `eu-2023` values used" in text
        assert "| `session_idle` | 5m (300 s) |" in text  # every STP-7 case moves the clock by the idle limit


def test_steps_and_redacted_attachments(defect_run: Run) -> None:
    results = {_labels(r, "as_id")[0]: r for r in defect_run.results()}
    verdicts = {c["id"]: c["verdict"] for c in defect_run.summary["cases"]}
    statuses = {cid: r["status"] for cid, r in results.items()}
    assert {statuses[c] for c, v in verdicts.items() if v == FAILED} == {"failed"}
    assert {statuses[c] for c, v in verdicts.items() if v == PASSED} == {"passed"}
    assert FAILED in verdicts.values() and PASSED in verdicts.values()
    folder = defect_run.run_dir / "allure-results"
    logins = 0
    for result in results.values():
        assert result["steps"], "every request is a step"
        attachments = [a for step in result["steps"] for a in _attachments(step)]
        assert attachments
        for att in attachments:
            assert (folder / att["source"]).is_file()
            if att["name"].startswith("POST") and att["name"].endswith("/login_with_password"):
                exchange = json.loads((folder / att["source"]).read_text(encoding="utf-8"))
                assert exchange["request"]["body"]["password"] == MASK
                assert exchange["response"]["body"]["token"] == MASK
                assert exchange["request"]["headers"].get("api-key") == MASK
                logins += 1
    assert logins >= len(results)


def test_environment_executor_and_categories(defect_run: Run) -> None:
    folder = defect_run.run_dir / "allure-results"
    env = dict(line.split("=", 1) for line in (folder / "environment.properties").read_text().splitlines())
    assert env["target"] == "reference" and env["family"] == "stepup" and env["regime"] == "eu-2023"
    assert env["base_url"] and env["harness_version"] and len(env["suite_digest"]) == 64
    assert json.loads((folder / "executor.json").read_text())["buildName"] == defect_run.run_dir.name
    categories = json.loads((folder / "categories.json").read_text())
    assert categories == CATEGORIES
    assert [c["matchedStatuses"] for c in categories] == [["failed"], ["broken"], ["broken"], ["broken"], ["skipped"]]


def test_not_testable_cases_keep_their_labels(tmp_path: Path) -> None:
    reference = Path(__file__).resolve().parents[2] / "harness" / "targets" / "reference.yaml"
    text = reference.read_text(encoding="utf-8")
    assert "sandbox: {path: /__sandbox}" in text
    (tmp_path / "nosandbox.yaml").write_text(text.replace("sandbox: {path: /__sandbox}", "sandbox: none"))
    run = run_suite(tmp_path, target=str(tmp_path / "nosandbox.yaml"))
    assert run.code == 4
    results = run.results()
    assert results and {r["status"] for r in results} == {"skipped"}
    for result in results:
        assert result["statusDetails"]["message"].startswith("Skipped: not testable: ")
        assert _labels(result, "epic") == [EPIC] and _labels(result, "story")[0].startswith("STP-7 ")
        assert any(link["url"] == RTS_DOCUMENT[0] for link in result["links"])
        assert "### Obligation" in result["description"]
        assert result["name"].startswith(_labels(result, "as_id")[0] + ": ")


def _step_names(step: dict) -> list[str]:
    return [step["name"]] + [n for s in step.get("steps", []) for n in _step_names(s)]


def test_clock_moves_are_titled_with_the_resolved_duration(defect_run: Run) -> None:
    """An auditor reads "by 4m59s", not an unresolved ${regime...} reference."""
    names = {n for r in defect_run.results() for s in r["steps"] for n in _step_names(s)}
    moves = {n for n in names if n.startswith("advance the clock")}
    assert "advance the clock by 4m59s (${regime.session_idle} - 1s)" in moves
    assert "advance the clock by 5m1s (${regime.session_idle} + 1s)" in moves
    assert not any("[" in n for n in moves)
