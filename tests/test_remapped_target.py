"""A bank that wires the contract differently: the bundled stepup suites still run, only
the target file changes. Proves operation, header-name and JSON-pointer remaps end to end.

`dialect_app` wraps the reference bank in another dialect: other paths and methods,
`X-Api-Key` instead of `api-key`, and the login token under `/session/accessToken`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from harness.cli import run_pytest
from harness.paths import suites_dir
from harness.reference import create_app

# the dialect's (method, path) -> the reference's (method, path)
_ROUTES = [
    ("POST", r"/v2/auth/password-login", "POST", "/stepup/login_with_password"),
    ("DELETE", r"/v2/auth/session", "POST", "/stepup/logout"),
    ("POST", r"/v2/step-up/([^/]+)/challenge", "POST", r"/stepup/stepup/challenges/otp/\1"),
    ("POST", r"/v2/step-up/([^/]+)/challenge/verify", "POST", r"/stepup/stepup/challenges/otp/\1/verify"),
    ("GET", r"/v2/accounts", "GET", "/stepup/managed_accounts"),
    ("GET", r"/v2/accounts/([^/]+)/statement", "GET", r"/stepup/managed_accounts/\1/statement"),
    ("POST", r"/v2/transfers", "POST", "/stepup/outgoing_wire_transfers"),
    ("GET", r"/v2/transfers/([^/]+)", "GET", r"/stepup/outgoing_wire_transfers/\1"),
    ("POST", r"/v2/transfers/([^/]+)/sca/([^/]+)", "POST", r"/stepup/outgoing_wire_transfers/\1/challenges/otp/\2"),
    (
        "POST",
        r"/v2/transfers/([^/]+)/sca/([^/]+)/verify",
        "POST",
        r"/stepup/outgoing_wire_transfers/\1/challenges/otp/\2/verify",
    ),
    (None, r"/v2/sandbox(/.*)", None, r"/stepup/__sandbox\1"),
]

TARGET = """name: dialect-bank
family: stepup
app: tests.test_remapped_target:dialect_app
factory: true
operations:
  loginWithPassword: {method: POST, path: /v2/auth/password-login}
  logout: {method: DELETE, path: /v2/auth/session}
  issueStepupOtpChallenge: {path: "/v2/step-up/{channel}/challenge"}
  verifyStepupOtpChallenge: {path: "/v2/step-up/{channel}/challenge/verify"}
  listManagedAccounts: {path: /v2/accounts}
  getManagedAccountStatement: {path: "/v2/accounts/{id}/statement"}
  createOutgoingWireTransfer: {path: /v2/transfers}
  getOutgoingWireTransfer: {path: "/v2/transfers/{id}"}
  issueOutgoingWireTransferOtpChallenge: {path: "/v2/transfers/{id}/sca/{channel}"}
  verifyOutgoingWireTransferOtpChallenge: {path: "/v2/transfers/{id}/sca/{channel}/verify"}
header_names: {api-key: X-Api-Key}
pointers: {/token: /session/accessToken}
schemas:
  stepup.openapi.yaml#/components/schemas/LoginResponse: dialect-schemas.yaml#/LoginResponse
sandbox: {path: /v2/sandbox}
clock: per-psu
otp: sandbox
"""


DIALECT_SCHEMAS = """LoginResponse:
  type: object
  required: [session]
  properties:
    session:
      type: object
      required: [accessToken]
      properties: {accessToken: {type: string, minLength: 16}}
"""


def dialect_app(defects: Any = ()) -> Any:
    bank = create_app(defects)

    async def app(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await bank(scope, receive, send)
        method, path = scope["method"], scope["path"]
        for want_method, pattern, new_method, template in _ROUTES:
            match = re.fullmatch(pattern, path)
            if match and (want_method is None or want_method == method):
                method, path = new_method or method, match.expand(template)
                break
        else:
            path = "/nowhere" + path  # the reference's own paths do not exist in this dialect
        headers = [(b"api-key" if k == b"x-api-key" else k, v) for k, v in scope["headers"]]
        headers = [(k, v) for k, v in headers if k != b"api-key"] + [(k, v) for k, v in headers if k == b"api-key"]
        inner = {**scope, "method": method, "path": path, "raw_path": path.encode(), "headers": headers}
        login = path.endswith("/login_with_password")
        start: dict = {}

        async def rewrite(message: dict) -> None:
            if not login:
                return await send(message)
            if message["type"] == "http.response.start":
                start.update(message)
                return None
            body = message.get("body", b"")
            data = json.loads(body) if body else {}
            if start["status"] == 200 and "token" in data:
                body = json.dumps({"session": {"accessToken": data["token"]}}).encode()
            headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
            await send({**start, "headers": headers + [(b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return None

        await bank(inner, receive, rewrite)

    return app


def test_bundled_stepup_suites_pass_through_a_remapping_target(tmp_path: Path) -> None:
    target = tmp_path / "dialect.yaml"
    target.write_text(TARGET, encoding="utf-8")
    (tmp_path / "dialect-schemas.yaml").write_text(DIALECT_SCHEMAS, encoding="utf-8")
    code = run_pytest([str(suites_dir() / "stepup")], target_name=str(target), report_dir=str(tmp_path), allure=False)
    summary = json.loads(next(tmp_path.glob("*-dialect/summary.json")).read_text())
    assert code == 0, [c for c in summary["cases"] if c["verdict"] != "passed"]
    assert summary["counts"]["passed"] >= 20


def test_without_the_remaps_the_same_bank_is_broken_or_failing(tmp_path: Path) -> None:
    """The control: the remaps are what makes the dialect bank testable."""
    target = tmp_path / "plain.yaml"
    target.write_text(
        "\n".join(
            line
            for line in TARGET.replace("name: dialect-bank", "name: plain").splitlines()
            if not line.startswith(("  ", "operations", "header_names", "pointers", "schemas"))
        )
        + "\n",
        encoding="utf-8",
    )
    code = run_pytest(
        [str(suites_dir() / "stepup" / "session.yaml")], target_name=str(target), report_dir=str(tmp_path), allure=False
    )
    assert code in (1, 3)


def test_the_example_target_file_of_the_readme_is_valid(monkeypatch: Any) -> None:  # noqa: D103
    from click.testing import CliRunner

    from harness.cli import main

    example = Path(__file__).resolve().parent.parent / "examples" / "mybank-stepup.yaml"
    monkeypatch.setenv("MYBANK_API_KEY", "example-key-123456")
    monkeypatch.setenv("MYBANK_QWAC_CERT", str(example))  # any readable file stands in for the PEM here
    monkeypatch.setenv("MYBANK_QWAC_KEY", str(example))
    result = CliRunner().invoke(main, ["validate", str(example)])
    assert result.exit_code == 0, result.output
    monkeypatch.delenv("MYBANK_API_KEY")
    result = CliRunner().invoke(main, ["validate", str(example)])
    assert result.exit_code == 2 and "MYBANK_API_KEY is not set" in result.output
