"""`psd2-harness report` and `psd2-harness verify`: the auditor's side of a run folder.

`report` turns `RUN_DIR/allure-results` into `RUN_DIR/report.html`, one self-contained file
made by Allure 3 (npm package `allure`, the exact version pinned in the repository's
`package.json` and `package-lock.json`). The package is installed with `npm ci` on first
use, into the repository (`node_modules/`, git-ignored) or, when that is not writable, into
`~/.cache/psd2-harness/allure-<version>/` (`PSD2_HARNESS_NODE_DIR` names another folder).
Allure 3 always embeds a Google Analytics snippet; it is removed and its absence checked
before the file is written: the report makes no request when it opens.

`verify` rechecks `SHA256SUMS` and recounts the verdicts from the raw results (Allure
result files and JUnit XML), comparing them with `summary.json` and `manifest.json`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

from harness import integrity
from harness.verdicts import BROKEN, EXIT_BROKEN, EXIT_USAGE, FAILED, NOT_TESTABLE, PASSED, SKIPPED, VERDICTS

EXIT_OK, EXIT_ALTERED = 0, 1

_GA_BLOCK = re.compile(
    r'\s*<script[^>]*\bsrc="https://www\.googletagmanager\.com/gtag/js\?id=[^"]*"[^>]*>\s*</script>'
    r'\s*<script>\s*window\.dataLayer[\s\S]*?</script>', re.I)
_EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(https?:)?//", re.I)
_TRACKER_MARKS = ("googletagmanager", "google-analytics", "gtag(", "window.dataLayer")


def _say(message: str) -> None:
    print(message, file=sys.stderr)


# -- report ---------------------------------------------------------------------------------

def project_node_dir() -> Path | None:
    """The folder holding the pinned package.json and package-lock.json."""
    env = os.environ.get("PSD2_HARNESS_NODE_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parent.parent)  # the repository (editable install)
    for folder in candidates:
        if (folder / "package.json").is_file() and (folder / "package-lock.json").is_file():
            return folder
    return None


def pinned_version(node_dir: Path) -> str:
    return json.loads((node_dir / "package.json").read_text(encoding="utf-8"))["dependencies"]["allure"]


def _installed(folder: Path, version: str) -> Path | None:
    pkg = folder / "node_modules" / "allure" / "package.json"
    cli = folder / "node_modules" / ".bin" / "allure"
    try:
        if cli.exists() and json.loads(pkg.read_text(encoding="utf-8")).get("version") == version:
            return cli
    except (OSError, ValueError):
        pass
    return None


def ensure_allure(node_dir: Path) -> Path:
    """The pinned Allure CLI, installed with `npm ci` on first use. Raises RuntimeError."""
    version = pinned_version(node_dir)
    cli = _installed(node_dir, version)
    if cli:
        return cli
    install_dir = node_dir
    if not os.access(node_dir, os.W_OK):
        install_dir = Path.home() / ".cache" / "psd2-harness" / f"allure-{version}"
        cli = _installed(install_dir, version)
        if cli:
            return cli
        install_dir.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(node_dir / name, install_dir / name)
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed; install Node.js with npm (Debian: apt-get install nodejs npm)")
    _say(f"installing the pinned Allure {version} with `npm ci` in {install_dir} (first use)")
    proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=install_dir,
                          capture_output=True, text=True)
    cli = _installed(install_dir, version)
    if proc.returncode != 0 or cli is None:
        raise RuntimeError(f"`npm ci` failed in {install_dir}:\n{proc.stderr.strip()[-2000:]}")
    return cli


def strip_analytics(html: str) -> str:
    """Remove the analytics snippet Allure 3 embeds; raise ValueError if any tracker remains."""
    html = _GA_BLOCK.sub("", html)
    problems = [m for m in _TRACKER_MARKS if m in html]
    if _EXTERNAL_SCRIPT.search(html):
        problems.append("an external <script src>")
    if problems:
        raise ValueError("the generated report still loads or names a tracker: " + ", ".join(problems))
    return html


def external_scripts(html: str) -> list[str]:
    """Every `<script src>` that points off the machine (for tests and checks)."""
    return [m.group(0) for m in _EXTERNAL_SCRIPT.finditer(html)]


def write_allure_html(run_dir: Path, secrets: frozenset[str] | None = None) -> int:
    """Write RUN_DIR/report.html; 0 on success, 2 when Node/Allure is unusable, 3 on a harness fault or leak."""
    run_dir = Path(run_dir)
    results = run_dir / "allure-results"
    if not results.is_dir() or not any(results.glob("*-result.json")):
        _say(f"{results}: no Allure results to report (was the run made with Allure?)")
        return EXIT_USAGE
    node = shutil.which("node")
    if node is None:
        _say("report.html needs Node.js (18 or newer), which is not installed or not on PATH.\n"
             "Install it (Debian: apt-get install nodejs npm), or read summary.html, which needs nothing.")
        return EXIT_USAGE
    node_dir = project_node_dir()
    if node_dir is None:
        _say("report.html needs the pinned package.json and package-lock.json of psd2-harness; run from a "
             "checkout of the repository or set PSD2_HARNESS_NODE_DIR to a folder holding both.")
        return EXIT_USAGE
    try:
        cli = ensure_allure(node_dir)
    except (RuntimeError, OSError) as exc:
        _say(f"cannot use the pinned Allure package: {exc}")
        return EXIT_USAGE
    summary = _load_json(run_dir / "summary.json") or {}
    if summary.get("interrupted") or (_load_json(run_dir / "manifest.json") or {}).get("interrupted"):
        _say(f"{run_dir}: the run was interrupted (Ctrl-C) before every case had a verdict; report.html is "
             "written only for a complete run (summary.html says what ran)")
        return EXIT_USAGE
    name = f"PSD2 SCA conformance: {(summary.get('target') or {}).get('name', run_dir.name)} ({run_dir.name})"
    with tempfile.TemporaryDirectory(prefix="psd2-allure-") as tmp:
        from harness.reporting import allurerc

        config = Path(tmp) / "allurerc.json"
        config.write_text(json.dumps(allurerc(output=str(Path(tmp) / "out"), report_name=name)), encoding="utf-8")
        proc = subprocess.run([str(cli), "generate", "--config", str(config), str(results.resolve())],
                              cwd=tmp, capture_output=True, text=True, env={**os.environ, "ALLURE_NO_ANALYTICS": "true"})
        generated = Path(tmp) / "out" / "awesome" / "index.html"
        if not generated.is_file():
            generated = Path(tmp) / "out" / "index.html"
        if proc.returncode != 0 or not generated.is_file():
            _say(f"Allure failed (exit {proc.returncode}):\n{(proc.stderr or proc.stdout).strip()[-2000:]}")
            return EXIT_BROKEN
        try:
            html = strip_analytics(generated.read_text(encoding="utf-8"))
        except ValueError as exc:
            _say(f"report.html not written: {exc}")
            return EXIT_BROKEN
    out = run_dir / "report.html"
    out.write_text(html, encoding="utf-8")
    integrity.add_to_sums(run_dir, out)
    secrets = secrets if secrets is not None else integrity.remembered_secrets(run_dir)
    hits = integrity.leaks(run_dir, secrets, files=[out]) if secrets else []  # the rest was scanned by the run
    if hits:
        _say(integrity.canary_message(hits, run_dir))
        return EXIT_BROKEN
    print(f"report: {out}")
    return EXIT_OK


# -- verify ---------------------------------------------------------------------------------

def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def allure_verdicts(results_dir: Path) -> dict[str, str]:
    """Case id -> verdict, from the raw Allure result files (the latest result of each case)."""
    latest: dict[str, tuple[int, str]] = {}
    for path in sorted(results_dir.glob("*-result.json")):
        data = _load_json(path)
        if not isinstance(data, dict):
            raise ValueError(f"{path.name}: not an Allure result")
        labels = {lab.get("name"): lab.get("value") for lab in data.get("labels", [])}
        case_id = labels.get("as_id") or str(data.get("fullName", "")).rsplit("#", 1)[-1]
        status = data.get("status")
        message = (data.get("statusDetails") or {}).get("message") or ""
        if status == "skipped":
            from harness.reporting import NOT_TESTABLE_MESSAGE

            verdict = NOT_TESTABLE if message.startswith(NOT_TESTABLE_MESSAGE) else SKIPPED
        else:
            verdict = {"passed": PASSED, "failed": FAILED, "broken": BROKEN}.get(status, str(status))
        stop = int(data.get("stop") or 0)
        if case_id not in latest or stop >= latest[case_id][0]:
            latest[case_id] = (stop, verdict)
    return {case: verdict for case, (_, verdict) in latest.items()}


def junit_verdicts(junit: Path) -> dict[str, str]:
    """Case id -> verdict, from JUnit XML: the `verdict` property, checked against the element."""
    out: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        verdict = props.get("verdict")
        if verdict is None:
            continue  # not a harness case
        shape = "failure" if case.find("failure") is not None or case.find("error") is not None else (
            "skipped" if case.find("skipped") is not None else "passed")
        expected = {PASSED: "passed", FAILED: "failure", BROKEN: "failure", NOT_TESTABLE: "skipped",
                    SKIPPED: "skipped"}.get(verdict)
        if expected != shape:
            raise ValueError(f"junit.xml: {case.get('name')} says {verdict!r} but is recorded as {shape}")
        out[str(case.get("name"))] = verdict
    return out


def verify_run_dir(run_dir: Path) -> int:
    """0 when the folder is intact and its verdicts add up; 1 naming what was altered."""
    run_dir = Path(run_dir)
    problems = integrity.check_sums(run_dir)
    summary = _load_json(run_dir / "summary.json")
    manifest = _load_json(run_dir / "manifest.json")
    recount: dict[str, str] = {}
    if not isinstance(summary, dict):
        problems.append("summary.json: missing or not JSON")
    else:
        claimed = {c["id"]: c["verdict"] for c in summary.get("cases", [])}
        sources = []
        if (run_dir / "junit.xml").is_file():
            sources.append(("junit.xml", junit_verdicts_safe(run_dir / "junit.xml", problems)))
        results = run_dir / "allure-results"
        if results.is_dir() and any(results.glob("*-result.json")):
            try:
                sources.append(("allure-results", allure_verdicts(results)))
            except ValueError as exc:
                problems.append(f"allure-results/{exc}")
        if not sources:
            problems.append("no raw results (junit.xml, allure-results/) to recount the verdicts from")
        for name, found in sources:
            if found is None:
                continue
            for case in sorted(set(claimed) | set(found)):
                if claimed.get(case) != found.get(case):
                    problems.append(f"{name}: {case} is {found.get(case, 'absent')!r} there, "
                                    f"{claimed.get(case, 'absent')!r} in summary.json")
            recount = recount or found
        counts = dict(Counter(recount.values()))
        expected = {v: counts.get(v, 0) for v in VERDICTS}
        if recount and summary.get("counts") != expected:
            problems.append(f"summary.json: counts {summary.get('counts')} differ from the recount {expected}")
        if isinstance(manifest, dict) and manifest.get("counts") != summary.get("counts"):
            problems.append("manifest.json: counts differ from summary.json")
    if problems:
        print(f"{run_dir}: ALTERED or inconsistent, {len(problems)} problem(s):")
        for problem in problems:
            print(f"  {problem}")
        return EXIT_ALTERED
    n = len(integrity.read_sums(run_dir))
    shown = ", ".join(f"{v} {k}" for k, v in sorted(Counter(recount.values()).items()))
    print(f"{run_dir}: intact. {n} file(s) match SHA256SUMS; verdicts recounted from the raw results "
          f"({shown or 'none'}) match summary.json.")
    return EXIT_OK


def junit_verdicts_safe(junit: Path, problems: list[str]) -> dict[str, str] | None:
    try:
        return junit_verdicts(junit)
    except (ET.ParseError, ValueError) as exc:
        problems.append(f"junit.xml: {exc}")
        return None
