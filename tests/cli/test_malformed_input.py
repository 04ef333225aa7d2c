"""Malformed input is a usage error: exit 2, `file:line` and what is wrong, never a traceback.

Each malformation is checked through `psd2-harness validate`, `psd2-harness run` and a plain
`pytest SUITE --target ...` (where the collection error must read the same way).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import TINY_SUITE, assert_clean_usage_error, invoke, line_of

UNSET = "PSD2_HARNESS_TEST_SURELY_UNSET"

# name: (text replaced in the tiny suite, its replacement, a needle on the bad line, words of the message)
SUITE_ERRORS: dict[str, tuple[str, str, str, str]] = {
    "yaml-syntax": (
        "    severity: critical\n",
        "    severity: critical: oops\n",
        "critical: oops",
        "YAML syntax error",
    ),
    "unknown-key": (
        "    severity: critical\n",
        "    severity: critical\n    sevrity: major\n",
        "sevrity:",
        "unknown key",
    ),
    "wrong-type": ("requirements: [STP-1]", "requirements: STP-1", "requirements: STP-1", "wrong type"),
    "unknown-operation": (
        "request: listManagedAccounts",
        "request: listManagedAcounts",
        "listManagedAcounts",
        "unknown operationId",
    ),
    "unknown-requirement": ("[STP-1]", "[STP-999]", "STP-999", "unknown requirement ID"),
    "undefined-variable": ("bearer: ${token}", "bearer: ${tokn}", "${tokn}", "undefined variable"),
    "missing-env-var": (
        'headers: {api-key: "${psu.api_key}"}',
        'headers: {api-key: "${env:' + UNSET + '}"}',
        UNSET,
        f"environment variable {UNSET} is not set",
    ),
    "unknown-flow": ("- flow: login", "- flow: logon", "flow: logon", "unknown flow"),
    "bad-duration": (
        'advance: ["${regime.session_idle}", 1s]',
        'advance: ["${regime.session_idle}", 1 sec]',
        "1 sec",
        "bad duration",
    ),
}


def write_bad_suite(tmp_path: Path, name: str) -> tuple[Path, int, str]:
    old, new, needle, words = SUITE_ERRORS[name]
    assert old in TINY_SUITE
    text = TINY_SUITE.replace(old, new, 1)
    path = tmp_path / f"bad-{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path, line_of(text, needle), words


@pytest.fixture(autouse=True)
def _unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(UNSET, raising=False)


@pytest.mark.parametrize("name", list(SUITE_ERRORS))
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_suite_is_exit_2_with_file_and_line(command: str, name: str, tmp_path: Path) -> None:
    path, line, words = write_bad_suite(tmp_path, name)
    args = [command, path.name] if command == "validate" else [command, "--report-dir", "reports", path.name]
    output = assert_clean_usage_error(invoke(*args))
    assert f"{path.name}:{line}:" in output
    assert words in output
    assert not (tmp_path / "reports").exists(), "a run that cannot start writes no report"


def test_the_good_suite_validates(tmp_path: Path) -> None:
    """The control: the unmodified suite is valid, so each error above comes from its one change."""
    path = tmp_path / "good.yaml"
    path.write_text(TINY_SUITE, encoding="utf-8")
    result = invoke("validate", path.name)
    assert result.exit_code == 0, result.output
    assert "good.yaml: ok, suite with 2 case(s)" in result.output


def test_every_error_of_several_files_is_reported_at_once(tmp_path: Path) -> None:
    paths = [write_bad_suite(tmp_path, name) for name in ("unknown-key", "unknown-flow", "bad-duration")]
    output = assert_clean_usage_error(invoke("validate", *(str(p.name) for p, _, _ in paths)))
    for path, line, words in paths:
        assert f"{path.name}:{line}:" in output and words in output


def test_plain_pytest_collection_errors_name_file_and_line(tmp_path: Path) -> None:
    bad = [write_bad_suite(tmp_path, name) for name in SUITE_ERRORS]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--target",
            "reference",
            *(p.name for p, _, _ in bad),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output
    assert "Traceback" not in output and "INTERNALERROR" not in output
    for path, line, words in bad:
        assert f"{path.name}:{line}:" in output, (path.name, output)
        assert words in output


# -- target files ------------------------------------------------------------------------

TARGET_ENV = f"""\
name: envbank
family: stepup
base_url: https://bank.example/psd2
headers:
  api-key: ${{env:{UNSET}}}
"""


def _target_cases(tmp_path: Path) -> dict[str, tuple[str, str, str]]:
    """name: (target argument, expected location text, words of the message: for run|for validate)."""
    (tmp_path / "env.yaml").write_text(TARGET_ENV, encoding="utf-8")
    (tmp_path / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    (tmp_path / "folder.yaml").mkdir()
    (tmp_path / "typo.yaml").write_text(
        TARGET_ENV.replace(f"${{env:{UNSET}}}", "${env:HOME}") + "clokc: none\n", encoding="utf-8"
    )
    (tmp_path / "syntax.yaml").write_text("name: x\nfamily: [stepup\n", encoding="utf-8")
    (tmp_path / "badapp.yaml").write_text("name: x\nfamily: stepup\napp: nosuchmodule:app\n", encoding="utf-8")
    return {
        "missing-env-var": ("env.yaml", f"env.yaml:{line_of(TARGET_ENV, UNSET)}:", f"{UNSET} is not set"),
        "missing-file": ("nowhere.yaml", "nowhere.yaml", "file not found"),
        "not-utf8": ("latin1.yaml", "latin1.yaml", "cannot read file"),
        "a-folder": ("folder.yaml", "folder.yaml", "cannot read file|no YAML file found"),
        "unknown-key": ("typo.yaml", "typo.yaml:6:", "unknown key 'clokc'"),
        "yaml-syntax": ("syntax.yaml", "syntax.yaml:3:", "YAML syntax error"),
    }


TARGET_ERRORS = ["missing-env-var", "missing-file", "not-utf8", "a-folder", "unknown-key", "yaml-syntax"]


@pytest.mark.parametrize("name", TARGET_ERRORS)
def test_bad_target_is_exit_2_for_run_and_validate(name: str, tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY_SUITE, encoding="utf-8")
    target, where, words = _target_cases(tmp_path)[name]
    run_words, _, validate_words = words.partition("|")
    for args, expected in (
        (["run", "--report-dir", "reports", "--target", target, "tiny.yaml"], run_words),
        (["validate", target], validate_words or run_words),
    ):
        output = assert_clean_usage_error(invoke(*args))
        assert where in output and expected in output, (args, output)
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    "app,extra,words",
    [
        ("nosuchmodule:app", "", "cannot load app 'nosuchmodule:app'"),
        ("os:getcwd", "", "'os:getcwd' is not an ASGI or WSGI app"),
        ("os:system", "factory: true\napp_args: {command: 'touch pwned'}\n", "returned int, not an ASGI or WSGI app"),
        ("harness.reference.app:create_app", "factory: true\napp_args: {colour: blue}\n", "does not take app_args"),
    ],
)
def test_an_in_process_app_is_imported_only_when_allowed_and_must_be_an_app(
    tmp_path: Path, app: str, extra: str, words: str
) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY_SUITE, encoding="utf-8")
    (tmp_path / "app.yaml").write_text(f"name: x\nfamily: stepup\napp: {app}\n{extra}", encoding="utf-8")
    run = ["run", "--report-dir", "reports", "--target", "app.yaml", "tiny.yaml"]
    refused = assert_clean_usage_error(invoke(*run))
    assert "importing it runs that module's code" in refused and "--allow-app" in refused, refused
    result = invoke("validate", "app.yaml")  # a target file is data: validate never imports it
    assert result.exit_code == 0 and "not imported" in result.output, result.output
    if app != "os:system":  # os.system is never called: not an app, refused before any call
        output = assert_clean_usage_error(invoke(*run[:1], "--allow-app", *run[1:]))
        assert words in output and "app.yaml" in output, output
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "reports").exists()


def test_plain_pytest_with_a_bad_target_is_exit_2_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY_SUITE, encoding="utf-8")
    target, where, words = _target_cases(tmp_path)["missing-env-var"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--target", target, "tiny.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output
    assert "Traceback" not in output and "INTERNALERROR" not in output
    assert where in output and words in output
