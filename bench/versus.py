"""This checkout's default run against another checkout's: before and after a change.

`psd2-harness run` (every bundled suite, the in-process reference) is run from each tree in
turn, interleaved, with this virtualenv's interpreter: run from a tree's root, `python -m
harness` imports that tree's harness package (the current directory comes first on sys.path,
before the editable install's path). Wall time includes interpreter start; peak RSS is the
child's ru_maxrss.

Run: python bench/versus.py --tree PATH_TO_OTHER_CHECKOUT [--rounds 7]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import ROOT, Child, Spread, arguments, header, interleave, print_row, ratio, run_child  # noqa: E402


def default_run(tree: Path, reports: Path) -> Child:
    return run_child([sys.executable, "-m", "harness", "run", "--report-dir", str(reports)], cwd=tree)


def main() -> None:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--tree", type=Path, required=True, help="the other checkout's root")

    args = arguments(__doc__.splitlines()[0], options)
    other = args.tree.resolve()
    if not (other / "harness" / "__init__.py").is_file():
        sys.exit(f"{other} holds no harness package")
    header(f"psd2-harness run: this tree ({ROOT}) against {other}", args.rounds)
    with tempfile.TemporaryDirectory(prefix="bench-versus-") as tmp:
        results = interleave(
            args.rounds,
            [
                ("other tree", lambda: default_run(other, Path(tmp) / "other")),
                ("this tree", lambda: default_run(ROOT, Path(tmp) / "this")),
            ],
        )
    wall = {name: [c.wall for c in children] for name, children in results.items()}
    for name, children in results.items():
        rss = Spread.of([c.peak_rss_mb for c in children]).show(" MB", digits=0)
        print_row(name, Spread.of(wall[name]).show(" s"), rss)
    print_row("this tree / other tree", ratio(wall["this tree"], wall["other tree"]).show("x", digits=2))


if __name__ == "__main__":
    main()
