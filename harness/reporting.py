"""Allure metadata of a case, attached as markers at collection time.

Markers (not `allure.dynamic` calls) so that a case that ends not testable or skipped
keeps its labels; the title is set at teardown, because allure-pytest overwrites titles
set during setup.

Also the files Allure reads next to the results of a run (`environment.properties`,
`executor.json`, `categories.json`) and the same categories for Allure 3's `allurerc`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

from harness.catalogue import catalogue

EPIC = "PSD2 RTS on SCA and CSC (EU) 2018/389"
RTS_DOCUMENT = ("https://eur-lex.europa.eu/eli/reg_del/2018/389/oj",
                "RTS (EU) 2018/389, the regulation (EUR-Lex)")
"""The regulation every case is checked against; each case links to it."""

HIDDEN_LABELS = ("host", "thread")
"""Labels allure-pytest adds that say nothing to an auditor (machine name, thread id)."""

TARGET_FAULT_MESSAGE = "harness.errors.TargetFault: "
"""How allure-pytest starts the message of a case broken by `TargetFault` (exc type: text)."""
NOT_TESTABLE_MESSAGE = "Skipped: not testable: "
PRECONDITION_MESSAGE = "harness.errors.PreconditionNotMet: "
"""A setup step (new PSU, login, consent) did not work: broken, never a finding."""

CATEGORIES = [
    {"name": "Non-compliance: the bank broke a rule", "matchedStatuses": ["failed"]},
    {"name": "Precondition not met: the case never reached its rule", "matchedStatuses": ["broken"],
     "messageRegex": "^" + re.escape(PRECONDITION_MESSAGE) + r"[\s\S]*"},
    {"name": "Target fault: the bank could not be tested", "matchedStatuses": ["broken"],
     "messageRegex": "^" + re.escape(TARGET_FAULT_MESSAGE) + r"[\s\S]*"},
    {"name": "Harness fault", "matchedStatuses": ["broken"]},
    {"name": "Not testable: a capability the case needs is missing", "matchedStatuses": ["skipped"],
     "messageRegex": "^" + re.escape(NOT_TESTABLE_MESSAGE) + r"[\s\S]*"},
]
"""Allure 2 `categories.json` form; Allure 3 reads the same keys from `allurerc` (first match wins)."""

_REGIME_REF = re.compile(r"\$\{regime\.([A-Za-z0-9_]+)\}")


def case_markers(suite: Any, case: Any, regime: Any = None) -> list[Any]:
    """Every allure marker of one case. `regime`: the `Regime` in force, for the description."""
    import allure

    reqs = catalogue()
    markers = [
        allure.epic(EPIC),
        allure.feature(suite.family),
        allure.severity({"warning": "trivial"}.get(case.severity, case.severity)),
        allure.id(case.id),
        allure.parent_suite(suite.family),
        allure.suite(suite.title),
    ]
    links: dict[str, str] = {}
    for rid in case.requirements:
        req = reqs.get(rid)
        markers.append(allure.story(f"{rid} {req.title}" if req else rid))
        for cite in req.citations if req else ():
            if cite.url:
                links.setdefault(cite.url, cite.label)
    for rid in case.requirements:
        source = getattr(reqs.get(rid), "source_document", None)
        if source is not None and getattr(source, "url", ""):
            links.setdefault(source.url, f"source document: {source.title}")
    links.setdefault(*RTS_DOCUMENT)
    markers += [allure.link(url, name=name) for url, name in links.items()]
    tags = list(dict.fromkeys([*case.tags, *case.requirements, suite.family, case.severity]))
    markers.append(allure.tag(*tags))
    markers.append(allure.description(_description(suite, case, regime)))
    return markers


def regime_values(suite: Any, case: Any, regime: Any) -> dict[str, Any]:
    """The regime limits the case's steps (and the flows they call) refer to, with their values."""
    names: list[str] = []
    for value in _step_values(suite, case.steps, set()):
        names += _REGIME_REF.findall(value)
    limits = getattr(regime, "limits", None) or {}
    return {name: limits.get(name) for name in dict.fromkeys(names)}


def _step_values(suite: Any, steps: Any, seen: set[str]) -> Iterator[str]:
    for step in steps:
        yield from _strings(step.data)
        if step.kind == "flow":
            name = step.data.get("flow")
            flow = suite.flows.get(name) if isinstance(name, str) else None
            if flow is not None and name not in seen:
                yield from _step_values(suite, flow.steps, seen | {name})
        yield from _step_values(suite, step.steps, seen)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict) or hasattr(value, "items"):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _description(suite: Any, case: Any, regime: Any = None) -> str:
    reqs = catalogue()
    lines = [f"**{case.id}**: {case.title}", ""]
    if case.description:
        lines += [case.description, ""]
    lines += ["### Obligation", ""]
    for rid in case.requirements:
        req = reqs.get(rid)
        if req is None:
            lines.append(f"- **{rid}** (not in the catalogue)")
            continue
        lines.append(f"- **{rid}** {req.title}" + (f": {req.obligation}" if req.obligation else ""))
        for cite in req.citations:
            label = f"[{cite.label}]({cite.url})" if cite.url else cite.label
            lines.append(f"  - {label}" + ("" if cite.verified else " (unverified)"))
        source = getattr(req, "source_document", None)
        if source is not None:
            lines.append(f"  - source document: {source.title}")
        if req.deviation:
            lines.append(f"  - deviation of the source from the regulation: {req.deviation}")
    lines += ["", "### What the case does", ""]
    lines += [f"{n}. {step.label}" for n, step in enumerate(case.steps, 1)]
    if regime is not None:
        values = regime_values(suite, case, regime)
        lines += ["", f"### Regime `{regime.name}` values used", ""]
        if values:
            lines += ["| limit | value |", "|---|---|"]
            written = _written_limits(regime.name)
            for name, value in values.items():
                shown = "undefined" if value is None else str(written.get(name, value))
                if value is not None and str(value) != shown:
                    shown += f" ({value} s)"
                lines.append(f"| `{name}` | {shown} |")
        else:
            lines.append("none")
    lines += ["", f"Suite: {suite.title} (`{suite.path.name}`), severity {case.severity}, "
              f"needs: {', '.join(sorted(case.needs)) or 'nothing'}"]
    return "\n".join(lines)


def _written_limits(regime_name: str) -> dict[str, Any]:
    """The limits as `specs/regimes.yaml` writes them (`5m`, `180d`, `5`)."""
    from harness.regime import _raw

    try:
        return dict(_raw()[regime_name]["limits"])
    except (KeyError, TypeError):
        return {}


def pytest_runtest_teardown_title(item: Any) -> None:
    import allure

    allure.dynamic.title(f"{item.case.id}: {item.case.title}")


# -- the files next to the results -----------------------------------------------------------

def _prop(value: Any) -> str:
    text = str(value).replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return text.lstrip()


def write_results_metadata(results_dir: Path, *, run_id: str, environment: dict[str, Any]) -> list[Path]:
    """`environment.properties`, `executor.json` and `categories.json` in an allure results folder."""
    results_dir.mkdir(parents=True, exist_ok=True)
    env = results_dir / "environment.properties"
    lines = [f"{re.sub(r'[^A-Za-z0-9_.-]', '_', key)}={_prop(value)}" for key, value in environment.items()]
    env.write_text("\n".join(lines) + "\n", encoding="utf-8")
    executor = results_dir / "executor.json"
    executor.write_text(json.dumps({
        "name": "psd2-harness", "type": "psd2-harness", "buildName": run_id,
        "reportName": f"PSD2 SCA conformance: {environment.get('target', '')}",
    }, indent=2), encoding="utf-8")
    categories = results_dir / "categories.json"
    categories.write_text(json.dumps(CATEGORIES, indent=2), encoding="utf-8")
    return [env, executor, categories]


def allurerc(*, output: str, report_name: str) -> dict[str, Any]:
    """The Allure 3 configuration of `psd2-harness report`: single file, categories, hidden labels."""
    return {
        "name": report_name,
        "output": output,
        "hideLabels": list(HIDDEN_LABELS),
        "categories": CATEGORIES,
        "plugins": {
            "awesome": {"options": {"singleFile": True, "reportName": report_name, "reportLanguage": "en",
                                    "groupBy": ["epic", "feature", "story"]}},
        },
    }
