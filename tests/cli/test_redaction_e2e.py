"""No secret reaches the report folder or the terminal: a run proves it by scanning.

The run sends a known secret (the target's `${env:...}` api-key header) in a header, a query
string, a form field and a JSON body; the echo app mints a random token, answers it in
JSON, and echoes it later in a body, a response header and a redirect `Location` URL (path
and query). One case fails, so the finding, junit.xml and the summaries carry the echoed
values too. Then every byte of every file under the report folder is scanned for either
secret, raw and URL-encoded.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote_to_bytes

import pytest

from harness.cli import run_pytest
from harness.redaction import MASK
from tests.cli import echo_app
from tests.cli.conftest import only_run_dir, verdicts

ENV = "PSD2_HARNESS_TEST_ECHO_KEY"

TARGET = f"""\
name: echo
description: the echo app of the redaction tests, in process
app: tests.cli.echo_app:app
family: stepup
headers:
  api-key: ${{env:{ENV}}}
sandbox: none
clock: none
otp: none
"""

SUITE = f"""\
family: stepup
title: Secrets travel everywhere and are written nowhere
cases:
  - id: ECHO-passes
    title: the secret in a query, a form and a JSON body; a minted token echoed back
    requirements: [STP-1]
    severity: critical
    steps:
      - method: POST
        url: /mint
        expect: {{status: 200}}
        capture: {{minted: /token}}
      - method: GET
        url: /echo
        query: {{q: "${{env:{ENV}}}", page: 1}}
        expect: {{status: 200, present: [/echo]}}
      - method: POST
        url: /echo
        form: {{note: "${{env:{ENV}}}", keep: plain}}
        expect: {{status: 200}}
      - method: POST
        url: /echo
        json: {{memo: "${{env:{ENV}}}", ref: "${{minted}}"}}
        expect: {{status: 200}}
      - method: GET
        url: /redirect
        expect: {{status: 302, headers_present: [Location]}}
        capture: {{back: {{location_query: ref}}}}
  - id: ECHO-fails
    title: a failing expectation whose finding would show both secrets
    requirements: [STP-1]
    severity: critical
    steps:
      - method: POST
        url: /mint
        expect: {{status: 200}}
      - method: GET
        url: /echo
        query: {{q: "${{env:{ENV}}}"}}
        expect:
          status: 418
          json: {{/echo: "not the token", /seen/query/q: "not the secret", /note: "nothing"}}
          headers: {{X-Echo-Ref: "something else"}}
"""


def _forms(value: str) -> set[bytes]:
    """The value as it could appear in a file: raw, URL-encoded (both cases), JSON-escaped."""
    texts = {value, quote(value, safe=""), quote_plus(value, safe=""), quote(value), json.dumps(value)[1:-1]}
    for text in list(texts):
        if "%" in text:
            texts.add(text.replace("%2B", "%2b").replace("%2F", "%2f").replace("%3D", "%3d"))
    return {t.encode() for t in texts}


def _views(data: bytes) -> list[bytes]:
    """The bytes of a file, and the same bytes percent-decoded and JSON-unescaped: a value
    encoded in any mix of forms (`tk%2Fab+cd` for `tk/ab+cd`) shows up raw in one of them."""
    return [data, unquote_to_bytes(data), data.replace(b"\\/", b"/"), unquote_to_bytes(data.replace(b"\\/", b"/"))]


def _leaks(folder: Path, values: dict[str, str]) -> list[str]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        views = _views(data)
        for label, value in values.items():
            hits = [form for form in _forms(value) if form in data]
            hits += [b"(decoded) " + value.encode()] if any(value.encode() in v for v in views[1:]) else []
            found += [f"{path.relative_to(folder)}: {label} as {form[:20]!r}..." for form in hits]
    return found


@pytest.fixture
def echo_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]):
    secret = "sk+" + secrets.token_hex(12) + "/Z="
    monkeypatch.setenv(ENV, secret)
    (tmp_path / "echo.yaml").write_text(TARGET, encoding="utf-8")
    (tmp_path / "secrets_suite.yaml").write_text(SUITE, encoding="utf-8")
    echo_app.reset()
    code = run_pytest(
        [str(tmp_path / "secrets_suite.yaml")],
        target_name=str(tmp_path / "echo.yaml"),
        report_dir=str(tmp_path / "reports"),
        verbose=True,
    )
    out, err = capfd.readouterr()
    run_dir = only_run_dir(tmp_path / "reports")
    return code, run_dir, secret, list(echo_app.MINTED), list(echo_app.SEEN), out + err


def test_no_secret_in_any_file_of_the_report_folder(echo_run) -> None:
    code, run_dir, secret, minted, seen, _ = echo_run
    # the secrets really travelled: the app got the known secret four ways and minted tokens
    assert code == 1
    assert verdicts(run_dir) == {"ECHO-passes": "passed", "ECHO-fails": "failed"}
    assert len(minted) == 2 and all("+" in t and "/" in t for t in minted)
    assert any(s["api_key"] == secret for s in seen)
    assert any(s["query"].get("q") == secret for s in seen)
    assert any((s["form"] or {}).get("note") == secret for s in seen)
    assert any((s["json"] or {}).get("memo") == secret and (s["json"] or {}).get("ref") == minted[0] for s in seen)
    # the evidence is there, redacted: the allure results hold the exchanges and the finding
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"junit.xml", "summary.json", "summary.md", "manifest.json"} <= names
    allure_text = "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in (run_dir / "allure-results").iterdir()
    )
    assert "/redirect" in allure_text and "/echo" in allure_text and "tpp.example/callback" in allure_text
    assert MASK in allure_text
    junit = (run_dir / "junit.xml").read_text(encoding="utf-8")
    assert "ECHO-fails" in junit and "status: expected 418, got 200" in junit
    assert MASK in junit, "the finding in junit.xml shows where the echoed values were masked"
    # and no byte of either secret anywhere
    values = {"known secret": secret, **{f"minted token {i}": t for i, t in enumerate(minted)}}
    assert _leaks(run_dir, values) == []


def test_no_secret_in_the_terminal_output(echo_run) -> None:
    code, run_dir, secret, minted, _, output = echo_run
    assert code == 1
    assert "ECHO-fails" in output and "expected 418, got 200" in output, output
    assert MASK in output
    views = [v.decode("utf-8", "replace") for v in _views(output.encode())]
    for value in [secret, *minted]:
        for form in _forms(value):
            assert form.decode() not in output
        assert not any(value in view for view in views)


def test_the_scan_finds_a_planted_secret(echo_run) -> None:
    """The scanner itself can fail: a secret written into the folder is found, in every form."""
    _, run_dir, secret, minted, _, _ = echo_run
    (run_dir / "planted.bin").write_bytes(b"\x00\xff" + quote(minted[0], safe="").encode() + b"\x00")
    (run_dir / "allure-results" / "planted.txt").write_text(f"x={quote_plus(secret)}", encoding="utf-8")
    mixed = minted[1].replace("/", "%2F")  # half encoded: no single form, found decoded
    (run_dir / "planted.json").write_text(json.dumps({"url": f"https://x/?a={mixed}"}), encoding="utf-8")
    leaks = _leaks(run_dir, {"known secret": secret, "minted token": minted[0], "other token": minted[1]})
    assert any(leak.startswith("planted.bin: minted token") for leak in leaks)
    assert any(leak.startswith("allure-results/planted.txt: known secret") for leak in leaks)
    assert any(leak.startswith("planted.json: other token") for leak in leaks)
