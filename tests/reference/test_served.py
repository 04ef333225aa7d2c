"""The reference bank over a real socket: `psd2-harness serve` on 127.0.0.1 and a free port.

Twenty PSUs run a full step-up flow at once with no error and no state crossing; moving
one PSU's clock leaves another's alone; and the served bank answers exactly as the
in-process app does for the same requests.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reference.test_stepup import BASE, Psu

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port: int) -> subprocess.Popen[str]:
    """`psd2-harness serve --port PORT` in its own process, its output unbuffered on a pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """`psd2-harness serve` in its own process; yields the base URL it announces."""
    proc = _serve(_free_port())
    assert proc.stdout is not None
    first = proc.stdout.readline()
    match = re.search(r"on (http://127\.0\.0\.1:\d+)", first)
    assert match, f"serve did not announce its address: {first!r}"
    announced = [proc.stdout.readline() for _ in range(4)]
    assert all(
        f"{match.group(1)}/{fam}" in line
        for fam, line in zip(("escalation", "workflow", "stepup", "dedicated"), announced, strict=True)
    ), announced
    try:
        yield match.group(1)
    finally:
        proc.terminate()
        proc.wait(10)


def _full_flow(base: str) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=10) as client:
        psu = Psu(client)
        psu.login()
        assert psu.statement().status_code == 403
        psu.step_up()
        statement = psu.statement()
        assert statement.status_code == 200, statement.text
        codes = psu.codes()
        assert psu.logout().status_code in (200, 204)
        return {
            "psu": psu.id,
            "phone": psu.data["phone"],
            "account": psu.account,
            "codes": codes,
            "statement_account": statement.json().get("accountId"),
        }


def test_twenty_concurrent_psus_full_stepup_flow(served: str) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: _full_flow(served), range(20)))
    assert len({r["psu"] for r in results}) == 20
    assert len({r["account"] for r in results}) == 20
    for r in results:
        assert r["statement_account"] == r["account"]  # each PSU read only its own account
        assert len(r["codes"]) == 1  # and its inbox holds only its own OTP
    all_codes = [c for r in results for c in r["codes"]]
    assert len(set(all_codes)) >= 18  # 6-digit CSPRNG codes: collisions are possible, not common


def test_one_psu_clock_moves_alone(served: str) -> None:
    with httpx.Client(base_url=served, timeout=10) as client:
        a = client.post(f"{BASE}/__sandbox/psus").json()["psuId"]
        b = client.post(f"{BASE}/__sandbox/psus").json()["psuId"]
        before = client.get(f"{BASE}/__sandbox/psus/{b}/clock").json()["now"]
        moved = client.post(f"{BASE}/__sandbox/psus/{a}/clock/advance", json={"seconds": 86400 * 200}).json()["now"]
        after = client.get(f"{BASE}/__sandbox/psus/{b}/clock").json()["now"]
    assert moved[:4] != before[:4] or moved[5:10] != before[5:10]  # a moved 200 days
    assert abs(_seconds(after) - _seconds(before)) < 5  # b did not


def _seconds(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


_VOLATILE = re.compile(r"(token|code|id|now|sentAt|requestId|jwt|redirectUrl|iban|Id|UUID|date|Date)$")


def _shape(value: Any, key: str = "") -> Any:
    """The answer with minted values (ids, tokens, times) replaced by their type."""
    if isinstance(value, dict):
        return {k: _shape(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(v, key) for v in value]
    if key and _VOLATILE.search(key):
        return type(value).__name__
    if key in ("email", "phone", "username", "password", "apiKey", "name", "friendlyName"):
        return type(value).__name__
    return value


def _script(client: httpx.Client) -> list[tuple[int, Any]]:
    """One fixed sequence of requests over several families, compliant and refused."""
    out = []

    def note(response: httpx.Response) -> None:
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
        out.append((response.status_code, _shape(body)))

    psu = client.post(f"{BASE}/__sandbox/psus")
    note(psu)
    data = psu.json()
    key = {"api-key": data["apiKey"]}
    note(client.get(f"{BASE}/managed_accounts"))
    note(client.post(f"{BASE}/login_with_password", json={"email": "nobody@example.com", "password": "x"}, headers=key))
    login = client.post(
        f"{BASE}/login_with_password", json={"email": data["email"], "password": data["password"]}, headers=key
    )
    note(login)
    auth = {**key, "Authorization": f"Bearer {login.json()['token']}"}
    note(client.get(f"{BASE}/managed_accounts", headers=auth))
    note(client.get(f"{BASE}/managed_accounts/{data['accounts'][0]['id']}/statement", headers=auth))
    note(client.post(f"{BASE}/stepup/challenges/otp/SMS", headers=auth))
    note(client.post(f"{BASE}/stepup/challenges/otp/SMS", headers=auth))
    note(client.post("/escalation/oauth/token", data={"grant_type": "authorization_code", "code": "nope"}))
    note(client.post("/dedicated/api/client/token", params={"accessCode": "nope", "clientId": "x", "secret": "y"}))
    note(client.get("/workflow/no/such/route"))
    return out


def test_served_and_in_process_answer_the_same(served: str) -> None:
    from harness.reference import create_app
    from harness.transport import SyncASGITransport

    with (
        httpx.Client(base_url=served, timeout=10) as over_socket,
        httpx.Client(transport=SyncASGITransport(create_app()), base_url="http://reference.test") as in_process,
    ):
        assert _script(over_socket) == _script(in_process)


def test_ctrl_c_stops_serve_cleanly() -> None:
    import signal

    port = _free_port()
    proc = _serve(port)
    assert proc.stdout is not None
    assert "reference bank" in proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0, rest
    assert "Traceback" not in rest and "KeyboardInterrupt" not in rest
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/stepup/__sandbox/clock", timeout=1)


def test_loopback_detection_and_the_defect_listing() -> None:
    from click.testing import CliRunner

    from harness.cli import main
    from harness.serve import _is_loopback

    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and _is_loopback("localhost")
    assert not _is_loopback("0.0.0.0") and not _is_loopback("192.0.2.10")
    result = CliRunner().invoke(main, ["serve", "--list-defects"])
    assert result.exit_code == 0 and "stp-session-never-idles" in result.output
