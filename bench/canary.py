"""The canary and SHA256SUMS step alone (harness/integrity.py), on the default run's folder.

A default run (`psd2-harness run`) is made once, in a child whose redactor's secrets are kept
(the values `pytest_sessionfinish` hands the canary). Then, interleaved in this process:
- the baseline, the floor of any checksum: every file of the folder walked, read and hashed
  (os.scandir, os.read, hashlib.sha256), nothing else;
- `integrity.write_sums(run_dir)`: SHA256SUMS, as runfolder.write_outputs writes it;
- `integrity.leaks(run_dir, secrets)`: the redaction canary, as the plugin runs it.
The canary must find nothing in the clean folder, and a secret planted afterwards (checked once,
after the rounds).

Goal (issue item 6): canary + checksums at most 0.1 s.
Run: python bench/canary.py [--rounds 7]
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import Spread, arguments, header, interleave, print_row, python_code, ratio, verdict  # noqa: E402
from harness import integrity  # noqa: E402

CAPTURE = """
import json, sys
from harness import integrity
remember = integrity.remember_secrets
def keep(run_dir, values):
    values = frozenset(values)
    with open({out!r}, "w", encoding="utf-8") as fh:
        json.dump({{"run_dir": str(run_dir), "secrets": sorted(values)}}, fh)
    return remember(run_dir, values)
integrity.remember_secrets = keep
from harness.cli import main
sys.argv = ["psd2-harness", "run", "--report-dir", {reports!r}]
main()
"""


def floor(run_dir: Path) -> int:
    """Walk, read and hash every file: what any checksum of the folder costs at least."""
    size, stack = 0, [str(run_dir)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                    continue
                fd = os.open(entry.path, os.O_RDONLY)
                try:
                    data = os.read(fd, os.fstat(fd).st_size + 1)
                finally:
                    os.close(fd)
                hashlib.sha256(data).hexdigest()
                size += len(data)
    return size


def timed(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    header("canary + SHA256SUMS on the default run's folder", args.rounds)
    with tempfile.TemporaryDirectory(prefix="bench-canary-") as tmp:
        out = Path(tmp) / "secrets.json"
        python_code(CAPTURE.format(out=str(out), reports=str(Path(tmp) / "reports")))
        kept = json.loads(out.read_text(encoding="utf-8"))
        run_dir, secrets = Path(kept["run_dir"]), kept["secrets"]
        files = len(integrity.artifacts(run_dir))
        print(f"  {files} files, {floor(run_dir) / 1e6:.1f} MB, {len(secrets)} registered secrets\n")
        hits: list[list[str]] = []
        results = interleave(
            args.rounds,
            [
                ("floor: walk, read, hash every file", lambda: timed(lambda: floor(run_dir))),
                ("write_sums", lambda: timed(lambda: integrity.write_sums(run_dir))),
                ("leaks (the canary)", lambda: timed(lambda: hits.append(integrity.leaks(run_dir, secrets)))),
            ],
        )
        assert all(h == [] for h in hits), f"the canary found a secret in a clean run: {hits[0]}"
        planted = run_dir / "allure-results" / "planted.txt"
        planted.write_text(f"evidence {secrets[len(secrets) // 2]} here", encoding="utf-8")
        found = integrity.leaks(run_dir, secrets)
        assert found == ["allure-results/planted.txt"], found
    both = [a + b for a, b in zip(results["write_sums"], results["leaks (the canary)"], strict=True)]
    for name, values in results.items():
        print_row(name, Spread.of(values).show(" ms", 1e3, digits=1))
    print_row("write_sums + leaks", Spread.of(both).show(" ms", 1e3, digits=1), verdict(Spread.of(both).median, 0.1))
    print_row(
        "(write_sums + leaks) / floor", ratio(both, results["floor: walk, read, hash every file"]).show("x", digits=2)
    )
    print_row("canary check: clean folder, planted secret", f"nothing found; found {found[0]}")


if __name__ == "__main__":
    main()
