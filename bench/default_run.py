"""The default run: `psd2-harness run` (every bundled suite, the in-process reference bank).

Interleaved with it, in the same invocation:
- the baseline, a bare pytest start in this virtualenv (`python -m pytest --version`: the
  interpreter, pytest, and the plugins it auto-loads), so the run's time is also a ratio;
- the same suites through `harness.cli.run_pytest` (what `run` calls after its pre-flight
  checks) with evidence on and with evidence off (no allure-pytest): the difference is what
  the evidence costs the run.
With --loopback, also the same run against the reference bank served on loopback by
`psd2-harness serve` (its own process; the target is examples/served-reference.yaml's wiring).
Wall time includes interpreter start; peak RSS is the child's ru_maxrss (os.wait4).

Goals (issue item 6): the default run at most 1.2 s median; peak at most 100 MB.
Run: python bench/default_run.py [--rounds 7] [--loopback]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import (  # noqa: E402
    ROOT,
    Child,
    Spread,
    arguments,
    free_port,
    header,
    interleave,
    print_row,
    python_code,
    ratio,
    run_child,
    verdict,
)


def cli_run(reports: Path, target: Path | None = None) -> Child:
    where = ["--target", str(target)] if target else []
    return run_child([sys.executable, "-m", "harness", "run", *where, "--report-dir", str(reports)])


@contextmanager
def served_reference(folder: Path) -> Iterator[Path]:
    """`psd2-harness serve` on a free port; yields a target file for it."""
    port = free_port()
    text = (ROOT / "examples" / "served-reference.yaml").read_text(encoding="utf-8")
    target = folder / "served-reference.yaml"
    target.write_text(text.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}"), encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL
    )
    try:
        import httpx

        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield target
    finally:
        server.terminate()
        server.wait(10)


def run_pytest_session(reports: Path, evidence: bool) -> Child:
    return python_code(
        "import sys; from harness.cli import run_pytest; from harness.paths import suites_dir; "
        f"sys.exit(run_pytest([str(suites_dir())], target_name='reference', report_dir={str(reports)!r}, "
        f"allure={evidence}))"
    )


def main() -> None:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--loopback", action="store_true", help="also the run against psd2-harness serve")

    args = arguments(__doc__.splitlines()[0], options)
    header("the default run: psd2-harness run, all bundled suites, in-process reference", args.rounds)
    with tempfile.TemporaryDirectory(prefix="bench-default-") as tmp, contextlib.ExitStack() as stack:
        folder = Path(tmp)
        first = run_child([sys.executable, "-m", "harness", "run", "--report-dir", str(folder / "first")])
        match = re.search(r"run folder: (\S+)", first.output)
        assert match, first.output[-2000:]
        summary = json.loads((Path(match.group(1)) / "summary.json").read_text(encoding="utf-8"))
        files = sum(1 for p in Path(match.group(1)).rglob("*") if p.is_file())
        variants = [
            ("pytest --version", lambda: run_child([sys.executable, "-m", "pytest", "--version"], cwd=folder)),
            ("psd2-harness run", lambda: cli_run(folder / "cli")),
            ("run_pytest, evidence on", lambda: run_pytest_session(folder / "on", True)),
            ("run_pytest, evidence off", lambda: run_pytest_session(folder / "off", False)),
        ]
        if args.loopback:
            target = stack.enter_context(served_reference(folder))
            variants.append(("psd2-harness run, loopback (serve)", lambda: cli_run(folder / "loop", target)))
        results = interleave(args.rounds, variants)
    cases = sum(summary["counts"].values())
    print(f"{cases} cases ({summary['counts']['passed']} passed), {summary['requests']} requests, {files} files\n")
    wall = {name: [c.wall for c in children] for name, children in results.items()}
    rss = {name: [c.peak_rss_mb for c in children] for name, children in results.items()}
    print("wall time, s (interpreter start included); peak RSS, MB")
    for name in results:
        print_row(name, Spread.of(wall[name]).show(" s", digits=3), Spread.of(rss[name]).show(" MB", digits=0))
    run = Spread.of(wall["psd2-harness run"])
    print()
    print_row("psd2-harness run, median", f"{run.median:.3f} s", verdict(run.median, 1.2))
    peak = max(rss["psd2-harness run"])
    print_row("psd2-harness run, peak RSS (max of rounds)", f"{peak:.0f} MB", verdict(peak, 100))
    print_row(
        "psd2-harness run / pytest --version",
        ratio(wall["psd2-harness run"], wall["pytest --version"]).show("x", digits=2),
    )
    extra = [a - b for a, b in zip(wall["psd2-harness run"], wall["pytest --version"], strict=True)]
    print_row("psd2-harness run - pytest --version", Spread.of(extra).show(" s"))
    on, off = wall["run_pytest, evidence on"], wall["run_pytest, evidence off"]
    evidence = [(a - b) / a for a, b in zip(on, off, strict=True)]
    print_row("evidence's share of run_pytest ((on - off) / on)", Spread.of(evidence).show(digits=3))
    print_row(
        "per request, run_pytest evidence on - pytest --version",
        Spread.of([(a - b) / summary["requests"] for a, b in zip(on, wall["pytest --version"], strict=True)]).show(
            " ms", 1e3
        ),
    )


if __name__ == "__main__":
    main()
