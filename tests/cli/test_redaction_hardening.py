"""Secrets that used to slip past redaction: short ones, upper-case codes under secret keys,
values below a secret parent, and a token straddling the 64 KiB cut of a text body. Each is
planted; the run folder is scanned byte by byte and the canary stays quiet."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from harness.cli import run_pytest
from harness.evidence import BODY_LIMIT

ENV = "PSD2_HARNESS_TEST_SHORT_KEY"
SHORT = "q7Zk2"  # five characters: once never registered, so it stood raw everywhere
UPPER = "AUTHC0DE9X7"
NESTED = "n3sted-" + "v" * 6
MINTED = "tok-" + secrets.token_hex(8)


async def _mint(request: Request) -> JSONResponse:
    return JSONResponse({"token": MINTED, "grant": {"code": UPPER}, "credentials": {"key": NESTED}})


async def _echo(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"short {SHORT}; upper {UPPER}; nested {NESTED}")


async def _big(request: Request) -> PlainTextResponse:
    filler = "x" * (BODY_LIMIT - len(MINTED) // 2)  # the token straddles the cut
    return PlainTextResponse(filler + MINTED + " tail", status_code=500)


app = Starlette(routes=[Route("/mint", _mint, methods=["POST"]), Route("/echo", _echo), Route("/big", _big)])

TARGET = f"""\
name: planted
app: tests.cli.test_redaction_hardening:app
family: stepup
headers:
  x-client: ${{env:{ENV}}}
sandbox: none
clock: none
otp: none
"""

SUITE = """\
family: stepup
title: Planted secrets
cases:
  - id: planted-secrets
    title: a short env secret, an upper-case code, a nested key and a token past the cut
    requirements: [STP-1]
    severity: major
    steps:
      - method: POST
        url: /mint
        expect: {status: 200}
        capture: {minted: /token}
      - method: GET
        url: /echo
        expect: {status: 200}
      - method: GET
        url: /big
        expect: {status: 200}
"""


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ENV, SHORT)
    (tmp_path / "t.yaml").write_text(TARGET, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(SUITE, encoding="utf-8")
    code = run_pytest([str(tmp_path / "s.yaml")], target_name=str(tmp_path / "t.yaml"), report_dir=str(tmp_path / "r"))
    assert code == 1  # the /big step fails: the finding carries the body too
    return next((tmp_path / "r").iterdir())


def test_no_planted_secret_is_written_anywhere(run_dir: Path) -> None:
    import re

    leaks: list[str] = []
    for path in run_dir.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_text(encoding="utf-8", errors="replace")
        for name, value in (
            ("short", SHORT),
            ("upper", UPPER),
            ("nested", NESTED),
            ("minted", MINTED),
            ("minted head", MINTED[:12]),
        ):
            if re.search(rf"(?<![A-Za-z0-9]){re.escape(value)}", data):
                leaks.append(f"{name} in {path.relative_to(run_dir)}")
    assert not leaks, leaks
    summary: dict[str, Any] = json.loads((run_dir / "summary.json").read_text())
    assert not summary.get("leaks"), summary.get("leaks")
