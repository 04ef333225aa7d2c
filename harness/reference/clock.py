"""Time as the reference bank sees it.

Only these objects read system time, and they read it through `time.time()`, so moving
the bank's clock (the sandbox plane) and freezing it (freezegun, in process) both work.
Each PSU has its own clock layered on the bank-wide clock: advancing the bank moves every
PSU, advancing a PSU moves only that PSU (SBX-3).

`resolution` is how finely a clock counts: `0` (the reference dialect) reads system time
as it is; `1` (the `alt` dialect, harness/reference/alt.py) counts whole seconds, as many
real banks do. A whole-second clock counts the whole seconds elapsed since *it* started,
from the whole second it started in: its readings are whole numbers, every jump of N
seconds moves it by exactly N, and a reading taken within the same real second as the
clock's start is exact. Flooring the epoch time instead would make two readings that are
299.01 s apart differ by 300 whenever a second boundary falls between them, so a rule
probed "at N - 1 s" could be refused for a reason no case controls; counting from the
clock's own start (a PSU's clock starts with the PSU) keeps a case's readings exact for
as long as the case spends less than a second of real time, which in-process cases do.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime


def _count(exact: float, start: float, resolution: int) -> float:
    """`exact` as a clock of this resolution that started at `start` reads it."""
    if not resolution:
        return exact
    origin = math.floor(start / resolution) * resolution
    return origin + math.floor((exact - start) / resolution) * resolution


class Clock:
    """A clock: its parent's time (system time for a clock without one) plus an offset that
    only grows. The bank-wide clock has no parent; each PSU's clock is `layered()` on the
    bank's, so advancing the bank moves every PSU and advancing a PSU moves only that PSU
    (SBX-3). One class for both because they differ only in what they count from."""

    resolution: int

    def __init__(self, resolution: int = 0, *, parent: Clock | None = None) -> None:
        if resolution < 0:
            raise ValueError("a clock's resolution is 0 (exact) or a whole number of seconds")
        if parent is not None and resolution != parent.resolution:
            raise ValueError("a layered clock counts at its parent's resolution")
        self._parent = parent
        self.resolution = resolution
        self._offset = 0
        self._lock = threading.Lock()
        self._start = self.exact()

    def layered(self) -> Clock:
        """A clock that moves with this one and can be moved further on its own (a PSU's, on the bank's)."""
        return Clock(self.resolution, parent=self)

    def exact(self) -> float:
        """The time at full precision (what a clock layered on this one counts from)."""
        base = self._parent.exact() if self._parent is not None else time.time()
        return base + self._offset

    def time(self) -> float:
        return _count(self.exact(), self._start, self.resolution)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def advance(self, seconds: int) -> None:
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._offset += seconds


def isoformat(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, the form every family answers with."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
