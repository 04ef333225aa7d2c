"""A bank without a sandbox plane, with fixed test users: cases that only read use one;
cases that need fresh PSUs (state they change, time they move) are not testable, saying why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli import run_pytest
from harness.reference import create_app

BANK = create_app()
"""The bank the target names (`app:`, not a factory): its users exist before the run."""
USER = BANK.state.banks["stepup"].create_psu()

SUITE = """\
family: stepup
title: Fixed test users
cases:
  - id: fixed-user-reads
    title: a fixed test user logs in and its token reads its accounts
    requirements: [STP-1]
    severity: major
    psu: any
    steps:
      - sandbox: new_psu
      - role: setup
        request: loginWithPassword
        headers: {api-key: "${psu.api_key}"}
        json: {email: "${psu.email}", password: "${psu.password}"}
        expect: {status: 200}
        capture: {token: /token}
      - request: listManagedAccounts
        headers: {api-key: "${psu.api_key}"}
        bearer: ${token}
        expect: {status: 200}
  - id: fresh-psu-needed
    title: a case that changes its PSU needs one of its own
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
      - request: logout
        headers: {api-key: "${psu.api_key}"}
        expect: {status: 401}
  - id: two-users-needed
    title: a read-only case needing two PSUs, with one test user listed
    requirements: [STP-1]
    severity: major
    psu: any
    steps:
      - sandbox: new_psu
      - sandbox: new_psu
        as: other
      - request: listManagedAccounts
        headers: {api-key: "${other.api_key}"}
        expect: {status: 401}
"""


def _target(tmp_path: Path) -> Path:
    target = tmp_path / "fixed.yaml"
    target.write_text(
        f"""\
name: fixed
app: tests.test_fixed_users:BANK
families:
  stepup:
    base_path: /stepup
    sandbox: none
    test_psus:
      - email: {USER["email"]}
        password: ${{env:FIXED_USER_PASSWORD}}
        api_key: ${{env:FIXED_USER_API_KEY}}
        accounts: [{{id: {USER["accounts"][0]["id"]}}}]
clock: none
otp: none
""",
        encoding="utf-8",
    )
    return target


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIXED_USER_PASSWORD", USER["password"])
    monkeypatch.setenv("FIXED_USER_API_KEY", USER["apiKey"])


def test_read_only_cases_pass_with_a_fixed_user_and_the_rest_are_not_testable(tmp_path: Path) -> None:
    suite = tmp_path / "fixed_users.yaml"
    suite.write_text(SUITE, encoding="utf-8")
    code = run_pytest([str(suite)], target_name=str(_target(tmp_path)), report_dir=str(tmp_path / "r"), allure=False)
    summary: dict[str, Any] = json.loads(next((tmp_path / "r").glob("*/summary.json")).read_text())
    cases = {c["id"]: c for c in summary["cases"]}
    assert {k: c["verdict"] for k, c in cases.items()} == {
        "fixed-user-reads": "passed",
        "fresh-psu-needed": "not testable",
        "two-users-needed": "not testable",
    }
    assert "needs fresh PSUs of its own" in cases["fresh-psu-needed"]["reason"]
    assert "1 fixed test user(s) serve only cases that leave a PSU unchanged" in cases["fresh-psu-needed"]["reason"]
    assert "needs 2 PSUs" in cases["two-users-needed"]["reason"]
    assert code == 4


def test_an_inline_credential_of_a_test_user_is_refused(tmp_path: Path) -> None:
    from harness.errors import ConfigErrors
    from harness.target import load_target

    target = _target(tmp_path)
    target.write_text(target.read_text().replace("${env:FIXED_USER_PASSWORD}", "hunter22"), encoding="utf-8")
    with pytest.raises(ConfigErrors) as info:
        load_target(target)
    assert "fact 'password' of a test user is a credential; expected ${env:NAME}" in str(info.value)
    assert "fixed.yaml:9:" in str(info.value) and "hunter22" not in str(info.value)


def test_list_shows_which_cases_need_a_fresh_psu(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from harness.cli import main

    suite = tmp_path / "fixed_users.yaml"
    suite.write_text(SUITE, encoding="utf-8")
    out = CliRunner().invoke(main, ["list", str(suite)]).output
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert " psu " in rows["fixed-user-reads"] and " fresh_psu " in rows["fresh-psu-needed"], out
