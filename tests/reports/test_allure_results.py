"""Allure results of a run carry the metadata an auditor navigates by (read from the JSON)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from harness.catalogue import catalogue
from harness.loader import load_suites
from harness.redaction import MASK
from harness.reporting import CATEGORIES, DOCUMENTS, PSD2, RTS, RTS_DOCUMENT, TARGET_FAULT_MESSAGE, epic, instrument
from harness.verdicts import FAILED, PASSED

from .conftest import Run, only_run_dir, run_suite


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
        reqs = catalogue()
        first = reqs[case.requirements[0]]
        assert _labels(result, "epic") == [epic(first)] == [RTS]  # every STP-7 case: RTS Art. 4(3)(d)
        assert _labels(result, "feature") == [suite.family]
        assert _labels(result, "severity") == [{"warning": "trivial"}.get(case.severity, case.severity)]
        assert _labels(result, "story") == [f"{first.id} {first.title}"]  # one story: the first requirement
        tags = _labels(result, "tag")
        assert set(case.requirements) <= set(tags) and suite.family in tags and set(case.tags) <= set(tags)
        # links: every cited article, the requirement's source document, each instrument cited
        urls = {link["url"]: link["name"] for link in result["links"]}
        for rid in case.requirements:
            for cite in reqs[rid].citations:
                if cite.url:
                    assert urls.get(cite.article_url) is not None, (cite.article_url, urls)
                assert urls[DOCUMENTS[instrument(cite)][0]] == DOCUMENTS[instrument(cite)][1]
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
        assert _labels(result, "epic") == [RTS] and _labels(result, "story")[0].startswith("STP-7 ")
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


# -- a default run: every bundled suite, as `psd2-harness run` does it ---------------------------


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from harness.cli import run_pytest
    from harness.paths import suites_dir

    report_dir = tmp_path_factory.mktemp("default-run") / "reports"
    assert run_pytest([str(suites_dir())], target_name="reference", report_dir=str(report_dir)) == 0
    run_dir = only_run_dir(report_dir)
    cases = {case.id: (suite, case) for suite in load_suites([str(suites_dir())]) for case in suite.cases}
    return run_dir, cases


def _results(run_dir: Path) -> list[dict]:
    return [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted((run_dir / "allure-results").glob("*-result.json"))
    ]


def test_default_run_one_result_per_case_counted_once_per_grouping(default_run: tuple[Path, dict]) -> None:
    run_dir, cases = default_run
    results = _results(run_dir)
    ids = [_labels(r, "as_id")[0] for r in results]
    assert sorted(ids) == sorted(cases), "one result per case, none twice"
    for level in ("epic", "feature", "story", "parentSuite", "suite"):
        counts = Counter(v for r in results for v in _labels(r, level))
        assert sum(counts.values()) == len(cases), (level, counts)  # the group counts add up to the cases
    assert any(len(case.requirements) > 1 for _, case in cases.values())  # the cases that used to count twice


def test_default_run_epics_are_the_regulations_cited(default_run: tuple[Path, dict]) -> None:
    run_dir, cases = default_run
    reqs = catalogue()
    epics = Counter()
    for result in _results(run_dir):
        _, case = cases[_labels(result, "as_id")[0]]
        first = reqs[case.requirements[0]]
        assert _labels(result, "epic") == [epic(first)]
        assert _labels(result, "story") == [f"{first.id} {first.title}"]
        assert set(case.requirements) <= set(_labels(result, "tag"))  # the other requirements: tags
        epics[epic(first)] += 1
        if first.basis in ("regulation", "standard"):
            basis = next(c for c in first.citations if c.role == "basis")
            assert epic(first) == instrument(basis)
        else:
            assert epic(first).endswith(first.source_document.title)
    assert {RTS, PSD2, "RFC 6749"} <= set(epics), epics
    assert any(name.startswith("Source document: ") for name in epics), epics
    assert any(name.startswith("Harness convention: ") for name in epics), epics  # the sandbox plane
    assert "PSD2 RTS on SCA and CSC (EU) 2018/389" not in epics  # the one epic of old


def test_descriptions_write_durations_for_people(default_run: tuple[Path, dict]) -> None:
    run_dir, _ = default_run
    texts = [r["description"] for r in _results(run_dir)]
    assert not [t for t in texts if "['" in t]
    steps = [t.split("### What the case does", 1)[1].split("###")[0] for t in texts]
    assert not [s for s in steps if "${regime." in s]  # every regime limit is resolved and named
    joined = "\n".join(texts)
    assert "advance the clock by 5m 1s = session_idle + 1 s" in joined
    assert "advance the clock by 4m 59s = session_idle - 1 s" in joined
    assert "advance the clock by 180d 1s = sca_renewal + 1 s" in joined
    assert "repeat 5 times = max_failed_attempts" in joined


def test_step_line_of_each_kind_of_clock_move() -> None:
    from harness.errors import Location
    from harness.model import Advance
    from harness.regime import load_regime
    from harness.reporting import step_line

    regime = load_regime("eu-2023")

    def line(advance: object) -> str:
        return step_line(Advance(by=advance, location=Location("x.yaml")), regime)

    assert line(["${regime.session_idle}", "1s"]) == "advance the clock by 5m 1s = session_idle + 1 s"
    assert line("${regime.recent_window}") == "advance the clock by 90d = recent_window"
    assert line("4m59s") == "advance the clock by 4m 59s"
    assert line(["${expiresIn}", "-1s"]) == "advance the clock by expiresIn - 1 s"  # known only during the run
    assert (
        Advance(by=["${regime.session_idle}", "-1s"], location=Location("x.yaml")).label
        == "advance the clock by ${regime.session_idle} - 1s"
    )


def _messages(node: dict) -> list[str]:
    found = [node["statusDetails"]["message"]] if (node.get("statusDetails") or {}).get("message") else []
    for step in node.get("steps", []):
        found += _messages(step)
    return found


def _category(result: dict) -> str | None:
    message = (result.get("statusDetails") or {}).get("message") or ""
    for cat in CATEGORIES:
        if result["status"] in cat["matchedStatuses"] and re.match(cat.get("messageRegex", "[\\s\\S]*"), message):
            return cat["name"]
    return None


def test_error_titles_carry_no_class_name_and_keep_their_category(defect_run: Run, tmp_path: Path) -> None:
    closed = tmp_path / "closed.yaml"
    closed.write_text(
        "name: closedbank\nfamily: stepup\nbase_url: http://127.0.0.1:9\nsandbox: {path: /__sandbox}\n"
        "clock: per-psu\notp: sandbox\ntimeouts: {connect: 2, read: 2}\n",
        encoding="utf-8",
    )
    broken = run_suite(tmp_path, target=str(closed))
    assert broken.code == 3
    failed = [r for r in defect_run.results() if r["status"] == "failed"]
    faults = broken.results()
    assert failed and faults and {r["status"] for r in faults} == {"broken"}
    for result in failed + faults:
        for message in _messages(result):
            assert not message.startswith("harness.errors."), message
            assert not re.match(r"^[A-Za-z_.]+(Error|Fault|NonCompliance|NotMet): ", message), message
    findings = {c["id"]: c["finding"] for c in defect_run.summary["cases"]}
    for result in failed:
        message = result["statusDetails"]["message"]
        assert message.startswith(_labels(result, "as_id")[0] + ": the bank did not do what the rule says")
        assert findings[_labels(result, "as_id")[0]] in message  # the title is the finding
        assert _category(result) == "Non-compliance: the bank broke a rule"
    for result in faults:
        assert result["statusDetails"]["message"].startswith(TARGET_FAULT_MESSAGE + "at ")
        assert _category(result) == "Target fault: the bank could not be tested"


def test_categories_match_titles_old_and_new() -> None:
    from harness.reporting import clean_message

    def category(status: str, message: str) -> str | None:
        return _category({"status": status, "statusDetails": {"message": message}})

    for raw in (
        "harness.errors.PreconditionNotMet: precondition not met: login at x.yaml:3:5: 500 {}",
        clean_message("harness.errors.PreconditionNotMet: precondition not met: login at x.yaml:3:5", "broken"),
    ):
        assert category("broken", raw) == "Precondition not met: the case never reached its rule", raw
    for raw in (
        "harness.errors.TargetFault:   at x.yaml:3:5 (step 1)\n  timeout",
        clean_message("harness.errors.TargetFault:   at x.yaml:3:5 (step 1)\n  timeout", "broken"),
    ):
        assert category("broken", raw) == "Target fault: the bank could not be tested", raw
    harness_fault = clean_message("KeyError: 'psu'", "broken")
    assert harness_fault == "harness fault: KeyError: 'psu'" and category("broken", harness_fault) == "Harness fault"
    assert (
        clean_message("LOGIN-1: the bank did not do what the rule says", "failed")
        == "LOGIN-1: the bank did not do what the rule says"
    )  # a finding is never taken for a class
    assert clean_message(harness_fault, "broken") == harness_fault  # tidying twice changes nothing


def test_evidence_attachments_are_indented_json(defect_run: Run) -> None:
    folder = defect_run.run_dir / "allure-results"
    attachments = sorted(folder.glob("*-attachment.json"))
    assert attachments
    for path in attachments:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        assert text == json.dumps(data, ensure_ascii=False, indent=2), path.name
        assert text.startswith('{\n  "request": {\n    "method": ')
