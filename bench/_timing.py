"""A pytest plugin for the benches (`-p bench._timing`): the session's own work, timed.

Writes to the file named by BENCH_TIMING_FILE the seconds from the start of collection to the
end of `pytest_sessionfinish`, every other plugin's part of it included (the harness writes its
summaries, canary and SHA256SUMS there, trylast; junitxml and allure-pytest finish there too).
Interpreter start, imports and plugin registration are outside the window: they are the same
for one case and for four hundred, and they are most of what another process on the machine
can disturb. It uses nothing but pytest, so Tavern's own virtualenv loads it as well.
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator
from typing import Any

import pytest

_started: float | None = None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection(session: pytest.Session) -> Generator[None, Any, Any]:
    global _started
    _started = time.perf_counter()
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Generator[None, Any, Any]:
    try:
        return (yield)
    finally:
        path = os.environ.get("BENCH_TIMING_FILE")
        if path and _started is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(f"{time.perf_counter() - _started:.6f}\n")
