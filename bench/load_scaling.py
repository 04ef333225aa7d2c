"""Suite load time against the number of cases: linear, and what a case costs.

Suites of 50, 100, 200 and 400 cases are generated from one bundled suite (its cases repeated
under new ids, with its parameters and flows), and each is loaded as a run loads it
(yamlsource.load_document, then loader.build_suite: YAML, JSON Schema, the model and every
check of it; the family's flow library is loaded once per process, as in a run). Interleaved
with each, the baseline: the same file composed by libyaml alone (yaml.compose, CSafeLoader,
the cyclic collector paused), the least any loader must do. Also the bundled suites as `psd2-harness run` loads them
(load_suites, with the loader's per-process caches emptied before each round).

Linear: the cost per case is the same at every size (the last line: per case at the largest
size over per case at the smallest).
Run: python bench/load_scaling.py [--rounds 7] [--suite suites/workflow/onboarding.yaml]
"""

from __future__ import annotations

import argparse
import copy
import gc
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml  # noqa: E402

from bench._support import ROOT, Spread, arguments, header, interleave, print_row, ratio  # noqa: E402
from harness import loader  # noqa: E402
from harness.paths import suites_dir  # noqa: E402
from harness.yamlsource import load_document  # noqa: E402

SIZES = (50, 100, 200, 400)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def generate(source: Path, cases: int, folder: Path) -> Path:
    data: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
    originals = data["cases"]
    data["cases"] = []
    for n in range(cases):
        case = copy.deepcopy(originals[n % len(originals)])
        case["id"] = f"{case['id']}-g{n:04d}"
        data["cases"].append(case)
    path = folder / f"generated-{cases}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8")
    return path


def timed_load(path: Path) -> float:
    started = time.perf_counter()
    suite = loader.build_suite(load_document(path))
    elapsed = time.perf_counter() - started
    assert suite.cases
    return elapsed


def timed_compose(path: Path) -> float:
    """libyaml's compose alone, the cyclic collector paused as yamlsource pauses it."""
    gc.disable()
    try:
        started = time.perf_counter()
        yaml.compose(path.read_text(encoding="utf-8"), Loader=_LOADER)
        return time.perf_counter() - started
    finally:
        gc.enable()


def bundled() -> float:
    loader._LOADED.clear()  # the bench's own reach into the loader: a fresh load each round
    loader._LIBRARIES.clear()
    started = time.perf_counter()
    suites = loader.load_suites([suites_dir()])
    elapsed = time.perf_counter() - started
    assert suites
    return elapsed


def main() -> None:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--suite", type=Path, default=ROOT / "suites" / "workflow" / "onboarding.yaml")

    args = arguments(__doc__.splitlines()[0], options)
    header(f"suite load time against cases (generated from {args.suite.name})", args.rounds)
    cases_bundled = sum(len(s.cases) for s in loader.load_suites([suites_dir()]))
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        files = {n: generate(args.suite, n, Path(tmp)) for n in SIZES}
        variants = []
        for n in SIZES:
            variants += [
                (f"compose|{n}", lambda p=files[n]: timed_compose(p)),
                (f"load|{n}", lambda p=files[n]: timed_load(p)),
            ]
        variants.append(("bundled", bundled))
        results = interleave(args.rounds, variants)
    print("per case, ms: the load, the libyaml baseline, and their ratio")
    per_case = {}
    for n in SIZES:
        per_case[n] = [t / n for t in results[f"load|{n}"]]
        compose = [t / n for t in results[f"compose|{n}"]]
        print_row(
            f"{n} cases",
            Spread.of(per_case[n]).show(" ms", 1e3),
            "compose " + Spread.of(compose).show(" ms", 1e3),
            "load/compose " + ratio(per_case[n], compose).show("x", digits=1),
            width=12,
        )
    total = Spread.of(results["bundled"])
    print_row(
        f"bundled suites ({cases_bundled} cases)",
        total.show(" s"),
        "per case " + Spread.of([t / cases_bundled for t in results["bundled"]]).show(" ms", 1e3),
        width=12,
    )
    print()
    print_row(
        f"linearity: per case at {SIZES[-1]} / per case at {SIZES[0]}",
        ratio(per_case[SIZES[-1]], per_case[SIZES[0]]).show("x", digits=2),
        "(1.00 = linear)",
    )


if __name__ == "__main__":
    main()
