"""Engine overhead: the harness's per-step cost against a bare httpx call, same transport.

Measured in one run, so the ratios compare like with like on whatever the machine does:
- in process (ASGI app through the harness's transport) and over loopback (uvicorn);
- the engine alone (no allure), and whole pytest runs with and without allure, whose
  per-case slope (N=1 versus N=200 one-step cases) is the cost of one case.

Goals: without allure <= 1.5x in process and <= 1.2x over loopback; a one-step case over
loopback <= 1.5 ms. Run: python bench/engine_overhead.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench._support import served, served_minimal  # noqa: E402
from harness.clocks import NoClock  # noqa: E402
from harness.engine import CaseRun, RunContext  # noqa: E402
from harness.loader import load_suite  # noqa: E402
from harness.redaction import Redactor  # noqa: E402
from harness.regime import load_regime  # noqa: E402
from harness.target import load_target  # noqa: E402

STEPS = 200
ROUNDS = 7

STEP = """      - method: GET
        url: /ping
        expect:
          status: 200
          json: {/status: ok}
"""


def write_suite(folder: Path, cases: int, steps: int) -> Path:
    body = ["family: stepup", "title: bench", "cases:"]
    for i in range(cases):
        body += [
            f"  - id: bench-{i:04d}",
            "    title: ping",
            "    requirements: [STP-1]",
            "    severity: minor",
            "    steps:",
            STEP.rstrip("\n"),
        ] + [STEP.rstrip("\n")] * (steps - 1)
    path = folder / f"bench-{cases}x{steps}.yaml"
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    return path


def write_target(folder: Path, base_url: str | None) -> Path:
    where = f"base_url: {base_url}" if base_url else "app: bench._support:create_app\nfactory: true"
    path = folder / ("loopback.yaml" if base_url else "inprocess.yaml")
    path.write_text(f"name: bench\nfamily: stepup\n{where}\nsandbox: none\nclock: none\notp: none\n", encoding="utf-8")
    return path


def bare_per_call(client: httpx.Client) -> float:
    started = time.perf_counter()
    for _ in range(STEPS):
        response = client.get("/ping")
        assert response.status_code == 200 and response.json()["status"] == "ok"
    return (time.perf_counter() - started) / STEPS


def paired(target_file: Path, suite_file: Path) -> tuple[float, float]:
    """Median per-call cost of bare httpx and of the engine, rounds interleaved so that
    machine drift hits both alike. The same client (and so the same transport) serves both."""
    target = load_target(str(target_file))
    client = target.build_client()
    suite = load_suite(suite_file)
    ctx = RunContext(target=target, client=client, clock=NoClock(), redactor=Redactor(), regime=load_regime())
    case = suite.cases[0]

    def engine() -> float:
        started = time.perf_counter()
        CaseRun(ctx, suite, case).run()
        return (time.perf_counter() - started) / STEPS

    bare_times, engine_times = [], []
    bare_per_call(client), engine()  # warm-up
    for _ in range(ROUNDS):
        bare_times.append(bare_per_call(client))
        engine_times.append(engine())
    client.close()
    return statistics.median(bare_times), statistics.median(engine_times)


def pytest_per_case(target_file: Path, folder: Path, allure: bool) -> float:
    """Slope of whole `psd2-harness run`-style pytest sessions: (T(200) - T(1)) / 199."""
    import subprocess

    def session(cases: int) -> float:
        suite = write_suite(folder, cases, 1)
        code = (
            "import sys; from harness.cli import run_pytest; "
            f"sys.exit(run_pytest([{str(suite)!r}], target_name={str(target_file)!r}, "
            f"report_dir={str(folder / 'reports')!r}, allure={allure}))"
        )
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(done.stdout[-2000:] + done.stderr[-2000:])
        return elapsed

    ones = sorted(session(1) for _ in range(3))[1]
    many = sorted(session(STEPS) for _ in range(3))[1]
    return (many - ones) / (STEPS - 1)


def main() -> None:
    print(f"engine overhead, {STEPS} steps per measurement, median of {ROUNDS} rounds, {os.cpu_count()} cores\n")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        suite = write_suite(folder, 1, STEPS)
        rows = []
        bare_in, engine_in = paired(write_target(folder, None), suite)
        rows.append(("in process", bare_in, engine_in, 1.5))
        with served("bench._support:create_app") as base:
            bare_lo, engine_lo = paired(write_target(folder, base), suite)
            rows.append(("loopback (uvicorn)", bare_lo, engine_lo, 1.2))
        with served_minimal() as base:
            loop = write_target(folder, base)
            bare_min, engine_min = paired(loop, suite)
            rows.append(("loopback (stdlib)", bare_min, engine_min, 1.2))
            print(f"{'transport':20} {'bare httpx':>12} {'engine':>12} {'ratio':>7} {'goal':>6}")
            for name, bare, engine, goal in rows:
                ratio = engine / bare
                print(
                    f"{name:20} {bare * 1e3:9.3f} ms {engine * 1e3:9.3f} ms {ratio:6.2f}x {goal:5.1f}x "
                    f"{'ok' if ratio <= goal else 'OVER'}"
                )
            print("\nwhole pytest sessions against the stdlib server, cost of one one-step case (slope N=1 -> N=200):")
            no_allure = pytest_per_case(loop, folder, allure=False)
            with_allure = pytest_per_case(loop, folder, allure=True)
            print(
                f"  without allure {no_allure * 1e3:6.3f} ms per case (goal <= 1.5 ms: "
                f"{'ok' if no_allure <= 0.0015 else 'OVER'})"
            )
            print(f"  with allure    {with_allure * 1e3:6.3f} ms per case ({with_allure / no_allure:.2f}x)")


if __name__ == "__main__":
    main()
