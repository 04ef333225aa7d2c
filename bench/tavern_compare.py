"""One-request tests: the harness against Tavern, the same tests over loopback.

The same trivial bank, served on loopback in a process of its own (the stdlib server by
default), gets the same N tests from each tool, each test one GET /ping checking status 200
and the JSON body:
- the harness: N one-step cases, run as `psd2-harness run` runs them (harness.cli.run_pytest),
  evidence on (its default: allure-pytest writes every exchange) and off;
- Tavern (3.x, under pytest 8: Tavern does not import under pytest 9): N documents of one
  `test_*.tavern.yaml` file, in Tavern's own virtualenv (bench/README.md), with pytest's
  defaults, and again with the pytest settings the harness runs with (no capture, no logging
  plugin, plain asserts) so that those settings are not what the ratio measures;
- the ceiling: a plain pytest + httpx + allure loop (bench/exchange_cost.py's baseline), each
  test making the same call and attaching the same record in one allure step. No harness that
  writes its evidence with allure-pytest can be cheaper than it, so Tavern / plain+allure is the
  most "Tavern / harness+evidence" can read.

Per test: the slope of the in-session window (bench/_timing.py) between N small and N big,
per round. Whole sessions of N big: wall time, interpreter start and imports included.
Goal (issue item 6): one-request tests at least 4x cheaper than Tavern's.
Run: python bench/tavern_compare.py [--rounds 7] [--small 10] [--big 200] [--tavern-python PATH]
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
    print_row,
    ratio,
    run_child,
    served,
    slope,
    verdict,
    windows,
)
from bench.exchange_cost import (  # noqa: E402
    harness_session,
    plain_session,
    plain_test,
    write_suite,
    write_target,
)

TAVERN_VENV = ROOT / "bench" / ".tavern-venv"
TAVERN_TEST = """test_name: ping {i:04d}
stages:
  - name: ping
    request:
      url: {base}/ping
      method: GET
    response:
      status_code: 200
      json:
        status: ok
        n: 1
"""
HARNESS_SETTINGS = ["--capture=no", "-p", "no:logging", "--assert=plain"]
TUNED = "tavern, harness's pytest settings"


def write_tavern(folder: Path, base: str, tests: int) -> Path:
    path = folder / f"tavern-{tests}" / "test_ping.tavern.yaml"
    path.parent.mkdir()
    path.write_text("---\n".join(TAVERN_TEST.format(i=i, base=base) for i in range(tests)), encoding="utf-8")
    return path


def tavern_session(python: Path, test_file: Path, tuned: bool) -> Child:
    argv = [str(python), "-m", "pytest", test_file.name, "-q", "-p", "no:cacheprovider", "-p", "bench._timing"]
    return run_child(argv + (HARNESS_SETTINGS if tuned else []), cwd=test_file.parent, env={"PYTHONPATH": str(ROOT)})


def main() -> None:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--small", type=int, default=10, help="tests in the small session (default 10)")
        parser.add_argument("--big", type=int, default=200, help="tests in the big session (default 200)")
        parser.add_argument("--server", choices=["stdlib", "uvicorn"], default="stdlib", help="the loopback server")
        parser.add_argument("--tavern-python", type=Path, default=TAVERN_VENV / "bin" / "python")

    args = arguments(__doc__.splitlines()[0], options)
    if not args.tavern_python.exists():
        sys.exit(
            f"no Tavern virtualenv at {args.tavern_python}; make one (bench/README.md):\n"
            f"  python3 -m venv {TAVERN_VENV} && {TAVERN_VENV}/bin/pip install tavern 'pytest<9'"
        )
    versions = "import tavern, pytest; print(tavern.__version__, pytest.__version__)"
    version = run_child([str(args.tavern_python), "-c", versions])
    header(f"one-request tests over loopback ({args.server} server): harness vs Tavern", args.rounds)
    print(f"  Tavern {version.output.split()[0]} under pytest {version.output.split()[1]} ({args.tavern_python})\n")
    sizes = (args.small, args.big)
    with tempfile.TemporaryDirectory(prefix="bench-tavern-") as tmp, served(args.server) as base:
        folder = Path(tmp)
        target = write_target(folder, base)
        runs = []
        for n in sizes:
            suite = write_suite(folder, n)
            tavern = write_tavern(folder, base, n)
            plain = folder / f"plain-{n}" / "test_plain.py"
            plain.parent.mkdir()
            plain.write_text(plain_test(f"CLIENT = httpx.Client(base_url={base!r})", True, n), encoding="utf-8")
            runs += [
                (f"harness+evidence|{n}", lambda s=suite, r=folder / f"r1-{n}": harness_session(s, target, r, True)),
                (f"tavern|{n}", lambda t=tavern: tavern_session(args.tavern_python, t, False)),
                (f"harness|{n}", lambda s=suite, r=folder / f"r0-{n}": harness_session(s, target, r, False)),
                (f"{TUNED}|{n}", lambda t=tavern: tavern_session(args.tavern_python, t, True)),
                (f"plain+allure|{n}", lambda t=plain, r=folder / f"p-{n}": plain_session(t, r, True)),
            ]
        results = interleave(args.rounds, runs)

    names = ["harness+evidence", "harness", "tavern", TUNED, "plain+allure"]
    per_test = {
        name: slope(
            windows(results[f"{name}|{args.small}"]), windows(results[f"{name}|{args.big}"]), args.small, args.big
        )
        for name in names
    }
    walls = {name: [c.wall for c in results[f"{name}|{args.big}"]] for name in names}
    print(f"per test: slope of the in-session window between {args.small} and {args.big} tests")
    for name in names:
        print_row(name, Spread.of(per_test[name]).show(" ms", 1e3))
    for harness in ("harness+evidence", "harness"):
        for tavern in ("tavern", TUNED):
            cheaper = ratio(per_test[tavern], per_test[harness])
            print_row(f"{tavern} / {harness}", cheaper.show("x", digits=2), verdict(cheaper.median, 4, at_most=False))
    ceiling = ratio(per_test["tavern"], per_test["plain+allure"])
    print_row("tavern / plain+allure (the ceiling with allure evidence)", ceiling.show("x", digits=2))
    share = [p / h for p, h in zip(per_test["plain+allure"], per_test["harness+evidence"], strict=True)]
    print_row("plain+allure / harness+evidence", Spread.of(share).show(digits=2))
    print(f"\nwhole sessions of {args.big} tests, wall time (interpreter start and imports included)")
    for name in names:
        print_row(name, Spread.of(walls[name]).show(" s", digits=2))
    for harness in ("harness+evidence", "harness"):
        print_row(f"tavern / {harness}", ratio(walls["tavern"], walls[harness]).show("x", digits=2))


if __name__ == "__main__":
    main()
