"""The full bundled run and the defect matrix: wall time, cases, requests, peak memory.

- the full run in process (`psd2-harness run`, the built-in reference target);
- the same over loopback (`psd2-harness serve` in its own process, a target file with base_url);
- the defect matrix (`psd2-harness matrix`).

Goals on a 2-core machine: full in-process run <= 3 s wall, matrix <= 60 s, peak RSS <= 150 MB.
Run: python bench/full_run.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import free_port  # noqa: E402

LOOPBACK_TARGET = """name: reference-loopback
base_url: {base}
families:
  escalation: {{base_path: /escalation}}
  workflow: {{base_path: /workflow}}
  stepup: {{base_path: /stepup}}
  dedicated: {{base_path: /dedicated}}
sandbox: {{path: /__sandbox}}
clock: per-psu
otp: sandbox
"""


_MEASURE = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "sys.stderr.write('\\npeak-rss-kib %d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
    "sys.exit(done.returncode)"
)


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str, int]:
    """Wall seconds, exit code, output, and peak RSS (KiB) of the command and its children,
    measured in a wrapper process of its own (RUSAGE_CHILDREN only ever grows)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], cwd=ROOT, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    match = re.search(r"peak-rss-kib (\d+)", done.stderr)
    return wall, done.returncode, done.stdout + done.stderr, int(match.group(1)) if match else 0


def summary_of(output: str) -> dict:
    match = re.search(r"run folder: (\S+)", output)
    if not match:
        raise RuntimeError(output[-3000:])
    return json.loads((ROOT / match.group(1) / "summary.json").read_text())


def row(name: str, wall: float, cases: int, requests: int, rss_kib: int, goal: str) -> None:
    rate = requests / wall if wall else 0.0
    print(f"{name:26} {wall:7.2f} s {cases:6d} {requests:8d} {rate:9.0f}/s {rss_kib / 1024:7.0f} MB   {goal}")


def main() -> None:
    exe = [sys.executable, "-m", "harness"]
    print(f"{os.cpu_count()} cores; wall time includes interpreter start\n")
    print(f"{'run':26} {'wall':>9} {'cases':>6} {'requests':>8} {'req/s':>11} {'peak RSS':>10}   goal")
    with tempfile.TemporaryDirectory() as tmp:
        reports = str(Path(tmp) / "reports")
        wall, code, out, rss = timed(exe + ["run", "--report-dir", reports])
        s = summary_of(out)
        cases = sum(s["counts"].values())
        row(
            "full run, in process",
            wall,
            cases,
            s["requests"],
            rss,
            "<= 3 s, <= 150 MB" + ("" if code == 0 else f" (exit {code})"),
        )
        port = free_port()
        server = subprocess.Popen(exe + ["serve", "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            server.stdout.readline()
            target = Path(tmp) / "loopback.yaml"
            target.write_text(LOOPBACK_TARGET.format(base=f"http://127.0.0.1:{port}"))
            wall, code, out, rss = timed(exe + ["run", "--target", str(target), "--report-dir", reports])
            s = summary_of(out)
            row(
                "full run, loopback",
                wall,
                sum(s["counts"].values()),
                s["requests"],
                rss,
                "same verdicts" + ("" if code == 0 else f" (exit {code})"),
            )
        finally:
            server.terminate()
            server.wait(10)
        matrix_json = Path(tmp) / "matrix.json"
        wall, code, out, rss = timed(exe + ["matrix", "--json", str(matrix_json)])
        m = json.loads(matrix_json.read_text())
        row("defect matrix", wall, m["case_runs"], m["requests"], rss, f"<= 60 s ({m['defects']} defects; exit {code})")


if __name__ == "__main__":
    main()
