"""report.html (Allure 3, single file) and summary.html open offline and show cases and verdicts."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness import audit
from harness.loader import load_suites

from .conftest import Run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-sync",
    "--mute-audio",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]  # nothing resolves: fully offline


def _titles(run: Run) -> dict[str, str]:
    return {case.id: f"{case.id}: {case.title}" for s in load_suites([str(run.suite)]) for case in s.cases}


def _need_report(run: Run) -> Path:
    report = run.run_dir / "report.html"
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: report.html cannot be generated (.ci/run installs it)")
    assert report.is_file(), "run --html wrote no report.html"
    return report


def _embedded(html: str) -> dict[str, bytes]:
    return {name: base64.b64decode(data) for name, data in re.findall(r'd\("([^"]+)","([A-Za-z0-9+/=]*)"\)', html)}


def test_report_is_one_offline_file_without_analytics(defect_run: Run) -> None:
    html = _need_report(defect_run).read_text(encoding="utf-8")
    assert audit.external_scripts(html) == []
    for mark in ("googletagmanager", "gtag(", "dataLayer", "G-LNDJ3J7WT0"):
        assert mark not in html
    assert not re.search(r"<(link|img|iframe)\b[^>]*(href|src)=[\"']?(https?:)?//", html, re.I)
    data = _embedded(html)
    results = [v for k, v in data.items() if k.startswith("data/test-results/")]
    assert results, "the case data is embedded in the file"
    for raw in results:  # host and thread labels are hidden
        assert b'"name":"host"' not in raw and b'"name":"thread"' not in raw
    categories = data["widgets/categories.json"].decode()
    assert "Non-compliance: the bank broke a rule" in categories


def test_strip_analytics_refuses_a_tracker_it_cannot_remove() -> None:
    html = '<html><script src="https://tracker.example/t.js"></script></html>'
    with pytest.raises(ValueError, match="tracker"):
        audit.strip_analytics(html)
    ga = (
        '<head>\n    <script async src="https://www.googletagmanager.com/gtag/js?id=G-X1"></script>\n'
        "    <script>\n        window.dataLayer = window.dataLayer || [];\n        gtag('js', new Date());\n"
        "    </script>\n<script>app()</script></head>"
    )
    assert audit.strip_analytics(ga) == "<head>\n<script>app()</script></head>"


def test_summary_html_is_self_contained(defect_run: Run) -> None:
    html = (defect_run.run_dir / "summary.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert not re.search(r"\b(src|srcset)\s*=|<link\b|url\(|@import", html, re.I)
    assert "default-src 'none'" in html
    for case in defect_run.summary["cases"]:
        assert f'id="case-{case["id"]}"' in html
    assert "STP-7" in html and "Not testable" in html


def _chromium(*args: str, user_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={user_dir}", *args], capture_output=True, text=True, timeout=90
    )


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium); .ci/run installs it"
)
def test_both_pages_render_cases_and_verdicts_in_headless_chromium(defect_run: Run, tmp_path: Path) -> None:
    report = _need_report(defect_run)
    summary = defect_run.run_dir / "summary.html"
    shot = tmp_path / "report.png"
    jobs = {
        "report": ("--virtual-time-budget=1500", "--dump-dom", report.as_uri()),
        "shot": ("--virtual-time-budget=1500", "--window-size=1400,1000", f"--screenshot={shot}", report.as_uri()),
        "summary": ("--dump-dom", summary.as_uri()),
    }
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = {
            name: pool.submit(_chromium, *args, user_dir=tmp_path / f"profile-{name}") for name, args in jobs.items()
        }
        done = {name: f.result() for name, f in futures.items()}
    report_dom, summary_dom = done["report"].stdout, done["summary"].stdout
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", done["shot"].stderr[-2000:]
    verdicts = {c["id"]: c["verdict"] for c in defect_run.summary["cases"]}
    for case_id, title in _titles(defect_run).items():
        assert title in report_dom, f"{title!r} not rendered by report.html"
        row = re.search(rf'<tr id="case-{re.escape(case_id)}">(.*?)</tr>', summary_dom, re.S)
        assert row and f"v-{verdicts[case_id].replace(' ', '-')}" in row.group(1), case_id
    assert ">Failed<" in report_dom and ">Passed<" in report_dom  # the verdict filters with counts
    assert "PSD2 SCA conformance: reference" in summary_dom


def test_report_without_node_is_a_clear_usage_error(
    copy_run: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (copy_run / "report.html").unlink(missing_ok=True)
    monkeypatch.setattr(audit.shutil, "which", lambda name: None)
    assert audit.write_allure_html(copy_run) == 2
    assert "needs Node.js" in capsys.readouterr().err
    assert not (copy_run / "report.html").exists()
