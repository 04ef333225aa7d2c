"""No run without bounds: input that would grow without end is refused at load, and a bank
that drips or floods cannot hold a case or the machine."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cli import run_pytest
from tests.cli.conftest import assert_clean_usage_error, invoke

LAUGHS = (
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    + "family: stepup\ntitle: laughs\ncases: *i\n"
)


def test_a_billion_laughs_file_is_refused_in_under_a_second(tmp_path: Path) -> None:
    (tmp_path / "laughs.yaml").write_text(LAUGHS, encoding="utf-8")
    started = time.perf_counter()
    output = assert_clean_usage_error(invoke("validate", "laughs.yaml"))
    assert time.perf_counter() - started < 1.0
    assert "laughs.yaml:" in output and "expands to more than" in output, output


def test_symlinks_that_loop_or_leave_the_suite_folder_are_refused(tmp_path: Path) -> None:
    suites = tmp_path / "suites"
    (suites / "inner").mkdir(parents=True)
    (suites / "inner" / "loop").symlink_to(suites, target_is_directory=True)
    output = assert_clean_usage_error(invoke("run", "suites"))
    assert "loops back" in output, output
    (suites / "inner" / "loop").unlink()
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("family: stepup\n", encoding="utf-8")
    (suites / "inner" / "out.yaml").symlink_to(outside)
    output = assert_clean_usage_error(invoke("validate", "suites"))
    assert "leads out of the suite folder" in output, output


@pytest.mark.parametrize(
    "body,words",
    [
        (
            "repeat: {times: 1000000000, steps: [{method: GET, url: /echo, expect: {status: 200}}]}",
            "repeat times 1000000000 is more than 1000",
        ),
        (
            "poll: {attempts: 1000000000, steps: [{method: GET, url: /echo}], until: {status: 200}}",
            "poll attempts 1000000000 is more than 100",
        ),
    ],
)
def test_repeat_and_poll_have_maxima(tmp_path: Path, body: str, words: str) -> None:
    (tmp_path / "big.yaml").write_text(
        "family: stepup\ntitle: t\ncases:\n  - id: big\n    title: t\n    requirements: [STP-1]\n"
        f"    severity: major\n    steps:\n      - {body}\n",
        encoding="utf-8",
    )
    output = assert_clean_usage_error(invoke("validate", "big.yaml"))
    assert words in output and "big.yaml:9:" in output, output


# -- a bank that drips, and one that floods ---------------------------------------------------


def _serve(handler: object) -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    stop = threading.Event()

    def loop() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            threading.Thread(target=handler, args=(conn, stop), daemon=True).start()  # type: ignore[operator]

    threading.Thread(target=loop, daemon=True).start()
    try:
        yield port
    finally:
        stop.set()
        server.close()


def _drip(conn: socket.socket, stop: threading.Event) -> None:
    with conn:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
        for _ in range(200):  # one byte every 0.1 s: each read timeout restarts, the total does not
            if stop.is_set():
                return
            try:
                conn.sendall(b" ")
            except OSError:
                return
            time.sleep(0.1)


def _flood(conn: socket.socket, stop: threading.Event) -> None:
    with conn:
        conn.recv(65536)
        size = 50 * 1024 * 1024
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {size}\r\n\r\n".encode()
            + b'{"data": "'
        )
        chunk = b"x" * 65536
        try:
            for _ in range(size // len(chunk)):
                if stop.is_set():
                    return
                conn.sendall(chunk)
        except OSError:
            return


@pytest.fixture
def dripping() -> Iterator[int]:
    yield from _serve(_drip)


@pytest.fixture
def flooding() -> Iterator[int]:
    yield from _serve(_flood)


SUITE = """\
family: stepup
title: One request
cases:
  - id: one-request
    title: one request to a bank that misbehaves
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /anything, expect: {status: 200}}
"""


def _run(tmp_path: Path, port: int, extra: str = "") -> dict:
    (tmp_path / "t.yaml").write_text(
        f"name: bad\nfamily: stepup\nbase_url: http://127.0.0.1:{port}\nsandbox: none\n"
        f"clock: none\notp: none\ntimeouts: {{connect: 1, read: 1, total: 1.5}}\n{extra}",
        encoding="utf-8",
    )
    (tmp_path / "s.yaml").write_text(SUITE, encoding="utf-8")
    run_pytest(
        [str(tmp_path / "s.yaml")], target_name=str(tmp_path / "t.yaml"), report_dir=str(tmp_path / "r"), allure=False
    )
    return json.loads(next((tmp_path / "r").glob("*/summary.json")).read_text())["cases"][0]


def test_a_dripping_bank_is_held_no_longer_than_the_total_deadline(tmp_path: Path, dripping: int) -> None:
    started = time.perf_counter()
    case = _run(tmp_path, dripping)
    assert time.perf_counter() - started < 4
    assert case["verdict"] == "broken" and "total deadline of 1.5 s" in case["reason"], case


def test_a_flooding_bank_is_read_no_further_than_the_limit(tmp_path: Path, flooding: int) -> None:
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    case = _run(tmp_path, flooding, "max_body_bytes: 1048576\n")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert case["verdict"] == "broken" and "above the target's max_body_bytes (1048576)" in case["reason"], case
    assert grown_mb < 40, grown_mb
    assert os.environ.get("CI") is None or True


@pytest.mark.parametrize(
    "advance,words",
    [
        ("-5s", "would move by -5 s"),
        ("99999d", "would move by 8639913600 s"),
        ('["${regime.session_idle}", -301s]', "would move by -1 s"),
    ],
)
def test_a_clock_move_backwards_or_past_twenty_years_is_refused_at_load(
    tmp_path: Path, advance: str, words: str
) -> None:
    (tmp_path / "adv.yaml").write_text(
        "family: stepup\ntitle: t\ncases:\n  - id: a\n    title: t\n    requirements: [STP-1]\n    severity: major\n"
        f"    steps:\n      - advance: {advance}\n      - {{method: GET, url: /x, expect: {{status: 200}}}}\n",
        encoding="utf-8",
    )
    output = assert_clean_usage_error(invoke("validate", "adv.yaml"))
    assert words in output and "adv.yaml:9:" in output, output


def test_a_run_deadline_breaks_the_cases_that_would_start_after_it(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "name: fixture\nfamily: stepup\napp: tests.engine.fixture_app:create_app\n"
        "factory: true\nsandbox: none\nclock: none\notp: none\n",
        encoding="utf-8",
    )
    (tmp_path / "s.yaml").write_text(
        """\
family: stepup
title: A slow case first
cases:
  - id: a-slow
    title: polls for two seconds
    requirements: [STP-1]
    severity: major
    steps:
      - poll: {attempts: 3, interval: 1s, steps: [{method: GET, url: /echo}], until: {status: 200}, halt: {status: 500}}
      - {method: GET, url: /status/201, expect: {status: 201}}
      - poll: {attempts: 2, interval: 1s, steps: [{method: GET, url: /status/202}], until: {status: 201}}
  - id: b-late
    title: would start after the deadline
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /echo, expect: {status: 200}}
""",
        encoding="utf-8",
    )
    run_pytest(
        [str(tmp_path / "s.yaml")],
        target_name=str(tmp_path / "t.yaml"),
        report_dir=str(tmp_path / "r"),
        allure=False,
        extra=["--harness-deadline", "0.5"],
    )
    cases = {c["id"]: c for c in json.loads(next((tmp_path / "r").glob("*/summary.json")).read_text())["cases"]}
    assert cases["b-late"]["verdict"] == "broken" and "deadline (0.5 s, --deadline)" in cases["b-late"]["reason"]
