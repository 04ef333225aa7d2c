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
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from harness.catalogue import catalogue
from harness.durations import format_duration, parse_duration
from harness.model import Advance, Repeat, walk

RTS, PSD2 = "RTS (EU) 2018/389", "PSD2 (EU) 2015/2366"
RTS_DOCUMENT = ("https://eur-lex.europa.eu/eli/reg_del/2018/389/oj", "RTS (EU) 2018/389, the regulation (EUR-Lex)")
DOCUMENTS = {
    RTS: RTS_DOCUMENT,
    PSD2: ("https://eur-lex.europa.eu/eli/dir/2015/2366/oj", "PSD2 (EU) 2015/2366, the directive (EUR-Lex)"),
    "RFC 6749": ("https://www.rfc-editor.org/rfc/rfc6749", "RFC 6749, OAuth 2.0 (rfc-editor.org)"),
    "RFC 6750": ("https://www.rfc-editor.org/rfc/rfc6750", "RFC 6750, OAuth 2.0 bearer tokens (rfc-editor.org)"),
}
"""Each instrument a case's requirements cite, with the link to the whole text the case gets."""

HIDDEN_LABELS = ("host", "thread")
"""Labels allure-pytest adds that say nothing to an auditor (machine name, thread id)."""

TARGET_FAULT_MESSAGE = "target fault: "
"""How the message of a case broken by `TargetFault` starts in the results (`tidy_results`)."""
NOT_TESTABLE_SKIP = "not testable: "
"""How a not-testable case's skip message starts, so that allure and JUnit file it apart from
a plain skip (the harness itself carries the verdict as a value: `plugin.RESULT`)."""
NOT_TESTABLE_MESSAGE = "Skipped: " + NOT_TESTABLE_SKIP
PRECONDITION_MESSAGE = "precondition not met: "
"""A setup step (new PSU, login, consent) did not work: broken, never a finding."""
HARNESS_FAULT_MESSAGE = "harness fault: "

_RAW_PREFIXES = {  # allure-pytest writes `module.Class: text`; the results keep only the text
    "harness.errors.NonCompliance: ": "",
    "harness.errors.PreconditionNotMet: ": "",  # its text starts with PRECONDITION_MESSAGE
    "harness.errors.TargetFault: ": TARGET_FAULT_MESSAGE,
}


def _message_regex(prefix: str, raw: str) -> str:
    """Results written before `tidy_results` (older run folders) still start with the class."""
    return "^(?:" + re.escape(prefix) + "|" + re.escape(raw) + r")[\s\S]*"


CATEGORIES = [
    {"name": "Non-compliance: the bank broke a rule", "matchedStatuses": ["failed"]},
    {
        "name": "Precondition not met: the case never reached its rule",
        "matchedStatuses": ["broken"],
        "messageRegex": _message_regex(PRECONDITION_MESSAGE, "harness.errors.PreconditionNotMet: "),
    },
    {
        "name": "Target fault: the bank could not be tested",
        "matchedStatuses": ["broken"],
        "messageRegex": _message_regex(TARGET_FAULT_MESSAGE, "harness.errors.TargetFault: "),
    },
    {"name": "Harness fault", "matchedStatuses": ["broken"]},
    {
        "name": "Not testable: a capability the case needs is missing",
        "matchedStatuses": ["skipped"],
        "messageRegex": "^" + re.escape(NOT_TESTABLE_MESSAGE) + r"[\s\S]*",
    },
]
"""Allure 2 `categories.json` form; Allure 3 reads the same keys from `allurerc` (first match wins)."""

_REGIME_REF = re.compile(r"\$\{regime\.([A-Za-z0-9_]+)\}")


def instrument(cite: Any) -> str:
    """The act or standard a citation is of: the RTS as amended is still the RTS."""
    if cite.instrument.startswith("RTS "):
        return RTS
    if cite.instrument.startswith("PSD2 "):
        return PSD2
    return str(cite.instrument)


def epic(req: Any) -> str:
    """A requirement's regulation: the instrument of its first basis citation (RTS, PSD2, an
    RFC), or, for a rule of the source's product behaviour or a harness convention, the source
    document it comes from."""
    if req is None:
        return "Not in the catalogue"
    basis = next((c for c in req.citations if c.role == "basis"), None)
    if req.basis in ("regulation", "standard") and basis is not None:
        return instrument(basis)
    source = getattr(req, "source_document", None)
    title = source.title if source is not None else req.source
    return f"Harness convention: {title}" if req.basis == "convention" else f"Source document: {title}"


def case_markers(suite: Any, case: Any, regime: Any = None) -> list[Any]:
    """Every allure marker of one case. `regime`: the `Regime` in force, for the description.

    One epic, one feature and one story per case, so that every grouping counts each case
    once: the epic and story of its first requirement; its other requirements are tags, and
    every requirement's citations and source are links."""
    import allure

    reqs = catalogue()
    first = case.requirements[0] if case.requirements else ""
    req = reqs.get(first)
    markers = [
        allure.epic(epic(req) if first else "No requirement"),
        allure.feature(suite.family),
        allure.story(f"{first} {req.title}" if req else first or "no requirement"),
        allure.severity({"warning": "trivial"}.get(case.severity, case.severity)),
        allure.id(case.id),
        allure.parent_suite(suite.family),
        allure.suite(suite.title),
    ]
    links: dict[str, str] = {}
    cited: dict[str, None] = {}
    for rid in case.requirements:
        for cite in reqs[rid].citations if rid in reqs else ():
            cited.setdefault(instrument(cite))
            if cite.url:
                links.setdefault(cite.article_url, cite.label)
    for rid in case.requirements:
        req = reqs.get(rid)
        source = req.source_document if req is not None else None
        if source is not None and source.url:
            links.setdefault(source.url, f"source document: {source.title}")
    for name in cited:
        if name in DOCUMENTS:
            links.setdefault(*DOCUMENTS[name])
    markers += [allure.link(url, name=name) for url, name in links.items()]
    tags = list(dict.fromkeys([*case.tags, *case.requirements, suite.family, case.severity]))
    markers.append(allure.tag(*tags))
    markers.append(allure.description(_description(suite, case, regime)))
    return markers


def regime_values(suite: Any, case: Any, regime: Any) -> dict[str, Any]:
    """The regime limits the case's steps (and the flows they call) refer to, with their values."""
    names: list[str] = []
    for value in _step_values(suite, case.steps):
        names += _REGIME_REF.findall(value)
    limits = getattr(regime, "limits", None) or {}
    return {name: limits.get(name) for name in dict.fromkeys(names)}


def _step_values(suite: Any, steps: Any) -> Iterator[str]:
    """Every string written in the steps (and in the flows they call): where references are."""
    for step in walk(steps, suite.flows):
        for part in fields(step):
            if part.name not in ("steps", "location"):
                yield from _strings(getattr(step, part.name))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif is_dataclass(value) and not isinstance(value, type):  # an expectation, a capture
        for part in fields(value):
            yield from _strings(getattr(value, part.name))
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
            label = f"[{cite.label}]({cite.article_url})" if cite.url else cite.label
            lines.append(f"  - {label}" + ("" if cite.verified else " (unverified)"))
        source = getattr(req, "source_document", None)
        if source is not None:
            lines.append(f"  - source document: {source.title}")
        if req.deviation:
            lines.append(f"  - deviation of the source from the regulation: {req.deviation}")
    lines += ["", "### What the case does", ""]
    lines += [f"{n}. {step_line(step, regime)}" for n, step in enumerate(case.steps, 1)]
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
    lines += [
        "",
        f"Suite: {suite.title} (`{suite.path.name}`), severity {case.severity}, "
        f"needs: {', '.join(sorted(case.needs)) or 'nothing'}",
    ]
    return "\n".join(lines)


def step_line(step: Any, regime: Any = None) -> str:
    """A step as the description lists it; a clock move with its duration in words:
    `advance the clock by 5m 1s = session_idle + 1 s` (a value captured during the run, such
    as `${expiresIn}`, is named, since its size is known only then)."""
    if step.title:
        return str(step.label)
    if isinstance(
        step, Repeat
    ):  # `repeat ${regime.max_failed_attempts} times` -> `repeat 5 times = max_failed_attempts`
        times = str(step.times)
        ref = _REGIME_REF.fullmatch(times.strip())
        value = (getattr(regime, "limits", None) or {}).get(ref.group(1)) if ref else None
        return f"repeat {value} times = {ref.group(1)}" if ref and value is not None else step.label
    if not isinstance(step, Advance):
        return str(step.label)
    written = step.by
    terms = written if isinstance(written, list) else [written]
    limits = getattr(regime, "limits", None) or {}
    total: int | None = 0
    parts: list[str] = []
    for i, term in enumerate(terms):
        text = str(term).strip()
        sign = "-" if text.startswith("-") else "+"
        text = text.lstrip("-").strip()
        ref = _REGIME_REF.fullmatch(text)
        seconds: int | None
        if ref:
            name = ref.group(1)
            value = limits.get(name)
            seconds = value if isinstance(value, int) else None
            shown = name
        elif text.startswith("${") and text.endswith("}"):
            seconds, shown = None, text[2:-1]
        else:
            try:
                seconds = parse_duration(text)
            except ValueError:
                seconds = None
                shown = text
            else:
                shown = readable_duration(seconds, spaced_unit=True)
        parts.append(("-" if sign == "-" else "") + shown if i == 0 else f"{sign} {shown}")
        total = None if total is None or seconds is None else total + (seconds if sign == "+" else -seconds)
    formula = " ".join(parts)
    if total is None:
        return f"advance the clock by {formula}"
    amount = readable_duration(total)
    return (
        f"advance the clock by {amount}"
        if formula in (amount, readable_duration(total, spaced_unit=True))
        else f"advance the clock by {amount} = {formula}"
    )


def readable_duration(seconds: int, spaced_unit: bool = False) -> str:
    """`301` -> `5m 1s`; `spaced_unit`: a single unit reads `1 s` (as a term of a sum)."""
    parts: list[str] = re.findall(r"[0-9]+[dhms]", format_duration(abs(seconds)))
    sign = "-" if seconds < 0 else ""
    if spaced_unit and len(parts) == 1:
        return sign + parts[0][:-1] + " " + parts[0][-1]
    return sign + " ".join(parts)


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


# -- the results after the session -----------------------------------------------------------

_CLASS_NAME = re.compile(r"^((?:[A-Za-z_][A-Za-z0-9_]*\.)*)([A-Z][A-Za-z0-9_]*)(?:: |$)")


def _exception_name(module: str, name: str) -> bool:
    """`module.Class` as allure-pytest writes it: dotted, a builtin exception, or pytest's
    `Failed` (never a case id such as `LOGIN: ...`, so a second tidy changes nothing)."""
    import builtins

    if module:
        return True
    value = getattr(builtins, name, None)
    return name == "Failed" or (isinstance(value, type) and issubclass(value, BaseException))


def clean_message(message: str, status: str) -> str:
    """An error title without the Python class allure-pytest puts before it: a finding reads
    as the finding, a target fault as `target fault: ...`, a precondition as `precondition not
    met: ...`; anything else that failed is the harness's fault, named as such (with the bare
    exception name, which is what a developer needs)."""
    for raw, prefix in _RAW_PREFIXES.items():
        if message.startswith(raw):
            text = message[len(raw) :]
            if raw.endswith("PreconditionNotMet: ") and not text.startswith(PRECONDITION_MESSAGE):
                text = PRECONDITION_MESSAGE + text
            return prefix + (text.lstrip() if prefix else text)
    match = _CLASS_NAME.match(message) if status in ("failed", "broken") else None
    if match is None or not _exception_name(match.group(1), match.group(2)):
        return message
    rest = message[match.end() :]
    return f"{HARNESS_FAULT_MESSAGE}{match.group(2)}" + (f": {rest}" if rest else "")


def tidy_results(results_dir: Path, redact: Any = None) -> dict[str, str]:
    """Rewrite the error titles of the Allure results of a run (`clean_message`, redacted
    again when `redact` is given), and return case id -> the id Allure 3 gives its result
    (`md5` of the result's uuid, so `report.html#/<id>` opens that case in any report.html
    generated from these results). The latest result of a case wins, as in `verify`."""
    import hashlib

    latest: dict[str, tuple[int, str]] = {}
    for path in sorted(Path(results_dir).glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        if _tidy(data, redact):
            path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        labels = {lab.get("name"): lab.get("value") for lab in data.get("labels", []) if isinstance(lab, dict)}
        case_id, uuid = labels.get("as_id"), data.get("uuid")
        stop = int(data.get("stop") or 0)
        if case_id and uuid and (case_id not in latest or stop >= latest[case_id][0]):
            latest[case_id] = (stop, hashlib.md5(str(uuid).encode()).hexdigest())
    return {case: rid for case, (_, rid) in latest.items()}


def _tidy(node: dict[str, Any], redact: Any) -> bool:
    changed = False
    details = node.get("statusDetails")
    if isinstance(details, dict) and isinstance(details.get("message"), str):
        message = clean_message(details["message"], str(node.get("status", "")))
        if message != details["message"]:
            details["message"] = redact(message) if redact else message
            if redact and isinstance(details.get("trace"), str):
                details["trace"] = redact(details["trace"])
            changed = True
    for step in node.get("steps") or ():
        if isinstance(step, dict):
            changed = _tidy(step, redact) or changed
    return changed


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
    executor.write_text(
        json.dumps(
            {
                "name": "psd2-harness",
                "type": "psd2-harness",
                "buildName": run_id,
                "reportName": f"PSD2 SCA conformance: {environment.get('target', '')}",
            },
            indent=2,
        ),
        encoding="utf-8",
    )
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
            "awesome": {
                "options": {
                    "singleFile": True,
                    "reportName": report_name,
                    "reportLanguage": "en",
                    "groupBy": ["epic", "feature", "story"],
                }
            },
        },
    }
