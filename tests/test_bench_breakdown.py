"""The breakdown bench measures what it names: every part it quotes was really timed.

`bench/default_breakdown.py` sums parts timed inside a default run into the floor the README
quotes. If allure-pytest or httpx renamed a function the child wraps, the child must fail
loudly, not report a floor of zero; if a wrapper stopped being called (a hook no longer found
by allure's plugin manager), its part would read 0 and the floor would shrink. Both are
checked on one real run (about 3 s).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_part_of_the_floor_is_timed(tmp_path: Path) -> None:
    out = tmp_path / "parts.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench._breakdown_child", str(out), str(tmp_path / "reports")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    parts = json.loads(out.read_text(encoding="utf-8"))
    for name in (
        "third_party_imports",
        "bank",
        "bank_app",
        "httpx",
        "allure_attach",
        "allure_attachments",
        "allure_steps",
    ):
        assert parts[name] > 0, f"{name} was not timed: {parts}"
    assert parts["allure_results"] > 0, parts
    assert parts["allure_attachments"] <= parts["allure_attach"], "the files are part of allure.attach"
    assert parts["bank_app"] <= parts["bank"], "the bank's app runs inside the transport"
    floor_in_session = sum(parts[p] for p in ("bank", "httpx", "allure_attach", "allure_steps", "allure_results"))
    assert floor_in_session < parts["session"], parts
    runs = list((tmp_path / "reports").iterdir())
    assert len(runs) == 1 and (runs[0] / "summary.json").is_file(), "the run folder is kept where it was asked"
