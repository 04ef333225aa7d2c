"""summary.html and summary.md show each failed or broken case's whole finding, explain the
citation tags, link EUR-Lex at the article, and list the gaps of the families that ran."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import escape
from pathlib import Path

import pytest

from harness.catalogue import catalogue
from harness.cli import run_pytest
from harness.paths import suites_dir
from harness.summary_html import LEGEND, render
from harness.verdicts import BROKEN, FAILED

from .conftest import DEFECT, Run, only_run_dir, run_suite

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def stepup_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every stepup suite with one planted defect (STP-7: the token never idles)."""
    report_dir = tmp_path_factory.mktemp("stepup-defect") / "reports"
    code = run_pytest(
        [str(suites_dir() / "stepup")], target_name="reference", report_dir=str(report_dir), defects=(DEFECT,)
    )
    assert code == 1
    return only_run_dir(report_dir)


def _summary(run_dir: Path) -> dict:
    import json

    return json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))


def test_summaries_show_the_whole_finding_of_each_failed_case(stepup_run: Path) -> None:
    summary = _summary(stepup_run)
    failed = [c for c in summary["cases"] if c["verdict"] in (FAILED, BROKEN)]
    assert failed and {c["verdict"] for c in failed} == {FAILED}
    assert all(c["requirements"][0] == "STP-7" for c in failed)
    html = (stepup_run / "summary.html").read_text(encoding="utf-8")
    md = (stepup_run / "summary.md").read_text(encoding="utf-8")
    for case in failed:
        finding = case["finding"]
        # the rule (ID and title), where (file:line:column and step), sent, came back, every mismatch
        assert finding.startswith(f"{case['id']}: the bank did not do what the rule says\n")
        assert "\n  rule STP-7: The token expires after 5 minutes without activity\n" in finding
        assert re.search(r"\n  at \S+\.yaml:\d+:\d+ \(step \d+: [^)]+\)\n", finding), finding
        assert "\n  sent: GET http://reference.in-process/stepup/" in finding
        assert "\n  came back: 200\n" in finding and "\n  - status: expected 401, got 200" in finding
        assert "\n  body: " in finding and len(finding) <= 4096 + 200
        assert f'<pre class="finding">{escape(finding)}</pre>' in html  # escaped, whole
        assert f'id="finding-{case["id"]}"' in html and f'href="#finding-{case["id"]}"' in html
        assert f"```text\n{finding}\n```" in md
        # the evidence of the case in report.html (Allure 3 routes #/<md5 of the result's uuid>)
        assert re.fullmatch(r"report\.html#/[0-9a-f]{32}", case["report_link"])
        assert f'href="{case["report_link"]}"' in html and f"]({case['report_link']})" in md
    for case in summary["cases"]:
        if case["verdict"] not in (FAILED, BROKEN):
            assert case["finding"] == "" and f'id="finding-{case["id"]}"' not in html


def test_a_broken_case_shows_its_target_fault(tmp_path: Path) -> None:
    closed = tmp_path / "closed.yaml"
    closed.write_text(
        "name: closedbank\nfamily: stepup\nbase_url: http://127.0.0.1:9\nsandbox: {path: /__sandbox}\n"
        "clock: per-psu\notp: sandbox\ntimeouts: {connect: 2, read: 2}\n",
        encoding="utf-8",
    )
    run = run_suite(tmp_path, target=str(closed))
    assert run.code == 3
    html = (run.run_dir / "summary.html").read_text(encoding="utf-8")
    for case in run.summary["cases"]:
        assert case["verdict"] == BROKEN
        assert re.match(
            r"  at \S+session\.yaml:\d+:\d+ \(step 1: sandbox new_psu\)\n  cannot reach the target", case["finding"]
        ), case["finding"]
        assert f'<pre class="finding">{escape(case["finding"])}</pre>' in html


def test_legend_explains_unverified_and_eurlex_links_go_to_the_article(defect_run: Run) -> None:
    html = (defect_run.run_dir / "summary.html").read_text(encoding="utf-8")
    assert f'<p class="legend" id="legend">{LEGEND}</p>' in html
    assert "<b>verified</b> when its article, paragraph and point were read in a stored copy" in html
    assert "(unverified)</small> marks a citation that was not confirmed" in html
    # STP-7 cites RTS Art. 4(3)(d): the HTML of the act at Art. 4
    assert (
        '<a href="https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=CELEX:32018R0389#art_4">'
        "RTS (EU) 2018/389 Art. 4(3)(d)</a>"
    ) in html
    assert "TXT/?uri=CELEX" not in html  # no EUR-Lex link to the top of a document


def _row(rid: str) -> dict:
    req = catalogue()[rid]
    return {
        "id": rid,
        "title": req.title,
        "family": req.family,
        "severity": req.severity,
        "verdict": "passed",
        "citations": [c.label for c in req.citations],
        "cases": [{"id": f"{rid}-x", "verdict": "passed"}],
    }


def test_citation_links_and_tags_of_every_kind() -> None:
    summary = {
        "target": {"name": "t"},
        "counts": {},
        "exit_code": 0,
        "cases": [],
        "not_testable": [],
        "requirements_without_cases": [],
        "requirements": [_row(r) for r in ("ESC-1", "ESC-2", "DED-2", "SBX-1")],
    }
    html = render(summary, {}, "run")
    unverified = next(c for c in catalogue()["ESC-1"].citations if not c.verified)
    assert unverified.reference == "Art. 36(2)"
    assert (
        '<a href="https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=CELEX:32018R0389#art_36">'
        "RTS (EU) 2018/389 Art. 36(2)</a>"
        f' <small class="unverified" title="{escape(unverified.note)}">(unverified)</small>'
    ) in html
    assert 'href="https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=CELEX:32015L2366#art_97"' in html  # PSD2
    assert 'href="https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=CELEX:32022R2360#art_1"' in html  # 10a
    assert 'href="https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2"' in html  # RFC links as they are


def test_requirements_without_a_case_are_those_of_the_families_that_ran(defect_run: Run, stepup_run: Path) -> None:
    reqs = catalogue()
    ran = {c["id"] for c in defect_run.summary["cases"]}
    assert {c["family"] for c in defect_run.summary["cases"]} == {"stepup"}
    gaps = defect_run.summary["requirements_without_cases"]
    covered = {rid for c in defect_run.summary["cases"] for rid in c["requirements"]}
    assert ran and gaps == [rid for rid, req in reqs.items() if req.family == "stepup" and rid not in covered]
    html = (defect_run.run_dir / "summary.html").read_text(encoding="utf-8")
    section = html.split("<h2>Requirements without a case</h2>", 1)[1].split("<h2", 1)[0]
    assert re.findall(r"<li><a href=\"#req-([A-Z]+-\d+)\">", section) == gaps
    for rid, req in reqs.items():  # no other family's, and no sandbox requirement: no sandbox case ran
        if req.family != "stepup":
            assert f'id="req-{rid}"' not in html and f"- {rid}\n" not in (defect_run.run_dir / "summary.md").read_text(
                encoding="utf-8"
            )
    assert _summary(stepup_run)["requirements_without_cases"] == []  # every stepup rule has a case


@pytest.mark.skipif(
    CHROMIUM is None or shutil.which("node") is None,
    reason="needs chromium and Node.js (report.html); .ci/run installs both",
)
def test_the_case_link_opens_the_case_in_report_html(defect_run: Run, tmp_path: Path) -> None:
    from .test_html import FLAGS

    failed = [c for c in defect_run.summary["cases"] if c["verdict"] == FAILED]
    passed = [c for c in defect_run.summary["cases"] if c["verdict"] != FAILED]
    assert (defect_run.run_dir / "report.html").is_file()
    case = failed[0]
    url = (defect_run.run_dir / "report.html").as_uri() + case["report_link"][len("report.html") :]
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000", "--dump-dom", url],
        check=False,
        capture_output=True,
        text=True,
        timeout=90,
    ).stdout
    assert f"{case['id']}: {case['title']}" in dom
    assert "the bank did not do what the rule says" in dom  # its error, not the overview
    assert not any(f"{c['id']}: {c['title']}" in dom for c in passed)
