"""Shared pieces of the CLI contract tests: a tiny stepup suite, target files, helpers.

Every test runs in its own temporary working directory (suite paths print relative to it),
and writes its report folders there.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from harness.cli import main

REPO = Path(__file__).resolve().parents[2]
REFERENCE_TARGET = REPO / "harness" / "targets" / "reference.yaml"
RUN_DIR_NAME = re.compile(r"^(\d{8}T\d{6}Z)-(.+)$")

TINY_SUITE = """\
family: stepup
title: CLI contract, a tiny suite
flows:
  login:
    args: [psu]
    steps:
      - request: loginWithPassword
        headers: {api-key: "${args.psu.api_key}"}
        json:
          email: ${args.psu.email}
          password: ${args.psu.password}
        expect: {status: 200}
        capture: {token: /token}
cases:
  - id: CLI-login
    title: A fresh PSU logs in and lists its accounts
    requirements: [STP-1]
    severity: critical
    steps:
      - sandbox: new_psu
      - flow: login
        with: {psu: "${psu}"}
      - request: listManagedAccounts
        headers: {api-key: "${psu.api_key}"}
        bearer: ${token}
        expect: {status: 200}
  - id: CLI-idle-above-limit
    title: A token idle one second past the limit is refused
    requirements: [STP-7]
    severity: critical
    steps:
      - sandbox: new_psu
      - flow: login
        with: {psu: "${psu}"}
      - advance: ["${regime.session_idle}", 1s]
      - request: listManagedAccounts
        headers: {api-key: "${psu.api_key}"}
        bearer: ${token}
        expect:
          status: 401
          schema: stepup.openapi.yaml#/components/schemas/Error
"""
TINY_CASES = ("CLI-idle-above-limit", "CLI-login")


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the n-th line containing `needle`."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} not in the text"
    return hits[occurrence - 1]


def free_port() -> int:
    """A localhost port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_dirs(report_dir: Path) -> list[Path]:
    return sorted(p for p in report_dir.iterdir() if p.is_dir() and RUN_DIR_NAME.match(p.name))


def only_run_dir(report_dir: Path) -> Path:
    found = run_dirs(report_dir)
    assert len(found) == 1, found
    return found[0]


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def verdicts(run_dir: Path) -> dict[str, str]:
    return {c["id"]: c["verdict"] for c in load_json(run_dir / "summary.json")["cases"]}


def assert_clean_usage_error(result: Result) -> str:
    """Exit 2, no traceback, no escaped exception; returns the output."""
    output = result.output
    assert result.exit_code == 2, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    return output


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def harness_subprocess(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -m harness ARGS` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def tiny_suite(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_SUITE, encoding="utf-8")
    return path


@pytest.fixture
def no_sandbox_target(tmp_path: Path) -> Path:
    """The built-in reference target, with the sandbox plane switched off."""
    text = REFERENCE_TARGET.read_text(encoding="utf-8")
    changed = re.sub(r"(?m)^sandbox:.*$", "sandbox: none", text)
    assert changed != text and "sandbox: none" in changed
    path = tmp_path / "nosandbox.yaml"
    path.write_text(changed, encoding="utf-8")
    return path


@pytest.fixture
def closed_port_target(tmp_path: Path) -> Path:
    """A bank over HTTP at a port where nothing listens (it says it has a sandbox and a clock)."""
    path = tmp_path / "closed.yaml"
    path.write_text(
        f"""\
name: closedbank
family: stepup
base_url: http://127.0.0.1:{free_port()}
sandbox: {{path: /__sandbox}}
clock: per-psu
otp: sandbox
timeouts: {{connect: 2, read: 2}}
""",
        encoding="utf-8",
    )
    return path
