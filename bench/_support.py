"""Shared pieces of the benchmarks: a trivial bank app, a served instance, timing helpers."""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def _ping(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "n": 1})


def create_app() -> Starlette:
    """The cheapest bank there is: what remains is the harness's own cost."""
    return Starlette(routes=[Route("/ping", _ping, methods=["GET"])])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(factory: str) -> Iterator[str]:
    """See `_serve`: uvicorn with the ASGI app `module:factory`."""
    with _serve(
        [
            "-m",
            "uvicorn",
            factory,
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--log-level",
            "warning",
            "--no-access-log",
            "--lifespan",
            "off",
        ]
    ) as base:
        yield base


@contextmanager
def served_minimal() -> Iterator[str]:
    """The stdlib ping server of `bench.ping_server`: what remains is the client's cost."""
    with _serve(["-m", "bench.ping_server", "{port}"]) as base:
        yield base


@contextmanager
def _serve(argv: list[str]) -> Iterator[str]:
    """uvicorn serving `module:factory` on 127.0.0.1 and a free port, in its own process
    (as a bank would be: a server thread in the measuring process would compete with the
    client for the GIL and bill the harness for the server's work). Yields the base URL."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import httpx

    port = free_port()
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable] + [a.replace("{port}", str(port)) for a in argv],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(base + "/", timeout=0.5)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("uvicorn did not start") from None
            time.sleep(0.05)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def best_of(rounds: int, fn: Callable[[], float]) -> float:
    """The median of `rounds` measurements (each already a per-unit figure)."""
    return statistics.median(fn() for _ in range(rounds))
