"""One default run in this process, its parts timed; `bench/default_breakdown.py` runs it.

Usage: python -m bench._breakdown_child OUT.json REPORT_DIR [--evidence-off]

Times, in seconds, written to OUT.json:
- `third_party_imports`: the libraries the run cannot do without (pytest, httpx, starlette,
  allure-pytest, PyYAML, click, jsonschema), imported first so that the harness's own imports
  do not pay for them;
- `own_imports`: the harness's modules the command line loads before the session;
- `session`: `harness.cli.run_pytest` over every bundled suite, the in-process reference;
- inside the session: `bank` (the reference bank's handlers and the in-process ASGI transport,
  `SyncASGITransport.handle_request`; `bank_app` is the bank's ASGI app alone, the rest is
  the transport: the scope, an event-loop turn, the response), `httpx` (`Client.send` and `Client.build_request`
  without the bank), and allure-pytest's own work for the evidence: `allure_attach` (its
  `allure.attach`, of which `allure_attachments` is writing the attachment files),
  `allure_steps` (its `allure.step`: a uuid, and the start and stop hooks) and
  `allure_results` (serialising and writing every result file).

The parts are timed by wrapping those functions for this measurement only (the wrappers cost
about 1 us a call, some 10 ms over the run).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import functools  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import allure_commons._allure  # noqa: E402
import allure_commons.logger  # noqa: E402
import allure_pytest.plugin  # noqa: E402, F401
import click  # noqa: E402, F401
import httpx  # noqa: E402
import jsonschema  # noqa: E402, F401
import pytest  # noqa: E402, F401
import starlette.applications  # noqa: E402, F401
import yaml  # noqa: E402, F401

THIRD_PARTY = time.perf_counter()

from harness import transport  # noqa: E402
from harness.cli import run_pytest  # noqa: E402
from harness.paths import suites_dir  # noqa: E402

OWN = time.perf_counter()

spent: dict[str, float] = {
    "bank": 0.0,
    "bank_app": 0.0,
    "httpx_with_bank": 0.0,
    "allure_attach": 0.0,
    "allure_attachments": 0.0,
    "allure_steps": 0.0,
    "allure_results": 0.0,
}


def timed(owner: type, name: str, part: str) -> None:
    """Add the time spent in `owner.name` to `spent[part]`. A coroutine function is timed
    around its await: in process the bank's app never waits on I/O, so that is its own time."""
    original: Callable[..., Any] = getattr(owner, name)

    def add(began: float) -> None:
        spent[part] += time.perf_counter() - began

    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def waited(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                add(began)

        setattr(owner, name, waited)
        return

    @functools.wraps(original)  # keeps allure's hookimpl marker: pluggy still finds the hook
    def called(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            add(began)

    setattr(owner, name, called)


timed(transport.SyncASGITransport, "handle_request", "bank")
timed(starlette.applications.Starlette, "__call__", "bank_app")
timed(httpx.Client, "send", "httpx_with_bank")
timed(httpx.Client, "build_request", "httpx_with_bank")
timed(allure_commons._allure.Attach, "__call__", "allure_attach")
timed(allure_commons.logger.AllureFileLogger, "report_attached_data", "allure_attachments")
for method in ("__init__", "__enter__", "__exit__"):
    timed(allure_commons._allure.StepContext, method, "allure_steps")
timed(allure_commons.logger.AllureFileLogger, "_report_item", "allure_results")


def main() -> None:
    out, reports, evidence = sys.argv[1], sys.argv[2], "--evidence-off" not in sys.argv[3:]
    began = time.perf_counter()
    code = run_pytest([str(suites_dir())], target_name="reference", report_dir=reports, allure=evidence)
    session = time.perf_counter() - began
    if code != 0:
        sys.exit(f"the default run exited {code}")
    parts = {
        "third_party_imports": THIRD_PARTY - STARTED,
        "own_imports": OWN - THIRD_PARTY,
        "session": session,
        "bank": spent["bank"],
        "bank_app": spent["bank_app"],
        "httpx": spent["httpx_with_bank"] - spent["bank"],
        "allure_attach": spent["allure_attach"],
        "allure_attachments": spent["allure_attachments"],
        "allure_steps": spent["allure_steps"],
        "allure_results": spent["allure_results"],
    }
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(parts, fh)


if __name__ == "__main__":
    main()
