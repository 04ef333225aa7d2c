"""Time as the reference bank sees it.

Only these objects read system time, and they read it through `time.time()`, so moving
the bank's clock (the sandbox plane) and freezing it (freezegun, in process) both work.
Each PSU has its own clock layered on the bank-wide clock: advancing the bank moves every
PSU, advancing a PSU moves only that PSU (SBX-3).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone


class BankClock:
    """The bank-wide clock: system time plus an offset that only grows."""

    def __init__(self) -> None:
        self._offset = 0
        self._lock = threading.Lock()

    def time(self) -> float:
        return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=timezone.utc)

    def advance(self, seconds: int) -> None:
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._offset += seconds


class PsuClock:
    """One PSU's clock: the bank's time plus this PSU's own offset."""

    def __init__(self, bank: BankClock) -> None:
        self._bank = bank
        self._offset = 0
        self._lock = threading.Lock()

    def time(self) -> float:
        return self._bank.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=timezone.utc)

    def advance(self, seconds: int) -> None:
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._offset += seconds


def isoformat(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, the form every family answers with."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
