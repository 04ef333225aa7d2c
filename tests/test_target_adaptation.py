"""A bank described by its target file alone: fixture facts mapped by pointer, constant and
`${env:...}`, per-family maps, fixed test users, and a preflight that stops a run at once.

`renamed_bank` wraps the reference bank so that its stepup sandbox names every fact of a
new PSU otherwise (and leaves two out); only the target file says where the facts are.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from harness.cli import run_pytest
from harness.reference import create_app
from harness.target import load_target


def _rename(psu: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": psu["psuId"],
        "credentials": {"key": psu["apiKey"], "secret": psu["password"]},
        "contact": {"mail": psu["email"], "mobile": psu["phone"]},
        "enrolledChannels": psu["channels"],
        "products": [{"accountId": a["id"], "history": a["transactions"]} for a in psu["accounts"]],
    }  # no unenrolled channel, no payee: the target gives them as a constant and by ${env:...}


def renamed_bank(defects: Any = ()) -> Any:
    bank = create_app(defects)

    async def app(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/stepup/__sandbox/psus":
            return await bank(scope, receive, send)
        start: dict = {}

        async def rewrite(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return None
            body = json.dumps(_rename(json.loads(message["body"]))).encode()
            headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
            await send({**start, "headers": headers + [(b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return None

        await bank(scope, receive, rewrite)

    return app


TARGET = """\
name: renamed
app: tests.test_target_adaptation:renamed_bank
factory: true
families:
  stepup:
    base_path: /stepup
    psu:
      psu_id: /id
      api_key: /credentials/key
      password: /credentials/secret
      email: /contact/mail
      phone: /contact/mobile
      enrolled_channel: /enrolledChannels/0
      unenrolled_channel: AUTHY
      payee_iban: ${env:RENAMED_PAYEE_IBAN}
      accounts: {at: /products, id: /accountId, oldest_booking_date: /history/0/bookingDate}
clock: per-psu
otp: sandbox
"""

SUITE = """\
family: stepup
title: Facts read by name, wherever the bank keeps them
cases:
  - id: facts-by-pointer
    title: a PSU logs in with facts read through the target's pointers and reads its account
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
      - role: setup
        request: loginWithPassword
        headers: {api-key: "${psu.api_key}"}
        json: {email: "${psu.email}", password: "${psu.password}"}
        expect: {status: 200}
        capture: {token: /token}
      - request: getManagedAccountStatement
        path: {id: "${psu.accounts.0.id}"}
        headers: {api-key: "${psu.api_key}"}
        expect: {status: 401}
  - id: facts-by-constant-and-env
    title: the unenrolled channel (a constant) is refused; the payee (an env value) is the one the target gave
    requirements: [STP-9]
    severity: major
    steps:
      - sandbox: new_psu
      - role: setup
        request: loginWithPassword
        headers: {api-key: "${psu.api_key}"}
        json: {email: "${psu.email}", password: "${psu.password}"}
        expect: {status: 200}
        capture: {token: /token}
      - request: issueStepupOtpChallenge
        path: {channel: "${psu.unenrolled_channel}"}
        headers: {api-key: "${psu.api_key}"}
        bearer: ${token}
        expect: {status: 409, json: {/errorCode: CHANNEL_NOT_REGISTERED}}
      - role: setup
        method: POST
        url: /outgoing_wire_transfers
        headers: {api-key: "${psu.api_key}"}
        bearer: ${token}
        json: {sourceAccountId: "${psu.accounts.0.id}", iban: "${psu.payee_iban}", amount: "1.00"}
        expect: {status: 2xx}
"""


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("RENAMED_PAYEE_IBAN", "DE89370400440532013000")
    target, suite = tmp_path / "renamed.yaml", tmp_path / "facts.yaml"
    target.write_text(TARGET, encoding="utf-8")
    suite.write_text(SUITE, encoding="utf-8")
    return target, suite


def _summary(report_dir: Path) -> dict[str, Any]:
    return json.loads(next(report_dir.glob("*/summary.json")).read_text())


def test_facts_mapped_by_pointer_constant_and_env(files: tuple[Path, Path], tmp_path: Path) -> None:
    target, suite = files
    code = run_pytest([str(suite)], target_name=str(target), report_dir=str(tmp_path / "r"), allure=False)
    assert code == 0, _summary(tmp_path / "r")["cases"]


def test_without_the_mapping_the_facts_do_not_resolve_and_the_case_is_broken(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    target, suite = files
    plain = tmp_path / "plain.yaml"
    plain.write_text(TARGET.split("    psu:")[0] + "clock: per-psu\notp: sandbox\n", encoding="utf-8")
    run_pytest([str(suite)], target_name=str(plain), report_dir=str(tmp_path / "r"), allure=False)
    cases = {c["id"]: c for c in _summary(tmp_path / "r")["cases"]}
    assert {c["verdict"] for c in cases.values()} == {"broken"}
    reason = cases["facts-by-pointer"]["reason"]
    assert "precondition not met" in reason and "no psu_id (pointer tried: /psuId)" in reason, reason
    assert "map psu_id under psu:" in reason


def test_a_fact_that_does_not_resolve_stops_the_run_before_it_starts(files: tuple[Path, Path], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from harness.cli import main

    target, suite = files
    broken = tmp_path / "broken.yaml"
    broken.write_text(TARGET.replace("api_key: /credentials/key", "api_key: /credentials/apiKey"), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["run", "--allow-app", "--target", str(broken), "--report-dir", str(tmp_path / "r"), str(suite)]
    )
    assert result.exit_code == 2, result.output
    assert "fact api_key does not resolve at /credentials/apiKey" in result.output
    assert "facts-by-pointer" in result.output and "likely /credentials/key" in result.output, result.output
    assert not (tmp_path / "r").exists() or not list((tmp_path / "r").glob("*/summary.json"))


def test_family_maps_win_over_the_top_level_ones(tmp_path: Path) -> None:
    target = tmp_path / "maps.yaml"
    target.write_text(
        """\
name: maps
base_url: https://bank.example
pointers: {/token: /data/token, /other: /x}
header_names: {api-key: X-Key}
families:
  stepup:
    pointers: {/token: /accessToken}
  workflow:
    header_names: {api-key: X-Workflow-Key}
""",
        encoding="utf-8",
    )
    loaded = load_target(target)
    stepup, workflow = loaded.families["stepup"], loaded.families["workflow"]
    assert stepup.pointer("/token") == "/accessToken" and stepup.pointer("/other") == "/x"
    assert workflow.pointer("/token") == "/data/token"
    assert stepup.header_names == {"api-key": "X-Key"} and workflow.header_names == {"api-key": "X-Workflow-Key"}


def test_a_closed_port_stops_after_one_message_in_under_a_second(tmp_path: Path, closed_port: int) -> None:
    import subprocess
    import sys

    target = tmp_path / "down.yaml"
    target.write_text(
        f"name: down\nfamily: stepup\nbase_url: http://127.0.0.1:{closed_port}/stepup\n"
        "sandbox: {path: /__sandbox}\nclock: per-psu\notp: sandbox\n",
        encoding="utf-8",
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--target", str(target), "--report-dir", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 3, done.stderr
    assert "does not answer" in done.stderr and "Connection refused" in done.stderr
    assert done.stderr.count("Connection refused") == 1 and "failed" not in done.stdout
    assert elapsed < 1.5, elapsed  # the process start included; the preflight itself takes milliseconds


@pytest.fixture
def closed_port() -> int:
    from tests.engine.conftest import free_port

    return free_port()
