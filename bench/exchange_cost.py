"""Cost per exchange: the harness against a plain pytest + httpx loop making the same requests.

Both sides make N one-request GET /ping calls on the same transport, each a test of its own:
- the harness: a generated suite of N one-step cases (status 200, /status ok), run as
  `psd2-harness run` runs it (`harness.cli.run_pytest`: the sealed pytest, run.ini, junit.xml,
  the run folder with summaries, canary and SHA256SUMS), evidence on (allure-pytest writing one
  step and one redacted request/response attachment per exchange) and off;
- the baseline: N pytest test functions, each making the same call with httpx, under the same
  pytest settings (harness/run.ini, plugin auto-load off); with allure on each opens the same
  step and attaches the same request/response record as indented JSON (json.dumps, not
  redacted), with allure off it only checks the answer.
Transports: in process (the harness's SyncASGITransport over the trivial Starlette app) and
over loopback (a served trivial app; the stdlib server by default).

Each session's window (bench/_timing.py: collection start to the end of sessionfinish) is taken
at N small and N big; the cost of one exchange is the slope (W_big - W_small) / (big - small),
per round, so interpreter start and imports cancel out. allure-pytest's own writing is the
baseline's slope with allure on minus off.

Goal (issue item 6): harness with evidence <= 1.5x the baseline with allure.
Run: python bench/exchange_cost.py [--rounds 7] [--small 10] [--big 400] [--server stdlib|uvicorn]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import (  # noqa: E402
    ROOT,
    Child,
    Spread,
    arguments,
    header,
    interleave,
    per_round,
    print_row,
    python_code,
    ratio,
    served,
    slope,
    verdict,
    windows,
)

STEP = """    steps:
      - method: GET
        url: /ping
        expect:
          status: 200
          json: {/status: ok}"""


def write_suite(folder: Path, cases: int) -> Path:
    lines = ["family: stepup", "title: bench", "cases:"]
    for i in range(cases):
        lines += [f"  - id: bench-{i:04d}", "    title: ping", "    requirements: [STP-1]", "    severity: minor", STEP]
    path = folder / f"bench-{cases}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_target(folder: Path, base_url: str | None) -> Path:
    where = f"base_url: {base_url}" if base_url else "app: bench._support:create_app\nfactory: true"
    path = folder / ("loopback.yaml" if base_url else "inprocess.yaml")
    path.write_text(f"name: bench\nfamily: stepup\n{where}\nsandbox: none\nclock: none\notp: none\n", encoding="utf-8")
    return path


PLAIN_TEST = '''"""The baseline: a plain pytest + httpx loop, one test function per request."""
import json
import time

import httpx

{client}
EVIDENCE = {evidence}
if EVIDENCE:
    import allure


def _record(response, elapsed):
    request = response.request
    return {{
        "request": {{
            "method": request.method, "url": str(request.url), "headers": dict(request.headers), "body": None
        }},
        "elapsed_ms": round(elapsed * 1000, 3),
        "target_clock": None,
        "response": {{"status": response.status_code, "headers": dict(response.headers), "body": response.json()}},
    }}


def _ping():
    if EVIDENCE:
        with allure.step("GET /ping"):
            started = time.perf_counter()
            response = CLIENT.get("/ping")
            elapsed = time.perf_counter() - started
            assert response.status_code == 200 and response.json()["status"] == "ok"
            allure.attach(
                json.dumps(_record(response, elapsed), ensure_ascii=False, indent=2),
                name="GET /ping",
                attachment_type=allure.attachment_type.JSON,
            )
    else:
        response = CLIENT.get("/ping")
        assert response.status_code == 200 and response.json()["status"] == "ok"
'''
PLAIN_CASE = """

def test_ping_{i:04d}():
    _ping()
"""


def plain_test(client: str, evidence: bool, tests: int) -> str:
    """Distinct test functions, not one parametrised test: parametrize would make allure-pytest
    write a container file per test for its pseudo-fixture, work the harness's cases do not have."""
    return PLAIN_TEST.format(client=client, evidence=evidence) + "".join(PLAIN_CASE.format(i=i) for i in range(tests))


IN_PROCESS_CLIENT = """from bench._support import create_app
from harness.transport import SyncASGITransport

CLIENT = httpx.Client(transport=SyncASGITransport(create_app()), base_url="http://bench.in-process")"""


def harness_session(suite: Path, target: Path, reports: Path, evidence: bool) -> Child:
    return python_code(
        "import sys; from harness.cli import run_pytest; "
        f"sys.exit(run_pytest([{str(suite)!r}], target_name={str(target)!r}, report_dir={str(reports)!r}, "
        f"allure={evidence}, extra=['-p', 'bench._timing']))"
    )


def plain_session(test_file: Path, reports: Path, evidence: bool) -> Child:
    args = [str(test_file), "-c", str(ROOT / "harness" / "run.ini"), "--rootdir", str(test_file.parent)]
    args += ["-q", "--no-header", "-rN", "-p", "bench._timing"]
    if evidence:
        args += ["-p", "allure_pytest.plugin", "--alluredir", str(reports), "--allure-no-capture"]
    return python_code(
        f"import sys, pytest; sys.exit(pytest.main({args!r}))", env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    )


VARIANTS = (
    ("harness+evidence", "harness", True),
    ("plain+allure", "plain", True),
    ("harness", "harness", False),
    ("plain", "plain", False),
)


def main() -> None:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--small", type=int, default=10, help="cases in the small session (default 10)")
        parser.add_argument("--big", type=int, default=400, help="cases in the big session (default 400)")
        parser.add_argument("--server", choices=["stdlib", "uvicorn"], default="stdlib", help="the loopback server")
        parser.add_argument("--transport", choices=["both", "in-process", "loopback"], default="both")

    args = arguments(__doc__.splitlines()[0], options)
    header("cost per exchange: harness vs a plain pytest + httpx loop, same requests, same transport", args.rounds)
    sizes = (args.small, args.big)
    with tempfile.TemporaryDirectory(prefix="bench-exchange-") as tmp, served(args.server) as base:
        folder = Path(tmp)
        suites = {n: write_suite(folder, n) for n in sizes}
        transports = {"in process": None, f"loopback ({args.server})": base}
        if args.transport != "both":
            transports = {k: v for k, v in transports.items() if (v is None) == (args.transport == "in-process")}
        runs = []
        for transport, url in transports.items():
            target = write_target(folder, url)
            client = IN_PROCESS_CLIENT if url is None else f"CLIENT = httpx.Client(base_url={url!r})"
            for n in sizes:
                for name, kind, evidence in VARIANTS:
                    key = f"{transport}|{name}|{n}"
                    reports = folder / f"reports-{len(runs)}"
                    if kind == "harness":
                        runs.append(
                            (key, lambda s=suites[n], t=target, r=reports, e=evidence: harness_session(s, t, r, e))
                        )
                    else:
                        test = folder / f"plain_{len(runs)}" / "test_plain.py"
                        test.parent.mkdir()
                        test.write_text(plain_test(client, evidence, n), encoding="utf-8")
                        runs.append((key, lambda t=test, r=reports, e=evidence: plain_session(t, r, e)))
        results = interleave(args.rounds, runs)

    def per_exchange(transport: str, name: str) -> list[float]:
        small = windows(results[f"{transport}|{name}|{args.small}"])
        return slope(small, windows(results[f"{transport}|{name}|{args.big}"]), args.small, args.big)

    print(f"per exchange: slope of the in-session window between {args.small} and {args.big} one-request tests")
    for transport in transports:
        cost = {name: per_exchange(transport, name) for name, _, _ in VARIANTS}
        print(f"\n {transport}")
        for name, _, _ in VARIANTS:
            print_row(name, Spread.of(cost[name]).show(" ms", 1e3))
        on = ratio(cost["harness+evidence"], cost["plain+allure"])
        off = ratio(cost["harness"], cost["plain"])
        print_row("ratio, evidence on (harness / plain+allure)", on.show("x", digits=2), verdict(on.median, 1.5))
        print_row("ratio, evidence off (harness / plain)", off.show("x", digits=2))
        allure_own = [a - b for a, b in zip(cost["plain+allure"], cost["plain"], strict=True)]
        evidence = [a - b for a, b in zip(cost["harness+evidence"], cost["harness"], strict=True)]
        print_row("allure-pytest's own writing (plain+allure - plain)", Spread.of(allure_own).show(" ms", 1e3))
        print_row("  its share of harness+evidence", Spread.of(per_round(allure_own, cost["harness+evidence"])).show())
        print_row("harness's evidence (harness+evidence - harness)", Spread.of(evidence).show(" ms", 1e3))
        print_row("  of which allure-pytest's own writing", Spread.of(per_round(allure_own, evidence)).show())
        big = {name: [c.wall for c in results[f"{transport}|{name}|{args.big}"]] for name, _, _ in VARIANTS}
        walls = ", ".join(f"{name} {Spread.of(big[name]).show(' s', digits=2)}" for name, _, _ in VARIANTS)
        print(f"  whole sessions of {args.big}, wall: {walls}")


if __name__ == "__main__":
    main()
