"""`psd2-harness doctor`: is the target wired for the selected suites, before any case runs?

A wiring gap (an operation at the wrong path, a fact the bank names otherwise, a consent
step that works another way) is a configuration message, never a finding. Doctor probes,
in seconds: the base URL answers; each operation the suites use exists at its mapped
method and path (a harmless probe without credentials: anything but the answer of a path
that does not exist); the sandbox makes a PSU and every fact the suites read resolves in
it (if not, it shows the answer's fields and proposes the pointer most like the fact); the
library flows complete (login, consent, step-up); the clock moves and reads back.

`run` performs the cheap part (`preflight`: reachability and facts) and stops with one
message instead of breaking every case one by one.
"""

from __future__ import annotations

import difflib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from harness import jsonpointer, openapi
from harness.errors import Location, NonCompliance, NotTestable, TargetFault
from harness.facts import FamilyFacts, family_facts, resolve_psu
from harness.model import Case, FlowCall, NewPsu, Request, Suite, walk
from harness.target import Target
from harness.verdicts import EXIT_BROKEN, EXIT_OK, EXIT_USAGE

OK, MISSING, SUGGESTION, UNREACHABLE = "ok", "missing", "suggestion", "unreachable"
FAILED, SKIPPED = "failed", "skipped"
_NO_SUCH_PATH = "/__psd2_harness_doctor_no_such_path__"


@dataclass
class Check:
    family: str
    status: str
    what: str
    detail: str = ""
    fix: str = ""
    """The YAML to add to the target file, when doctor can tell."""


@dataclass
class Report:
    target: Target
    checks: list[Check] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        statuses = {c.status for c in self.checks}
        if UNREACHABLE in statuses:
            return EXIT_BROKEN
        if statuses & {MISSING, SUGGESTION, FAILED}:
            return EXIT_USAGE
        return EXIT_OK

    def lines(self) -> Iterator[str]:
        yield f"doctor: target {self.target.name} ({self.target.display_url})"
        for c in self.checks:
            yield f"  [{c.status}] {c.family}: {c.what}"
            for line in c.detail.splitlines():
                yield f"      {line}"
            if c.fix:
                yield "      add to the target file:"
                for line in c.fix.splitlines():
                    yield f"        {line}"
        meaning = {
            EXIT_OK: "a run can start",
            EXIT_USAGE: "the target file needs the changes above",
            EXIT_BROKEN: "the bank cannot be reached",
        }[self.exit_code]
        yield f"doctor: exit {self.exit_code}: {meaning}"


# -- what the selected suites need ----------------------------------------------------------


def needs_of(suites: list[Suite], target: Target, cases: set[str] | None = None) -> dict[str, dict[str, Any]]:
    """Per family: the operationIds the selected cases send, the facts they read (with a case
    that reads each) and whether any creates a PSU."""
    out: dict[str, dict[str, Any]] = {}
    for suite in suites:
        if suite.family not in target.families:
            continue
        need = out.setdefault(suite.family, {"operations": {}, "facts": {}, "psu": False})
        flows = {**suite.flows, **target.families[suite.family].flows}
        for case in suite.cases:
            if cases is not None and case.id not in cases:
                continue
            for fact in sorted(case.facts):
                need["facts"].setdefault(fact, case.id)
            for step in walk(case.steps, flows):
                if isinstance(step, Request) and step.operation is not None:
                    need["operations"].setdefault(step.operation, case.id)
                need["psu"] |= isinstance(step, NewPsu)
    return out


# -- probes ------------------------------------------------------------------------------


def _signature(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.text[:200]


def _reach(client: httpx.Client, target: Target, family: str, report: Report) -> httpx.Response | None:
    base = target.families[family].base_path or "/"
    try:
        response = client.get(base + _NO_SUCH_PATH if base != "/" else _NO_SUCH_PATH)
    except httpx.HTTPError as exc:
        report.checks.append(
            Check(
                family,
                UNREACHABLE,
                f"the bank does not answer at {target.display_url}{base}",
                f"{exc.__class__.__name__}: {exc}",
            )
        )
        return None
    report.checks.append(Check(family, OK, f"the bank answers at {target.display_url}{base}"))
    return response


def _operations(
    client: httpx.Client, target: Target, family: str, used: dict[str, str], nowhere: httpx.Response, report: Report
) -> None:
    ops = openapi.operations(family)
    for op_id, case_id in sorted(used.items()):
        op = ops[op_id]
        if op.document.startswith(openapi.SANDBOX) and target.sandbox_for(family) is None:
            continue
        method, url = target.url_for(family, op_id, {})  # the bank's path may name its parameters otherwise
        method, url = target.url_for(family, op_id, {name: "doctor-probe" for name in _path_params(url)})
        try:
            response = client.request(method, url)
        except httpx.HTTPError as exc:
            report.checks.append(
                Check(family, UNREACHABLE, f"operation {op_id} ({method} {url})", f"{exc.__class__.__name__}: {exc}")
            )
            continue
        gone = response.status_code == 405 or (
            response.status_code == 404 and _signature(response) == _signature(nowhere)
        )
        if gone:
            report.checks.append(
                Check(
                    family,
                    MISSING,
                    f"operation {op_id}: {method} {url} answers {response.status_code} like a path that "
                    f"does not exist (used by {case_id})",
                    "the suites send it by operationId; tell the harness where this bank serves it",
                    f"families:\n  {family}:\n    operations:\n      {op_id}: {{method: {method}, path: /your/path}}",
                )
            )
        else:
            report.checks.append(
                Check(
                    family,
                    OK,
                    f"operation {op_id}: {method} {url} exists ({response.status_code} to a probe without credentials)",
                )
            )


def _path_params(path: str) -> list[str]:
    import re

    return re.findall(r"{([^}]+)}", path)


def _facts(
    client: httpx.Client, target: Target, family: str, needed: dict[str, str], report: Report
) -> dict[str, Any] | None:
    """Make a PSU and resolve every fact the suites read; None when no PSU could be made."""
    facts = family_facts(family)
    wiring = target.families[family]
    if target.sandbox_for(family) is None:
        users = wiring.test_psus
        if not users:
            report.checks.append(
                Check(family, SKIPPED, "no sandbox plane and no test users: cases that need a PSU will be not testable")
            )
            return None
        for fact, case_id in sorted(needed.items()):
            missing = [i for i, u in enumerate(users) if fact not in u]
            if missing:
                report.checks.append(
                    Check(
                        family,
                        MISSING,
                        f"fact {fact} is not listed for test user(s) "
                        f"{', '.join(map(str, missing))} (read by {case_id})",
                        fix=f"test_psus:\n  - {fact}: ...",
                    )
                )
        return dict(users[0])
    method, url = target.url_for(family, "createSandboxPsu", {})
    try:
        response = client.request(method, url, headers=dict(target.headers))
    except httpx.HTTPError as exc:
        report.checks.append(Check(family, UNREACHABLE, f"the sandbox ({method} {url})", f"{exc}"))
        return None
    body = _json(response)
    if not 200 <= response.status_code < 300 or not isinstance(body, dict):
        report.checks.append(
            Check(
                family,
                MISSING,
                f"the sandbox does not make a PSU: {method} {url} answered {response.status_code}",
                response.text[:300],
                f"families:\n  {family}:\n    operations:\n      createSandboxPsu: "
                "{method: POST, path: /your/sandbox/psus}\n    # or sandbox: none",
            )
        )
        return None
    report.checks.append(Check(family, OK, f"the sandbox makes a PSU ({method} {url}: {response.status_code})"))
    psu, unresolved = resolve_psu(facts, body, wiring.psu)
    wanted = set(needed) | {"psu_id"}
    for item in unresolved:
        top = item.fact.split(".")[0]
        if top not in wanted:
            continue
        report.checks.append(_suggest(family, facts, item.fact, item.tried, body, needed.get(top, "the clock moves")))
    if not any(
        c.family == family and c.status in (MISSING, SUGGESTION) and c.what.startswith("fact") for c in report.checks
    ):
        report.checks.append(Check(family, OK, f"every fact the suites read resolves ({', '.join(sorted(wanted))})"))
    return psu


def _suggest(family: str, facts: FamilyFacts, fact: str, tried: str, body: Any, case_id: str) -> Check:
    """The answer's fields, and the pointer most like the fact: same kind of value, near name."""
    top, _, sub = fact.partition(".")
    spec = facts.facts[top]
    leaves = list(_leaves(body, ""))
    if sub:
        kind = spec.items[sub].type
        candidates = [(p, v) for p, v in leaves if _kind(v) == kind and "/0/" in p + "/"]
        name = sub
    elif spec.is_list:
        candidates = [(p, v) for p, v in _containers(body, "") if isinstance(v, list)]
        name = top
    else:
        candidates = [(p, v) for p, v in leaves if _kind(v) == spec.type]
        name = top
    ranked = sorted(
        candidates,
        key=lambda pv: -difflib.SequenceMatcher(None, _words(name), _words(pv[0].rsplit("/", 1)[-1])).ratio(),
    )
    fields = ", ".join(p for p, _ in leaves[:25]) + (" ..." if len(leaves) > 25 else "")
    if not ranked:
        return Check(
            family,
            MISSING,
            f"fact {fact} does not resolve at {tried} (read by {case_id})",
            f"the new-PSU answer has: {fields}",
        )
    best = ranked[0][0]
    if sub:  # a pointer inside each item: /clients/0/id -> list at /clients, item pointer /id
        at, _, inner = best.partition("/0/")
        fix = f"families:\n  {family}:\n    psu:\n      {top}: {{at: {at}, {sub}: /{inner}}}"
    else:
        fix = f"families:\n  {family}:\n    psu:\n      {top}: {best}"
    return Check(
        family,
        SUGGESTION,
        f"fact {fact} does not resolve at {tried} (read by {case_id}); likely {best}",
        f"the new-PSU answer has: {fields}",
        fix,
    )


def _words(name: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]", "", re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower())


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        import re

        return "date" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else "string"
    return "other"


def _leaves(value: Any, pointer: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, jsonpointer.join(pointer, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:1]):
            yield from _leaves(v, jsonpointer.join(pointer, i))
    else:
        yield pointer, value


def _containers(value: Any, pointer: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, (dict, list)):
        yield pointer, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _containers(v, jsonpointer.join(pointer, k))


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content) if response.content else None
    except ValueError:
        return None


def _flows(ctx: Any, target: Target, family: str, suite: Suite, report: Report) -> None:
    """Run each library flow that declares a probe, on a fresh PSU, through the engine."""
    from harness.engine import CaseRun
    from harness.loader import library

    for name, flow in library(family).items():
        if not flow.probe:
            continue
        chosen = target.families[family].flows.get(name, flow)
        here = Location(f"doctor:{family}:{name}")
        steps = (
            NewPsu(location=here),
            FlowCall(flow=name, args=dict(flow.probe), location=chosen.location, role="check"),
        )
        case = Case(
            id=f"doctor-{family}-{name}",
            title=f"flow {name} completes",
            requirements=(),
            severity="major",
            needs=frozenset(),
            steps=steps,
            location=here,
        )
        probe_suite = Suite(
            path=Path("doctor"),
            family=family,
            title="doctor",
            description="",
            parameters={},
            flows=suite.flows,
            cases=(case,),
            sha256="",
        )
        replaced = " (the target's replacement)" if name in target.families[family].flows else ""
        try:
            CaseRun(ctx, probe_suite, case).run()
        except NotTestable as exc:
            report.checks.append(Check(family, SKIPPED, f"flow {name}{replaced}: not testable here", str(exc)))
        except (NonCompliance, TargetFault) as exc:
            report.checks.append(
                Check(
                    family,
                    FAILED,
                    f"flow {name}{replaced} does not complete",
                    "\n".join(str(exc).splitlines()[:8]),
                    f"families:\n  {family}:\n    flows:\n      {name}:\n        steps: [...]  "
                    f"# how this bank does it; args {', '.join(flow.args) or 'none'}, "
                    f"exports {', '.join(sorted(flow.exports)) or 'none'}",
                )
            )
        else:
            report.checks.append(Check(family, OK, f"flow {name}{replaced} completes"))


def _clock(ctx: Any, target: Target, family: str, psu: dict[str, Any] | None, report: Report) -> None:
    if target.clock in ("none", "freezegun") or psu is None or target.sandbox_for(family) is None:
        return
    per_psu = target.clock == "per-psu"
    read_op, move_op = ("getPsuClock", "advancePsuClock") if per_psu else ("getBankClock", "advanceBankClock")
    params = {"psuId": psu.get("psu_id", "")} if per_psu else {}
    client = ctx.client
    try:
        method, url = target.url_for(family, read_op, params)
        before = _json(client.request(method, url, headers=dict(target.headers)))
        method, url = target.url_for(family, move_op, params)
        moved = client.request(method, url, json={"seconds": 60}, headers=dict(target.headers))
        method, url = target.url_for(family, read_op, params)
        after = _json(client.request(method, url, headers=dict(target.headers)))
    except httpx.HTTPError as exc:
        report.checks.append(Check(family, UNREACHABLE, f"the {target.clock} clock", str(exc)))
        return
    from datetime import datetime

    try:
        gap = (datetime.fromisoformat(after["now"]) - datetime.fromisoformat(before["now"])).total_seconds()
    except (TypeError, KeyError, ValueError):
        gap = None
    if moved.status_code >= 300 or gap is None or gap < 60:
        report.checks.append(
            Check(
                family,
                FAILED,
                f"the {target.clock} clock does not move and read back (SBX-3)",
                f"advance answered {moved.status_code}; read before {before!r}, after {after!r}",
            )
        )
    else:
        report.checks.append(Check(family, OK, f"the {target.clock} clock moves and reads back (+{gap:.0f} s)"))


# -- entry points ----------------------------------------------------------------------------


def diagnose(
    target: Target,
    suites: list[Suite],
    *,
    deep: bool = True,
    cases: set[str] | None = None,
    defects: list[str] | None = None,
) -> Report:
    """Every check (deep) or only the preflight's: reachability and facts."""
    from harness.clocks import make_clock
    from harness.engine import RunContext
    from harness.redaction import Redactor
    from harness.regime import load_regime

    report = Report(target)
    needs = needs_of(suites, target, cases)
    client = target.build_client(defects)
    ctx = RunContext(
        target=target,
        client=client,
        clock=make_clock(target.clock),
        redactor=Redactor(target.secrets),
        regime=load_regime(target.regime),
    )
    try:
        for family, need in needs.items():
            nowhere = _reach(client, target, family, report)
            if nowhere is None:
                continue
            if deep:
                _operations(client, target, family, need["operations"], nowhere, report)
            psu = _facts(client, target, family, need["facts"], report) if need["psu"] else None
            if deep:
                suite = next(s for s in suites if s.family == family)
                unmapped = [
                    c
                    for c in report.checks
                    if c.family == family and c.what.startswith("fact ") and c.status in (MISSING, SUGGESTION)
                ]
                if unmapped:  # the flows read those facts: they would fail for the same reason
                    report.checks.append(
                        Check(family, SKIPPED, "the library flows: not tried until the facts above resolve")
                    )
                else:
                    _flows(ctx, target, family, suite, report)
                _clock(ctx, target, family, psu, report)
    finally:
        client.close()
    return report


def preflight(
    target: Target, suites: list[Suite], cases: set[str] | None, defects: list[str] | None = None
) -> tuple[int, str]:
    """The cheap part of doctor, before a run: (exit code, the one message) or (0, "")."""
    started = time.perf_counter()
    report = diagnose(target, suites, deep=False, cases=cases, defects=defects)
    code = report.exit_code
    if code == EXIT_OK:
        return code, ""
    bad = [c for c in report.checks if c.status not in (OK, SKIPPED)]
    lines = [f"preflight: target {target.name} is not ready ({time.perf_counter() - started:.1f} s); no case ran"]
    for c in bad:
        lines.append(f"  [{c.status}] {c.family}: {c.what}")
        lines += [f"      {line}" for line in c.detail.splitlines()[:3]]
        if c.fix:
            lines += [f"      add: {line}" for line in c.fix.splitlines()]
    lines.append(f"run `psd2-harness doctor --target {target.source}` for every check")
    return code, "\n".join(lines)
