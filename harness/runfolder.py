"""The run folder: `reports/<UTC timestamp>-<target>/` and what the plugin writes into it.

The runner creates the folder itself (never `--clean-alluredir`, which races under xdist).
`summary.json`/`summary.md` give the verdict per requirement with its cases;
`manifest.json` pins what was run: harness version, target, regime, suite digests, times.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import __version__
from harness.catalogue import catalogue
from harness.verdicts import BROKEN, FAILED, NOT_TESTABLE, PASSED, SKIPPED, VERDICTS


def create_run_dir(report_dir: str | Path, target_name: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", target_name)
    base = Path(report_dir) / f"{stamp}-{safe}"
    run_dir, n = base, 1
    while run_dir.exists():
        n += 1
        run_dir = base.with_name(f"{base.name}-{n}")
    (run_dir / "allure-results").mkdir(parents=True)
    return run_dir


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def requirement_table(results: list[Any]) -> list[dict[str, Any]]:
    """Per catalogue requirement: its cases with verdicts, and the requirement's verdict."""
    by_req: dict[str, list[Any]] = {}
    for result in results:
        for rid in result.requirements:
            by_req.setdefault(rid, []).append(result)
    rows = []
    for rid, req in catalogue().items():
        cases = by_req.get(rid, [])
        verdicts = {c.verdict for c in cases}
        if not cases:
            verdict = "no case"
        else:
            verdict = next((v for v in (FAILED, BROKEN, NOT_TESTABLE, PASSED, SKIPPED) if v in verdicts), SKIPPED)
        rows.append(
            {
                "id": rid,
                "title": req.title,
                "family": req.family,
                "severity": req.severity,
                "verdict": verdict,
                "citations": [c.label for c in req.citations],
                "cases": [{"id": c.case_id, "verdict": c.verdict, "reason": c.reason} for c in cases],
            }
        )
    return rows


def write_outputs(
    run_dir: Path,
    harness: Any,
    code: int,
    leaks: list[str] | None = None,
    interrupted: bool = False,
    masked_late: list[str] | None = None,
) -> None:
    """Write the run's outputs. `leaks`: files where the redaction canary found a secret (a
    second write after a hit records it, with exit code 3, in the summary and manifest);
    `masked_late`: files that held, by chance, a value that became a secret only after they
    were written, masked since (`integrity.mask_late`)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    results = sorted(harness.results.values(), key=lambda r: r.case_id)
    counts = Counter(r.verdict for r in results)
    target = harness.target()
    ended = datetime.now(UTC).timestamp()
    table = requirement_table(results)
    alluredir = getattr(harness.config.option, "allure_report_dir", None)
    report_ids: dict[str, str] = {}
    if alluredir and Path(alluredir).is_dir():
        from harness.reporting import tidy_results

        report_ids = tidy_results(Path(alluredir), harness.redact)
    # the families of the suites that ran (sandbox only when its cases did), not every one the
    # target serves: a run of one family lists the gaps of that family
    ran = {r.family for r in results if r.family}
    summary = {
        "harness_version": __version__,
        "target": {"name": target.name, "base_url": target.display_url, "clock": target.clock},
        "regime": target.regime,
        "exit_code": code,
        "interrupted": interrupted,
        "redaction_canary": {"clean": not leaks, "files": list(leaks or []), "masked_late": list(masked_late or [])},
        "counts": {v: counts.get(v, 0) for v in VERDICTS},
        "requests": sum(r.requests for r in results),
        "requirements": table,
        "requirements_without_cases": [
            row["id"] for row in table if row["verdict"] == "no case" and row["family"] in ran
        ],
        "not_testable": [{"id": r.case_id, "reason": r.reason} for r in results if r.verdict == NOT_TESTABLE],
        "cases": [_case_entry(r, report_ids.get(r.case_id)) for r in results],
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    (run_dir / "summary.md").write_text(_markdown(summary), encoding="utf-8")
    manifest = {
        "harness_version": __version__,
        "target": {"name": target.name, "base_url": target.display_url, "source": target.source},
        "regime": target.regime,
        "suites": _suite_digests(harness),
        "started": _iso(harness.started),
        "ended": _iso(ended),
        "counts": summary["counts"],
        "exit_code": code,
        "interrupted": interrupted,
        "selected_cases": sorted(harness.selected),
        "pytest_args": [harness.redact(str(a)) for a in harness.config.invocation_params.args],
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    if interrupted:
        _mark_interrupted(run_dir, harness, {r.case_id for r in results})
    _write_report_files(run_dir, harness, summary, manifest)


def _case_entry(result: Any, report_id: str | None) -> dict[str, Any]:
    entry = {
        "id": result.case_id,
        "title": result.title,
        "family": result.family,
        "requirements": list(result.requirements),
        "severity": result.severity,
        "verdict": result.verdict,
        "reason": result.reason,
        "duration_s": round(result.duration, 4),
        "finding": result.finding if result.verdict in (FAILED, BROKEN) else "",
    }
    if report_id:
        entry["report_link"] = f"{REPORT_HTML}#/{report_id}"
    return entry


REPORT_HTML = "report.html"
"""Allure 3's single file, next to the summaries (`run --html` or `psd2-harness report`)."""


def _mark_interrupted(run_dir: Path, harness: Any, judged: set[str]) -> None:
    """A case cut short by Ctrl-C has no verdict: its Allure result must not read passed,
    nor a nameless testcase of junit.xml read as a pass."""
    alluredir = getattr(harness.config.option, "allure_report_dir", None)
    for path in Path(alluredir).glob("*-result.json") if alluredir else ():
        data = json.loads(path.read_text(encoding="utf-8"))
        case_id = str(data.get("name", "")).split(": ", 1)[0]  # allure's title is "<case id>: <title>"
        if case_id not in judged and data.get("status") != "skipped":
            data["status"] = "broken"
            data["statusDetails"] = {"message": "interrupted: the run was stopped before this case had a verdict"}
            path.write_text(json.dumps(data), encoding="utf-8")
    junit = run_dir / "junit.xml"
    if junit.is_file():
        import xml.etree.ElementTree as ET

        tree = ET.parse(junit)
        changed = False
        for case in tree.getroot().iter("testcase"):
            name = case.get("name", "")
            if name not in judged and not len(case):
                ET.SubElement(case, "error", message="interrupted: no verdict")
                changed = True
        if changed:
            tree.write(junit, encoding="utf-8", xml_declaration=True)


def _write_report_files(run_dir: Path, harness: Any, summary: dict[str, Any], manifest: dict[str, Any]) -> None:
    """Allure's environment/executor/categories, summary.html, and SHA256SUMS (last: it covers the rest)."""
    from harness.integrity import write_sums
    from harness.reporting import write_results_metadata
    from harness.summary_html import write_summary_html

    alluredir = getattr(harness.config.option, "allure_report_dir", None)
    if alluredir:
        families = sorted({c["family"] for c in summary["cases"] if c["family"]})
        suites = json.dumps(manifest["suites"], sort_keys=True).encode()
        write_results_metadata(
            Path(alluredir),
            run_id=run_dir.name,
            environment={
                "target": summary["target"]["name"],
                "base_url": summary["target"]["base_url"],
                "family": ", ".join(families),
                "regime": summary["regime"],
                "harness_version": summary["harness_version"],
                "suite_digest": hashlib.sha256(suites).hexdigest(),
                "run_id": run_dir.name,
            },
        )
    write_summary_html(run_dir, summary, manifest)
    write_sums(run_dir)


def _suite_digests(harness: Any) -> list[dict[str, str]]:
    from harness.loader import suite_files

    files = {Path(p) for p in harness.suites}
    if not files:  # under xdist the controller collects nothing: digest what was asked for
        files = {p for p in suite_files(harness.config.args) if p.suffix in (".yaml", ".yml")}
    out = []
    for path in sorted(files):
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue
        out.append({"file": str(path), "sha256": digest})
    return out


def _markdown(summary: dict[str, Any]) -> str:
    t = summary["target"]
    lines = [
        f"# PSD2 SCA conformance: {t['name']}",
        "",
        f"Target {t['name']} ({t['base_url']}), regime {summary['regime']}, harness {summary['harness_version']}, "
        f"exit code {summary['exit_code']}.",
        "",
        *(
            ["**Interrupted**: the run was stopped (Ctrl-C) before every case had a verdict.", ""]
            if summary.get("interrupted")
            else []
        ),
        "| verdict | cases |",
        "|---|---|",
    ]
    lines += [f"| {v} | {n} |" for v, n in summary["counts"].items()]
    lines += ["", "## Requirements", "", "| requirement | verdict | cases |", "|---|---|---|"]
    for row in summary["requirements"]:
        if row["verdict"] == "no case" and row["id"] not in summary["requirements_without_cases"]:
            continue
        cases = ", ".join(f"{c['id']} ({c['verdict']})" for c in row["cases"]) or "none"
        lines.append(f"| {row['id']} {row['title']} | {row['verdict']} | {cases} |")
    if summary["not_testable"]:
        lines += ["", "## Not testable", ""]
        lines += [f"- {n['id']}: {n['reason']}" for n in summary["not_testable"]]
    if summary["requirements_without_cases"]:
        lines += ["", "## Requirements without a case", ""]
        lines += [f"- {rid}" for rid in summary["requirements_without_cases"]]
    failed = [c for c in summary["cases"] if c["verdict"] in (FAILED, BROKEN)]
    if failed:
        lines += ["", "## Findings", ""]
        for case in failed:
            text = case.get("finding") or case["reason"]
            fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
            lines += [
                f"### {case['id']} ({case['verdict']})",
                "",
                f"{case['title']}",
                "",
                f"{fence}text",
                text,
                fence,
                "",
            ]
            if case.get("report_link"):
                lines += [
                    (
                        f"Evidence: [{case['id']} in report.html]({case['report_link']}) (report.html is written "
                        f"by `psd2-harness run --html` or `psd2-harness report RUN_DIR`; in it, search for "
                        f"`{case['id']}`)."
                    ),
                    "",
                ]
        lines.pop()
    return "\n".join(lines) + "\n"
