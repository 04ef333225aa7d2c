"""Running suites of the tests' own against the fixture app (tests/engine/fixture_app.py).

`run_suite(suite_text, target=...)` writes the suite and a target file into the test's
tmp_path, runs them through `harness.cli.run_pytest` (a nested pytest session, as the
CLI does) and returns every case's verdict, reason and full failure text (from JUnit).
`live_app` serves a fresh fixture app with uvicorn on 127.0.0.1 (a free port, a thread)
for the over-a-socket runs; `closed_port` is a port nobody listens on.
"""

from __future__ import annotations

import json
import socket
import textwrap
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

FIXTURE_APP = "tests.engine.fixture_app:create_app"


def in_process_target(**overrides: Any) -> dict[str, Any]:
    """A target file's content for the fixture app in process; keys given replace defaults."""
    target: dict[str, Any] = {
        "name": "fixture",
        "family": "stepup",
        "app": FIXTURE_APP,
        "factory": True,
        "clock": "per-psu",
        "otp": "sandbox",
        "sandbox": {"path": "/__sandbox"},
    }
    target.update(overrides)
    return {k: v for k, v in target.items() if v is not None}


@dataclass
class CaseOutcome:
    verdict: str
    reason: str
    text: str
    """The whole failure (or skip) text pytest wrote to JUnit: the finding as a reader sees it."""


@dataclass
class RunOutcome:
    code: int
    run_dir: Path
    summary: dict[str, Any]
    cases: dict[str, CaseOutcome] = field(default_factory=dict)
    suite_file: Path | None = None

    def verdicts(self) -> dict[str, str]:
        return {case_id: c.verdict for case_id, c in self.cases.items()}

    def __getitem__(self, case_id: str) -> CaseOutcome:
        return self.cases[case_id]


def line_of(suite_file: Path, marker: str) -> int:
    """The 1-based line of the only line containing `marker` in the suite file."""
    hits = [n for n, line in enumerate(suite_file.read_text().splitlines(), start=1) if marker in line]
    assert len(hits) == 1, f"marker {marker!r} found on lines {hits}"
    return hits[0]


def _junit_texts(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        parts = [
            (child.text or child.get("message") or "") for child in case if child.tag in ("failure", "error", "skipped")
        ]
        out[case.get("name", "")] = "\n".join(parts)
    return out


def run_files(suite_paths: list[Path], target_file: Path, report_dir: Path, **kwargs: Any) -> RunOutcome:
    from harness.cli import run_pytest

    before = set(report_dir.iterdir()) if report_dir.exists() else set()
    code = run_pytest([str(p) for p in suite_paths], target_name=str(target_file), report_dir=str(report_dir), **kwargs)
    created = sorted(set(report_dir.iterdir()) - before)
    assert len(created) == 1, f"expected one run folder, found {created}"
    run_dir = created[0]
    summary_file = run_dir / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {"cases": []}
    texts = _junit_texts(run_dir / "junit.xml") if (run_dir / "junit.xml").exists() else {}
    cases = {c["id"]: CaseOutcome(c["verdict"], c["reason"], texts.get(c["id"], "")) for c in summary["cases"]}
    return RunOutcome(code=code, run_dir=run_dir, summary=summary, cases=cases)


def write_target(directory: Path, target: dict[str, Any], name: str = "target") -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(target, sort_keys=False), encoding="utf-8")
    return path


def run_suite_in(
    directory: Path, suite_text: str, target: dict[str, Any] | Path | None = None, *, name: str = "suite", **kwargs: Any
) -> RunOutcome:
    """Write the suite (and the target, unless a file is given) into `directory` and run them."""
    suite_file = directory / f"{name}.yaml"
    suite_file.write_text(textwrap.dedent(suite_text), encoding="utf-8")
    if isinstance(target, Path):
        target_file = target
    else:
        existing = len(list(directory.glob("target*.yaml")))
        target_file = write_target(directory, target or in_process_target(), name=f"target{existing}")
    kwargs.setdefault("allure", False)
    # the nested session's gc.collect() of the whole (outer) process costs ~0.15 s, and
    # unraisable exceptions say nothing about verdicts
    kwargs.setdefault("extra", ["-p", "no:unraisableexception"])
    outcome = run_files([suite_file], target_file, directory / "reports", **kwargs)
    outcome.suite_file = suite_file
    return outcome


@pytest.fixture
def run_suite(tmp_path: Path) -> Callable[..., RunOutcome]:
    """run_suite(suite_yaml, target={...} or a target file path, name="suite") -> RunOutcome."""

    def run(suite_text: str, target: dict[str, Any] | Path | None = None, **kwargs: Any) -> RunOutcome:
        return run_suite_in(tmp_path, suite_text, target, **kwargs)

    return run


# -- a real socket ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nobody listening (bound once, then released)."""
    return free_port()


@pytest.fixture(scope="module")
def live_app() -> Iterator[str]:
    """A fresh fixture app served by uvicorn on 127.0.0.1 in a thread; yields its base URL."""
    import uvicorn

    from tests.engine.fixture_app import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, name="fixture-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start the fixture app")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
