"""The defect matrix: proof that every conformance case can fail.

For the compliant reference bank and for each named defect alone, the bundled suites run
in process. The matrix holds when
- no case fails (or breaks) on the compliant bank,
- every defect is caught by at least one failing case of its own rule,
- every case fails under at least one defect.

It drives the engine directly rather than through pytest: one pytest session per defect
would cost its start-up 80 times over, and the verdict logic is the engine's either way.
A defect of one family cannot touch another family's routes, so each defect runs the
suites of its own family only; sandbox-plane defects run every suite.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from harness.model import Suite

COMPLIANT = "(compliant)"


@dataclass
class RunResult:
    defect: str
    verdicts: dict[str, str] = field(default_factory=dict)
    """case id -> passed | failed | broken | not testable"""
    reasons: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    seconds: float = 0.0


@cache
def _suites(paths: tuple[str, ...]) -> list[Suite]:
    """Loaded once per worker process: 80 bank runs need not parse and validate 80 times."""
    from harness.loader import load_suites

    return load_suites(paths)


def _run(
    defect: str, paths: list[str], families: list[str] | None, target_name: str = "reference", allow_app: bool = False
) -> RunResult:
    """One bank (fresh app, fresh state), the relevant suites, every case once."""
    from harness.runner import open_context, run_case
    from harness.target import load_target

    started = time.perf_counter()
    ctx = open_context(load_target(target_name, allow_app=allow_app), defects=[] if defect == COMPLIANT else [defect])
    result = RunResult(defect)
    for suite in _suites(tuple(paths)):
        if families is not None and suite.family not in families and "sandbox" not in families:
            continue
        for case in suite.cases:
            outcome = run_case(ctx, suite, case)  # the plugin's runner: the same verdict either way
            result.verdicts[case.id] = outcome.verdict
            result.reasons[case.id] = outcome.reason
            result.requests += outcome.requests
    ctx.client.close()
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class Matrix:
    cases: dict[str, tuple[str, ...]]
    """case id -> its requirement IDs"""
    compliant: RunResult
    runs: dict[str, RunResult]
    defects: dict[str, str]
    """defect name -> rule ID"""
    complete: bool = True
    """Every registered defect ran (only then can "every case fails somewhere" be judged)."""

    def caught_by_own_rule(self, defect: str) -> list[str]:
        rule = self.defects[defect]
        run = self.runs[defect]
        # a case that fails on the compliant bank too proves nothing about the defect
        return [
            c
            for c, v in run.verdicts.items()
            if v == "failed" and rule in self.cases.get(c, ()) and self.compliant.verdicts.get(c) == "passed"
        ]

    def gaps(self) -> list[str]:
        out = []
        for case, verdict in sorted(self.compliant.verdicts.items()):
            if verdict != "passed":
                out.append(f"case {case} is {verdict} on the compliant bank: {self.compliant.reasons[case]}")
        for defect in sorted(self.runs):
            if not self.caught_by_own_rule(defect):
                out.append(f"defect {defect} ({self.defects[defect]}) is caught by no failing case of its rule")
        for case in sorted(self.cases) if self.complete else ():
            if not any(run.verdicts.get(case) == "failed" for run in self.runs.values()):
                out.append(f"case {case} fails under no defect: it cannot be shown to catch anything")
        # A case broken under a defect is no gap: a defect that breaks a precondition (a login,
        # a consent) leaves the cases standing on it untestable, and says so; what counts is
        # that the defect's own rule has a case that fails.
        return out

    def table(self) -> list[dict[str, Any]]:
        by_rule: dict[str, dict[str, Any]] = defaultdict(lambda: {"cases": [], "defects": {}})
        for case, reqs in self.cases.items():
            for rid in reqs:
                by_rule[rid]["cases"].append(case)
        for defect, rule in self.defects.items():
            if defect in self.runs:
                by_rule[rule]["defects"][defect] = self.caught_by_own_rule(defect)
        from harness.catalogue import catalogue

        order = list(catalogue())
        return [
            {"rule": rid, **by_rule[rid]}
            for rid in sorted(by_rule, key=lambda r: order.index(r) if r in order else len(order))
        ]


def build(
    paths: list[str], workers: int = 0, only: Iterable[str] = (), target: str = "reference", allow_app: bool = False
) -> Matrix:
    from harness.loader import load_suites
    from harness.reference.defects import all_defects

    suites = load_suites(paths)
    cases = {case.id: case.requirements for suite in suites for case in suite.cases}
    defects = {d.name: d for d in all_defects()}
    chosen = [name for name in defects if not only or name in set(only)]
    workers = workers or (os.cpu_count() or 1)
    jobs = [(COMPLIANT, None)] + [
        (name, None if defects[name].family == "sandbox" else [defects[name].family]) for name in chosen
    ]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_run, name, paths, fams, target, allow_app) for name, fams in jobs]
            results = [f.result() for f in futures]
    else:
        results = [_run(name, paths, fams, target, allow_app) for name, fams in jobs]
    compliant, runs = results[0], {r.defect: r for r in results[1:]}
    return Matrix(
        cases=cases,
        compliant=compliant,
        runs=runs,
        defects={n: defects[n].rule for n in chosen},
        complete=len(chosen) == len(defects),
    )


def main(
    paths: list[str],
    *,
    workers: int = 0,
    only: Iterable[str] = (),
    json_out: str | None = None,
    target: str = "reference",
    allow_app: bool = False,
) -> int:
    from harness.errors import ConfigError
    from harness.reference.defects import REGISTRY

    unknown = sorted(set(only) - set(REGISTRY))
    if unknown:
        click.echo(f"unknown defect(s): {', '.join(unknown)}; see psd2-harness serve --list-defects", err=True)
        return 2
    started = time.perf_counter()
    try:
        from harness.target import load_target

        if not load_target(target).factory:
            click.echo(
                f"target {target!r} is not an app factory: the matrix needs a bank it can start with each "
                "defect (reference, reference-alt, or an in-process factory of your own)",
                err=True,
            )
            return 2
        matrix = build(paths, workers, only, target, allow_app)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        return 2
    wall = time.perf_counter() - started
    for row in matrix.table():
        caught = (
            ", ".join(
                f"{d} ({'caught by ' + ', '.join(c) if c else 'NOT CAUGHT'})" for d, c in sorted(row["defects"].items())
            )
            or "no defect"
        )
        click.echo(f"{row['rule']:7} cases: {', '.join(sorted(row['cases'])) or 'NONE'}")
        click.echo(f"        defects: {caught}")
    gaps = matrix.gaps()
    runs = len(matrix.runs) + 1
    requests = matrix.compliant.requests + sum(r.requests for r in matrix.runs.values())
    click.echo(
        f"\n{len(matrix.cases)} cases, {len(matrix.runs)} defects, {runs} bank runs, {requests} requests "
        f"in {wall:.1f} s"
    )
    if json_out:
        Path(json_out).write_text(
            json.dumps(
                {
                    "table": matrix.table(),
                    "gaps": gaps,
                    "cases": len(matrix.cases),
                    "defects": len(matrix.runs),
                    "case_runs": len(matrix.compliant.verdicts) + sum(len(r.verdicts) for r in matrix.runs.values()),
                    "requests": requests,
                    "wall_seconds": round(wall, 2),
                },
                indent=2,
            ),
            encoding="utf-8",
        )
    if gaps:
        click.echo(f"{len(gaps)} gap(s):", err=True)
        for gap in gaps:
            click.echo(f"  - {gap}", err=True)
        return 1
    click.echo(
        "matrix holds: every defect caught by its own rule, every case can fail, none fails on the compliant bank"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or [str(__import__("harness.paths").paths.suites_dir())]))
