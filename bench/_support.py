"""What every bench shares: interleaved rounds and their statistics, child processes with their
peak memory, the in-session timing plugin's windows, and the trivial bank they call.

Every figure a bench prints is measured in the same invocation as its baseline, the two run
interleaved (A B A B ..., one round = every variant once, after one warm-up round that is not
kept), so that whatever else the machine does lands on both alike. A ratio is taken per round
(B_i / A_i) and its median printed with the spread (min-max) of the per-round values.

Run folders and allure-results are kept until the bench ends (its temporary folder goes then).
Deleting a run folder's ~1,800 files between rounds made the next rounds' file creation up to
four times dearer on this machine's disk (allure's attachment files: 0.15 s per default run with
folders kept, 0.62 s with each deleted after its round), which is not what a user's run pays.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


# -- the trivial bank -----------------------------------------------------------------------


async def _ping(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "n": 1})


def create_app() -> Starlette:
    """The cheapest bank there is: what remains is the client's cost."""
    return Starlette(routes=[Route("/ping", _ping, methods=["GET"]), Route("/", _ping, methods=["GET"])])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(server: str = "stdlib") -> Iterator[str]:
    """The trivial bank on 127.0.0.1 in a process of its own (a server thread in the measuring
    process would compete with the client for the GIL); yields the base URL.

    `stdlib`: `bench.ping_server` (http.server, keep-alive, one write per answer), the cheapest;
    `uvicorn`: `create_app` above served by uvicorn."""
    port = free_port()
    if server == "stdlib":
        argv = ["-m", "bench.ping_server", str(port)]
    elif server == "uvicorn":
        argv = ["-m", "uvicorn", "bench._support:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--log-level", "warning", "--no-access-log", "--lifespan", "off"]
    else:
        raise ValueError(f"unknown server {server!r}; expected stdlib or uvicorn")
    import httpx

    proc = subprocess.Popen([sys.executable, *argv], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(base + "/ping", timeout=0.5)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"the {server} server did not start") from None
            time.sleep(0.05)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


# -- interleaved rounds ---------------------------------------------------------------------


def interleave(
    rounds: int, variants: Sequence[tuple[str, Callable[[], T]]], *, warmup: bool = True
) -> dict[str, list[T]]:
    """Run every variant once per round, in the order given (A B C, A B C, ...); one warm-up
    round first, not kept. Returns each variant's results, one per round."""
    results: dict[str, list[T]] = {name: [] for name, _ in variants}
    for n in range(-1 if warmup else 0, rounds):
        label = "warm-up" if n < 0 else f"round {n + 1}/{rounds}"
        print(f"  {label} ...", end="", flush=True, file=sys.stderr)
        started = time.perf_counter()
        for name, run in variants:
            value = run()
            if n >= 0:
                results[name].append(value)
        print(f" {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return results


@dataclass(frozen=True)
class Spread:
    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values))

    def show(self, unit: str = "", scale: float = 1.0, digits: int = 3) -> str:
        m, lo, hi = (round(v * scale, digits) for v in (self.median, self.low, self.high))
        return f"{m:.{digits}f}{unit} ({lo:.{digits}f}-{hi:.{digits}f})"


def per_round(numerator: Sequence[float], denominator: Sequence[float]) -> list[float]:
    """The ratio of two interleaved series, round by round."""
    return [a / b for a, b in zip(numerator, denominator, strict=True)]


def ratio(numerator: Sequence[float], denominator: Sequence[float]) -> Spread:
    return Spread.of(per_round(numerator, denominator))


def print_row(name: str, *cells: str, width: int = 52) -> None:
    print(f"  {name:<{width}}  " + "  ".join(cells))


def verdict(value: float, goal: float, *, at_most: bool = True) -> str:
    ok = value <= goal if at_most else value >= goal
    return f"goal {'<=' if at_most else '>='} {goal:g}: {'met' if ok else 'MISSED'}"


# -- the command line every bench shares ----------------------------------------------------


def arguments(description: str, add: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7; at least 5 for a figure)")
    if add is not None:
        add(parser)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def header(title: str, rounds: int) -> None:
    print(f"{title}\n  {machine()}")
    print(f"  {rounds} interleaved rounds after one warm-up; median (min-max) over the rounds")
    if rounds < 5:
        print("  FEWER THAN 5 ROUNDS: a smoke run, not a figure")
    print()


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
    return (
        f"{time.strftime('%Y-%m-%d %H:%M')}; {os.cpu_count()} cores{' ' + model if model else ''}; "
        f"Python {platform.python_version()}{load}"
    )


# -- child processes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Child:
    wall: float
    """Seconds from spawn to exit."""
    code: int
    output: str
    peak_rss_mb: float
    """The child's peak resident memory (os.wait4's ru_maxrss), in MiB."""
    window: float | None
    """Seconds from collection to the end of sessionfinish, if the timing plugin ran."""


def run_child(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT, check: bool = True) -> Child:
    """Run a command and measure it: wall time, exit code, output, peak RSS, and the window the
    `bench._timing` plugin writes (when the command loads it)."""
    with tempfile.TemporaryDirectory(prefix="bench-child-") as tmp:
        window_file = Path(tmp) / "window"
        out_file = Path(tmp) / "out"
        child_env = {**os.environ, **(env or {}), "BENCH_TIMING_FILE": str(window_file)}
        with open(out_file, "wb") as out:
            started = time.perf_counter()
            proc = subprocess.Popen(argv, cwd=cwd, env=child_env, stdout=out, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        output = out_file.read_text(encoding="utf-8", errors="replace")
        window = float(window_file.read_text()) if window_file.exists() else None
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:6])} ... exited {proc.returncode}:\n{output[-3000:]}")
    kib = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return Child(wall=wall, code=proc.returncode, output=output, peak_rss_mb=kib / 1024, window=window)


def python_code(code: str, **kw: Any) -> Child:
    """`python -c code` in this venv, from the repository root (so `bench` and `harness` import)."""
    return run_child([sys.executable, "-c", code], **kw)


def windows(children: Sequence[Child]) -> list[float]:
    """The in-session windows of the children; an error if one did not load bench._timing."""
    found = [c.window for c in children if c.window is not None]
    if len(found) != len(children):
        raise RuntimeError("a session wrote no window: bench._timing was not loaded")
    return found


def slope(small: Sequence[float], big: Sequence[float], n_small: int, n_big: int) -> list[float]:
    """Per-round cost of one more unit: (T(big) - T(small)) / (big - small)."""
    return [(b - s) / (n_big - n_small) for s, b in zip(small, big, strict=True)]
