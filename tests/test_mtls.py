"""QWAC-style mutual TLS: the harness verifies the bank's certificate by default and
presents a client certificate when the target file names one.

A throwaway CA issues a server certificate (127.0.0.1) and a client certificate; the
reference bank is served over HTTPS by uvicorn, which demands a client certificate.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from harness.cli import run_pytest
from harness.paths import suites_dir
from harness.reference import create_app
from tests.reference.test_served import _free_port

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl (Debian: openssl) is not installed")

SUITE = suites_dir() / "stepup" / "session.yaml"


def _openssl(folder: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(d, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test CA")
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for name, subject, ext in (
        ("server", "/CN=127.0.0.1", ["-extfile", "server.ext"]),
        ("client", "/CN=TPP QWAC test", []),
    ):
        _openssl(d, "req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject)
        _openssl(
            d,
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            f"{name}.pem",
            "-days",
            "2",
            *ext,
        )
    return d


@pytest.fixture(scope="module")
def https_bank(pki: Path) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(
        create_app(),
        host="127.0.0.1",
        port=port,
        log_level="critical",
        lifespan="off",
        ssl_certfile=str(pki / "server.pem"),
        ssl_keyfile=str(pki / "server.key"),
        ssl_ca_certs=str(pki / "ca.pem"),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"https://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


def _run(tmp: Path, base_url: str, tls: str) -> tuple[int, dict]:
    target = tmp / "bank.yaml"
    target.write_text(
        f"name: https-bank\nbase_url: {base_url}\nfamilies: {{stepup: {{base_path: /stepup}}}}\n"
        f"sandbox: {{path: /__sandbox}}\nclock: per-psu\notp: sandbox\n{tls}",
        encoding="utf-8",
    )
    code = run_pytest([str(SUITE)], target_name=str(target), report_dir=str(tmp / "reports"), allure=False)
    summary = json.loads(next((tmp / "reports").glob("*/summary.json")).read_text())
    return code, summary


def test_with_the_ca_and_a_client_certificate_the_suite_runs(tmp_path: Path, pki: Path, https_bank: str) -> None:
    for name in ("ca.pem", "client.pem", "client.key"):
        shutil.copyfile(pki / name, tmp_path / name)  # paths are relative to the target file
    code, summary = _run(
        tmp_path, https_bank, "tls: {ca_bundle: ca.pem, client_cert: client.pem, client_key: client.key}\n"
    )
    assert code == 0, summary["cases"]
    assert summary["counts"]["passed"] == 4


def test_without_a_client_certificate_the_bank_refuses_and_the_case_is_broken(
    tmp_path: Path, pki: Path, https_bank: str
) -> None:
    shutil.copyfile(pki / "ca.pem", tmp_path / "ca.pem")
    code, summary = _run(tmp_path, https_bank, "tls: {ca_bundle: ca.pem}\n")
    assert code == 3
    assert {c["verdict"] for c in summary["cases"]} == {"broken"}
    assert all("cannot reach the target" in c["reason"] for c in summary["cases"]), summary["cases"]


def test_verification_is_on_by_default_an_unknown_ca_is_refused(tmp_path: Path, pki: Path, https_bank: str) -> None:
    for name in ("client.pem", "client.key"):
        shutil.copyfile(pki / name, tmp_path / name)
    code, summary = _run(tmp_path, https_bank, "tls: {client_cert: client.pem, client_key: client.key}\n")
    assert code == 3
    assert {c["verdict"] for c in summary["cases"]} == {"broken"}
    assert any(
        "CERTIFICATE_VERIFY_FAILED" in c["reason"] or "certificate verify failed" in c["reason"]
        for c in summary["cases"]
    ), summary["cases"]


def test_a_missing_certificate_file_is_a_configuration_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from harness.cli import main

    target = tmp_path / "bank.yaml"
    target.write_text("name: x\nbase_url: https://127.0.0.1:1\nfamily: stepup\ntls: {client_cert: nowhere.pem}\n")
    result = CliRunner().invoke(main, ["validate", str(target)])
    assert result.exit_code == 2
    assert "tls client_cert 'nowhere.pem' is not a readable file" in result.output
