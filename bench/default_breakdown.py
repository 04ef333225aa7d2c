"""Where the default run's time goes, and the floor under it: what no harness could skip.

The default run (every bundled suite, the in-process reference bank, evidence on) is made in
a child (`bench._breakdown_child`) that times its parts. Interleaved with it, in the same
invocation: the same run with evidence off, and `python -c pass` (the interpreter's start).

The floor is what a run making the same exchanges must pay whatever harness makes them: the
interpreter's start, the libraries it imports (pytest, httpx, starlette, allure-pytest, PyYAML,
click, jsonschema), the bank answering (its handlers and the in-process transport: the
harness's own `SyncASGITransport`, the cheapest way found to call an ASGI app from httpx, and
printed apart so that the floor without it can be read too), httpx
building and sending the requests, and allure-pytest serialising and writing its result and
attachment files, its `allure.attach` and `allure.step` (the evidence, which is not dropped;
allure-pytest's per-test pytest hooks are not counted in it). The rest is the harness's own: its
imports, collection (loading the suites), the engine, redaction, the exchange records, the
summaries, canary and SHA256SUMS, and pytest's and allure-pytest's per-test hooks.

Goal (issue item 6): the default run at most 1.2 s median. If the floor's median is above it,
no change to the harness can meet it on this machine, and the bench says so.
Run: python bench/default_breakdown.py [--rounds 7]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import Spread, arguments, header, interleave, print_row, python_code, run_child  # noqa: E402

GOAL = 1.2


def child(folder: Path, evidence: bool) -> dict[str, float]:
    """One run; its run folder is kept until the bench ends (see bench/README: deleting a run
    folder between rounds makes the next rounds' file creation up to three times dearer)."""
    out = folder / ("on.json" if evidence else "off.json")
    reports = tempfile.mkdtemp(prefix="run-", dir=folder)
    argv = [sys.executable, "-m", "bench._breakdown_child", str(out), reports]
    argv += [] if evidence else ["--evidence-off"]
    measured = run_child(argv)
    parts: dict[str, float] = json.loads(out.read_text(encoding="utf-8"))
    parts["wall"] = measured.wall
    return parts


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    header("where the default run's time goes (in-process reference, every bundled suite)", args.rounds)
    with tempfile.TemporaryDirectory(prefix="bench-breakdown-") as tmp:
        folder = Path(tmp)
        results = interleave(
            args.rounds,
            [
                ("interpreter", lambda: {"wall": python_code("pass").wall}),
                ("evidence on", lambda: child(folder, True)),
                ("evidence off", lambda: child(folder, False)),
            ],
        )
    start = [r["wall"] for r in results["interpreter"]]
    on, off = results["evidence on"], results["evidence off"]

    def row(name: str, values: list[float]) -> None:
        print_row(name, Spread.of(values).show(" s"), width=62)

    print("evidence on, seconds (wall includes the interpreter's start)")
    row("wall", [r["wall"] for r in on])
    row("  interpreter start (python -c pass)", start)
    row("  third-party imports", [r["third_party_imports"] for r in on])
    row("  the harness's own imports", [r["own_imports"] for r in on])
    row("  session (run_pytest)", [r["session"] for r in on])
    row("    the bank and its in-process transport", [r["bank"] for r in on])
    row("      of which the bank's ASGI app", [r["bank_app"] for r in on])
    row("    httpx, without the bank", [r["httpx"] for r in on])
    row("    allure-pytest: allure.attach", [r["allure_attach"] for r in on])
    row("      of which writing the attachment files", [r["allure_attachments"] for r in on])
    row("    allure-pytest: allure.step", [r["allure_steps"] for r in on])
    row("    allure-pytest: serialising and writing result files", [r["allure_results"] for r in on])
    paid = ("third_party_imports", "bank", "httpx", "allure_attach", "allure_steps", "allure_results")
    floor = [s + sum(r[part] for part in paid) for s, r in zip(start, on, strict=True)]
    own = [r["wall"] - f for r, f in zip(on, floor, strict=True)]
    print()
    row("floor (start, third-party imports, bank, httpx, allure-pytest)", floor)
    bare = [f - (r["bank"] - r["bank_app"]) for f, r in zip(floor, on, strict=True)]
    row("  the floor without the in-process transport (the bank's app alone)", bare)
    row("the harness's own (wall - floor)", own)
    over = Spread.of([r["wall"] / f for r, f in zip(on, floor, strict=True)])
    print_row("wall / floor", over.show("x", digits=2), width=62)
    print()
    print("evidence off, seconds")
    row("wall", [r["wall"] for r in off])
    off_floor = [s + r["third_party_imports"] + r["bank"] + r["httpx"] for s, r in zip(start, off, strict=True)]
    row("floor (start, third-party imports, bank, httpx)", off_floor)
    print()
    median_floor = Spread.of(floor).median
    met = Spread.of([r["wall"] for r in on]).median <= GOAL
    print_row(f"default run <= {GOAL} s", "met" if met else "MISSED", width=62)
    if median_floor > GOAL:
        print(f"  the floor alone is {median_floor:.2f} s: above the goal, on this machine, for any harness")


if __name__ == "__main__":
    main()
