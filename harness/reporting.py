"""Allure metadata of a case, attached as markers at collection time.

Markers (not `allure.dynamic` calls) so that a case that ends not testable or skipped
keeps its labels; the title is set at teardown, because allure-pytest overwrites titles
set during setup.
"""

from __future__ import annotations

from typing import Any

from harness.catalogue import catalogue

EPIC = "PSD2 RTS on SCA and CSC (EU) 2018/389"


def case_markers(suite: Any, case: Any) -> list[Any]:
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
    for rid in case.requirements:
        req = reqs.get(rid)
        markers.append(allure.story(f"{rid} {req.title}" if req else rid))
        for cite in req.citations if req else ():
            if cite.url:
                markers.append(allure.link(cite.url, name=cite.label))
    if case.tags:
        markers.append(allure.tag(*case.tags))
    markers.append(allure.description(_description(suite, case)))
    return markers


def _description(suite: Any, case: Any) -> str:
    reqs = catalogue()
    lines = [f"**{case.id}**: {case.title}", ""]
    if case.description:
        lines += [case.description, ""]
    for rid in case.requirements:
        req = reqs.get(rid)
        if req is None:
            continue
        lines.append(f"- **{rid}** {req.title}" + (f": {req.obligation}" if req.obligation else ""))
        for cite in req.citations:
            lines.append(f"  - {cite.label}" + ("" if cite.verified else " (unverified)"))
    lines += ["", f"Suite: {suite.title} (`{suite.path.name}`), severity {case.severity}, "
              f"needs: {', '.join(sorted(case.needs)) or 'nothing'}"]
    return "\n".join(lines)


def pytest_runtest_teardown_title(item: Any) -> None:
    import allure

    allure.dynamic.title(f"{item.case.id}: {item.case.title}")
