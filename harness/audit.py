"""`psd2-harness report` and `psd2-harness verify`: the auditor's side of a run folder.

`report` turns `RUN_DIR/allure-results` into `RUN_DIR/report.html`, one self-contained file
made by Allure 3 (npm package `allure`, the exact version pinned in the repository's
`package.json` and `package-lock.json`). The package is installed with `npm ci` on first
use, into the repository (`node_modules/`, git-ignored) or, when that is not writable, into
`~/.cache/psd2-harness/allure-<version>/` (`PSD2_HARNESS_NODE_DIR` names another folder).
Allure 3 always embeds a Google Analytics snippet; it is removed and its absence checked
before the file is written: the report makes no request when it opens.

`verify` rechecks `SHA256SUMS`, recounts the verdicts from the raw results (Allure result
files and JUnit XML) and compares them with what `summary.json`, `manifest.json`,
`summary.md` and `summary.html` say (each case's verdict, the counts, each requirement's
verdict, the exit code), and checks the folder's Ed25519 signature (harness/signing.py)
against a public key when given one. An edit that recomputes `SHA256SUMS` still has to
agree with the raw results; only the signature shows who sealed the folder.
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
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from harness import integrity
from harness.verdicts import (
    BROKEN,
    EXIT_BROKEN,
    EXIT_USAGE,
    FAILED,
    NOT_TESTABLE,
    PASSED,
    SKIPPED,
    VERDICTS,
    CaseResult,
    Verdict,
    exit_code,
)

EXIT_OK, EXIT_ALTERED = 0, 1

_GA_BLOCK = re.compile(
    r'\s*<script[^>]*\bsrc="https://www\.googletagmanager\.com/gtag/js\?id=[^"]*"[^>]*>\s*</script>'
    r"\s*<script>\s*window\.dataLayer[\s\S]*?</script>",
    re.I,
)
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
    return str(json.loads((node_dir / "package.json").read_text(encoding="utf-8"))["dependencies"]["allure"])


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
    proc = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=install_dir, capture_output=True, text=True
    )
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
        _say(
            "report.html needs Node.js (18 or newer), which is not installed or not on PATH.\n"
            "Install it (Debian: apt-get install nodejs npm), or read summary.html, which needs nothing."
        )
        return EXIT_USAGE
    node_dir = project_node_dir()
    if node_dir is None:
        _say(
            "report.html needs the pinned package.json and package-lock.json of psd2-harness; run from a "
            "checkout of the repository or set PSD2_HARNESS_NODE_DIR to a folder holding both."
        )
        return EXIT_USAGE
    try:
        cli = ensure_allure(node_dir)
    except (RuntimeError, OSError) as exc:
        _say(f"cannot use the pinned Allure package: {exc}")
        return EXIT_USAGE
    summary = _load_json(run_dir / "summary.json") or {}
    if summary.get("interrupted") or (_load_json(run_dir / "manifest.json") or {}).get("interrupted"):
        _say(
            f"{run_dir}: the run was interrupted (Ctrl-C) before every case had a verdict; report.html is "
            "written only for a complete run (summary.html says what ran)"
        )
        return EXIT_USAGE
    name = f"PSD2 SCA conformance: {(summary.get('target') or {}).get('name', run_dir.name)} ({run_dir.name})"
    with tempfile.TemporaryDirectory(prefix="psd2-allure-") as tmp:
        from harness.reporting import allurerc

        config = Path(tmp) / "allurerc.json"
        config.write_text(json.dumps(allurerc(output=str(Path(tmp) / "out"), report_name=name)), encoding="utf-8")
        proc = subprocess.run(
            [str(cli), "generate", "--config", str(config), str(results.resolve())],
            cwd=tmp,
            capture_output=True,
            text=True,
            env={**os.environ, "ALLURE_NO_ANALYTICS": "true"},
        )
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
    if (run_dir / integrity.SIG_FILE).is_file():
        _say(
            f"{run_dir}: SHA256SUMS now lists report.html, so the folder's signature ({integrity.SIG_FILE}) "
            "no longer matches it; `verify --public-key` will say so (sign runs with `run --html --sign-key`)"
        )
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

            verdict: str = NOT_TESTABLE if message.startswith(NOT_TESTABLE_MESSAGE) else SKIPPED
        else:
            verdict = str(status)  # allure's passed, failed and broken are the harness's words
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
        shape = (
            "failure"
            if case.find("failure") is not None or case.find("error") is not None
            else ("skipped" if case.find("skipped") is not None else "passed")
        )
        expected: str | None = {
            str(PASSED): "passed",
            FAILED: "failure",
            BROKEN: "failure",
            NOT_TESTABLE: "skipped",
            SKIPPED: "skipped",
        }.get(verdict)
        if expected != shape:
            raise ValueError(f"junit.xml: {case.get('name')} says {verdict!r} but is recorded as {shape}")
        out[str(case.get("name"))] = verdict
    return out


def junit_cases(junit: Path) -> dict[str, dict[str, str]]:
    """Case id -> the harness's JUnit properties (verdict, requirements, severity, ...)."""
    out: dict[str, dict[str, str]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        props = {str(p.get("name")): str(p.get("value")) for p in case.iter("property")}
        if "verdict" in props:
            out[str(case.get("name"))] = props
    return out


def requirement_verdict(verdicts: set[str]) -> str:
    """A requirement's verdict from its cases' (the rule of harness/runfolder.py's requirement table)."""
    if not verdicts:
        return "no case"
    return next((v for v in (FAILED, BROKEN, NOT_TESTABLE, PASSED, SKIPPED) if v in verdicts), SKIPPED)


# -- what summary.md and summary.html say ---------------------------------------------------

_VERDICT_WORDS = "|".join(re.escape(v) for v in (*VERDICTS, "no case"))
_MD_CASE = re.compile(r"(?<![A-Za-z0-9_.-])([A-Za-z0-9][A-Za-z0-9_.-]*?)\**\s*\((" + _VERDICT_WORDS + r")\)")
_MD_REQUIREMENT = re.compile(r"^\|\s*([A-Z]{2,5}-[1-9][0-9]*)\s[^|]*\|\s*(" + _VERDICT_WORDS + r")\s*\|")
_MD_COUNT = re.compile(r"^\|\s*(" + _VERDICT_WORDS + r")\s*\|\s*(\d+)\s*\|\s*$")
_MD_FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")
_EXIT_SAID = re.compile(r"exit code\s*(-?\d+)")


class Said:
    """What a summary document says: (case, verdict) and (requirement, verdict) mentions,
    the counts table, the exit code, and whether it has a per-case table."""

    def __init__(self) -> None:
        self.cases: list[tuple[str, str]] = []
        self.case_rows: set[str] = set()
        self.requirements: list[tuple[str, str]] = []
        self.counts: dict[str, int] = {}
        self.exit_codes: set[int] = set()


def markdown_said(text: str) -> Said:
    """summary.md: `id (verdict)` in its tables, headings and top-level list items (a list
    item's reason, after the first ': ', is left out, and so are fenced code blocks and
    indented lines: findings' text), requirement rows `| ID title | verdict | ...`, the
    counts, and the header's exit code."""
    said = Said()
    fence = ""  # the open code fence: closed by a line of the same character, at least as long
    for line in text.splitlines():
        if m := _MD_FENCE.match(line):
            if not fence:
                fence = m.group(1)
            elif m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2).strip():
                fence = ""
            continue
        if fence or line[:1].isspace():
            continue
        stripped = line.strip()
        if stripped.startswith("#"):
            region = stripped
        elif stripped.startswith("|"):
            region = stripped
            if m := _MD_COUNT.match(stripped):
                said.counts[m.group(1)] = int(m.group(2))
                continue
            if m := _MD_REQUIREMENT.match(stripped):
                said.requirements.append((m.group(1), m.group(2)))
        elif stripped.startswith(("- ", "* ")):
            region = stripped.split(": ", 1)[0]
        else:
            if not said.exit_codes and (m := _EXIT_SAID.search(stripped)):  # the header line's
                said.exit_codes.add(int(m.group(1)))
            continue
        said.cases += [(m.group(1), m.group(2)) for m in _MD_CASE.finditer(region)]
    return said


class _SummaryHTML(HTMLParser):
    """summary.html: a verdict badge (`<span class="v ...">`) belongs to the case link
    (`<a href="#case-ID">`) before it in the same cell or list item, else to its row
    (`<tr id="case-ID">` or `<tr id="req-ID">`); in `<table class="counts">` the badges head
    the columns of the numbers below them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.said = Said()
        self.tables: list[set[str]] = []
        self.row = ""
        self.cell_case: str | None = None
        self.in_cell = False
        self.badge: list[str] | None = None
        self.count_heads: list[str] = []
        self.count_cells: list[str] = []
        self.text: list[str] = []

    def _in_counts(self) -> bool:
        return bool(self.tables) and "counts" in self.tables[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.tables.append(set(a.get("class", "").split()))
        elif tag == "tr":
            self.row = a.get("id", "")
        elif tag in ("td", "th", "li", "p"):
            self.cell_case, self.in_cell = None, tag in ("td", "th")
            if tag == "td" and self._in_counts():
                self.count_cells.append("")
        elif tag == "a" and a.get("href", "").startswith("#case-"):
            self.cell_case = a["href"][len("#case-") :]
        elif tag == "span" and "v" in a.get("class", "").split():
            self.badge = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self.badge is not None:
            verdict = " ".join("".join(self.badge).split())
            self.badge = None
            if self._in_counts():
                self.count_heads.append(verdict)
            elif self.cell_case:
                self.said.cases.append((self.cell_case, verdict))
            elif self.row.startswith("case-"):
                self.said.cases.append((self.row[len("case-") :], verdict))
                self.said.case_rows.add(self.row[len("case-") :])
            elif self.row.startswith("req-"):
                self.said.requirements.append((self.row[len("req-") :], verdict))
        elif tag == "table" and self.tables:
            self.tables.pop()
        elif tag == "tr":
            self.row = ""
        elif tag in ("td", "th", "li", "p"):
            self.cell_case, self.in_cell = None, False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.badge is not None:
            self.badge.append(data)
        elif self._in_counts() and self.in_cell and self.count_cells:
            self.count_cells[-1] += data

    def close(self) -> None:
        super().close()
        for head, cell in zip(self.count_heads, self.count_cells, strict=False):
            try:
                self.said.counts[head] = int(cell.strip())
            except ValueError:
                self.said.counts[head] = -1
        if m := _EXIT_SAID.search("".join(self.text)):  # the first: the header's, not a case's reason
            self.said.exit_codes.add(int(m.group(1)))


def html_said(text: str) -> Said:
    parser = _SummaryHTML()
    parser.feed(text)
    parser.close()
    return parser.said


def _compare(
    name: str,
    things: str,
    said: list[tuple[str, str]],
    truth: dict[str, str],
    source: str,
    required: set[str] | None = None,
) -> list[str]:
    """Problems where `said` (mentions of cases or requirements) disagrees with `truth`; each
    thing of `required` (default: every one of `truth`) must be mentioned with a verdict."""
    thing = things[:-1]
    seen: dict[str, set[str]] = {}
    for key, verdict in said:
        seen.setdefault(key, set()).add(verdict)
    problems = []
    for key in sorted(set(truth) | set(seen)):
        verdicts = seen.get(key, set())
        if key not in truth:
            problems += [
                f"altered: {name} says {v} for {thing} {key}, which {source} do not have" for v in sorted(verdicts)
            ]
        elif not verdicts:
            if key in (truth.keys() if required is None else required):
                problems.append(f"altered: {name} does not give {thing} {key} a verdict, {source} say {truth[key]}")
        else:
            problems += [
                f"altered: {name} says {v} for {thing} {key}, {source} say {truth[key]}"
                for v in sorted(verdicts - {truth[key]})
            ]
    return problems


def summary_documents_problems(
    run_dir: Path,
    cases: dict[str, str],
    requirements: dict[str, str] | None,
    counts: dict[str, int],
    code: Any,
    source: str,
) -> list[str]:
    """What summary.md and summary.html say, against `cases` (case -> verdict), `requirements`
    (requirement -> verdict, for those the summary shows), the counts and the exit code."""
    problems = []
    for name, parse in (("summary.md", markdown_said), ("summary.html", html_said)):
        path = run_dir / name
        try:
            said = parse(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            problems.append(f"{name}: missing or unreadable (every run writes it)")
            continue
        problems += _compare(name, "cases", said.cases, cases, source)
        if said.case_rows:  # it has a table of cases: every case has its row with a verdict
            problems += [
                f"altered: {name} has no row with a verdict for case {case} in its Cases table, "
                f"{source} say {cases[case]}"
                for case in sorted(set(cases) - said.case_rows)
            ]
        if requirements is not None:
            problems += _compare(name, "requirements", said.requirements, requirements, source, required=set())
        for verdict, n in said.counts.items():
            if counts.get(verdict, 0) != n:
                problems.append(f"altered: {name} counts {n} {verdict}, {source} count {counts.get(verdict, 0)}")
        if isinstance(code, int):
            problems += [
                f"altered: {name} says exit code {c}, summary.json says {code}"
                for c in sorted(said.exit_codes - {code})
            ]
    return problems


# -- verify ---------------------------------------------------------------------------------


def verify_run_dir(run_dir: Path, public_key: Path | None = None) -> int:
    """0 when the folder is intact, its verdicts add up and every summary agrees with the raw
    results (and, given `public_key`, its signature holds); 1 naming what was altered;
    2 when the public key cannot be used."""
    from harness import signing

    run_dir = Path(run_dir)
    key = None
    if public_key is not None:
        try:
            key = signing.load_public_key(public_key)
        except signing.SigningError as exc:
            _say(str(exc))
            return EXIT_USAGE
    problems = integrity.check_sums(run_dir)
    summary = _load_json(run_dir / "summary.json")
    manifest = _load_json(run_dir / "manifest.json")
    recount: dict[str, str] = {}
    if not isinstance(summary, dict):
        problems.append("summary.json: missing or not JSON")
    else:
        claimed = {c["id"]: c["verdict"] for c in summary.get("cases", [])}
        sources = []
        junit = None
        if (run_dir / "junit.xml").is_file():
            sources.append(("junit.xml", junit_verdicts_safe(run_dir / "junit.xml", problems)))
            if sources[-1][1] is not None:
                junit = junit_cases(run_dir / "junit.xml")
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
                    problems.append(
                        f"{name}: {case} is {found.get(case, 'absent')!r} there, "
                        f"{claimed.get(case, 'absent')!r} in summary.json"
                    )
            recount = recount or found
        counts = dict(Counter(recount.values()))
        expected = {v: counts.get(v, 0) for v in VERDICTS}
        if recount and summary.get("counts") != expected:
            problems.append(f"summary.json: counts {summary.get('counts')} differ from the recount {expected}")
        if isinstance(manifest, dict) and manifest.get("counts") != summary.get("counts"):
            problems.append("manifest.json: counts differ from summary.json")
        if isinstance(manifest, dict) and manifest.get("exit_code") != summary.get("exit_code"):
            problems.append(
                f"manifest.json: exit code {manifest.get('exit_code')} differs from summary.json's "
                f"{summary.get('exit_code')}"
            )
        if isinstance(manifest, dict) and isinstance(manifest.get("selected_cases"), list):
            judged = set(claimed) | set(recount)
            unjudged = sorted(set(manifest["selected_cases"]) - judged)
            if unjudged and not manifest.get("interrupted"):
                problems.append(
                    f"manifest.json: {len(unjudged)} selected case(s) have no result (e.g. "
                    f"{', '.join(unjudged[:3])}): a result was removed, or cases were dropped"
                )
        requirements = _requirement_problems(summary, junit, recount or claimed, problems)
        if junit and recount:
            _exit_code_problems(summary, junit, problems)
        truth, source = (recount, "the raw results") if recount else (claimed, "summary.json's cases")
        problems += summary_documents_problems(
            run_dir,
            truth,
            requirements,
            {v: Counter(truth.values()).get(v, 0) for v in VERDICTS},
            summary.get("exit_code"),
            source,
        )
    if key is not None:
        problems += signing.check_signature(run_dir, key)
    if problems:
        print(f"{run_dir}: ALTERED or inconsistent, {len(problems)} problem(s):")
        for problem in problems:
            print(f"  {problem}")
        if key is None:
            print(f"signature: {signing.signature_status(run_dir)}")
        return EXIT_ALTERED
    n = len(integrity.read_sums(run_dir))
    shown = ", ".join(f"{v} {k}" for k, v in sorted(Counter(recount.values()).items()))
    print(
        f"{run_dir}: intact. {n} file(s) match SHA256SUMS; verdicts recounted from the raw results "
        f"({shown or 'none'}) match summary.json, summary.md and summary.html."
    )
    if key is not None:
        print(f"signature: valid, by {signing.fingerprint(key)}: the holder of that key sealed exactly these files.")
    else:
        print(f"signature: {signing.signature_status(run_dir)}")
    return EXIT_OK


def _requirement_problems(
    summary: dict[str, Any], junit: dict[str, dict[str, str]] | None, verdicts: dict[str, str], problems: list[str]
) -> dict[str, str] | None:
    """Each requirement's verdict and cases in summary.json against those recounted (cases and
    their requirements from junit.xml, else summary.json's); returns requirement -> verdict."""
    rows = summary.get("requirements")
    if not isinstance(rows, list):
        return None
    members: dict[str, set[str]] = {}
    if junit:
        for case, props in junit.items():
            for rid in props.get("requirements", "").split():
                members.setdefault(rid, set()).add(case)
    else:
        for case in summary.get("cases", []):
            for rid in case.get("requirements", []):
                members.setdefault(rid, set()).add(case["id"])
    out: dict[str, str] = {}
    for row in rows:
        rid = row.get("id")
        cases = members.get(rid, set())
        out[rid] = requirement_verdict({verdicts[c] for c in cases if c in verdicts})
        if row.get("verdict") != out[rid]:
            problems.append(
                f"summary.json: requirement {rid} is {row.get('verdict')!r} there, the recount makes it {out[rid]!r}"
            )
        listed = {c.get("id"): c.get("verdict") for c in row.get("cases", [])}
        should = {c: verdicts[c] for c in cases if c in verdicts}
        if listed != should:
            problems.append(f"summary.json: requirement {rid} lists cases {listed}, the recount has {should}")
    return out


def _exit_code_problems(summary: dict[str, Any], junit: dict[str, dict[str, str]], problems: list[str]) -> None:
    """summary.json's exit code against the one the recounted verdicts make (3 when the run was
    interrupted or the redaction canary found a secret, as harness/plugin.py decides)."""
    results = [
        CaseResult(case, Verdict(props["verdict"]), severity=props.get("severity", "major"))
        for case, props in junit.items()
        if props["verdict"] in VERDICTS  # junit_verdicts has refused any other
    ]
    expected = exit_code(results)
    canary = summary.get("redaction_canary") or {}
    if summary.get("interrupted") or canary.get("clean") is False:
        expected = EXIT_BROKEN
    if summary.get("exit_code") != expected:
        problems.append(f"summary.json: exit code {summary.get('exit_code')}, the recounted verdicts make {expected}")


def junit_verdicts_safe(junit: Path, problems: list[str]) -> dict[str, str] | None:
    try:
        return junit_verdicts(junit)
    except (ET.ParseError, ValueError) as exc:
        problems.append(f"junit.xml: {exc}")
        return None
