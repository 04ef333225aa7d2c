"""Clock drivers: how the harness moves a target's time, never by waiting.

- `SandboxClock`: the target's sandbox plane (SBX-3), per PSU or bank-wide. Per PSU, a move
  advances every PSU the case created, so a case means the same under every driver.
- `FreezegunClock`: an in-process app's time, moved with freezegun (`real_asyncio=True`, and
  allure/pytest on the ignore list so report timestamps stay real).
- `NoClock`: the target cannot move time; a case that needs it is not testable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from harness.errors import NotTestable, TargetFault

_real_now = datetime.now  # captured before any freeze: evidence needs the real time too


def real_utc_now() -> datetime:
    return _real_now(UTC)


Call = Callable[[str, dict[str, Any], Any], Any]
"""call(operationId, path parameters, json body) -> response; records evidence."""


class ClockDriver(Protocol):
    kind: str

    def start_case(self, call: Call) -> None:
        """A case begins; `call` sends a sandbox request through it (recorded as evidence)."""
        ...

    def advance(self, seconds: int, psu_ids: list[str]) -> None: ...

    def end_case(self) -> None: ...

    def reading(self) -> str:
        """What the harness believes the target's clock reads now (ISO 8601, UTC)."""
        ...


class NoClock:
    kind = "none"

    def start_case(self, call: Call) -> None:
        pass

    def advance(self, seconds: int, psu_ids: list[str]) -> None:
        raise NotTestable("the case moves the bank's clock, and the target declares no clock control (clock: none)")

    def end_case(self) -> None:
        pass

    def reading(self) -> str:
        return _iso(real_utc_now())


class SandboxClock:
    """SBX-3 over HTTP. The offset is tracked so evidence can show the bank's time without
    a request per step; it is an estimate between moves, exact right after one."""

    def __init__(self, per_psu: bool) -> None:
        self.kind = "per-psu" if per_psu else "bank-wide"
        self.per_psu = per_psu
        self.call: Call | None = None
        self._offset = 0

    def start_case(self, call: Call) -> None:
        self.call = call
        self._offset = 0

    def advance(self, seconds: int, psu_ids: list[str]) -> None:
        if seconds < 0:
            raise TargetFault(f"cannot move a clock backwards ({seconds} s)")
        if self.call is None:
            raise RuntimeError("SandboxClock moved outside a case")
        if self.per_psu:
            if not psu_ids:
                raise NotTestable("the target has per-PSU clocks only, and this case moves time before creating a PSU")
            for psu_id in psu_ids:
                self.call("advancePsuClock", {"psuId": psu_id}, {"seconds": seconds})
        else:
            self.call("advanceBankClock", {}, {"seconds": seconds})
        self._offset += seconds

    def end_case(self) -> None:
        self.call = None

    def reading(self) -> str:
        return _iso(real_utc_now() + timedelta(seconds=self._offset))


class FreezegunClock:
    """Freezes the process clock per case (ticking, so time still flows) and jumps it."""

    kind = "freezegun"
    IGNORE = ["allure_commons", "allure_pytest", "_pytest", "pytest", "pluggy", "xdist", "execnet"]

    def __init__(self) -> None:
        import freezegun

        freezegun.configure(extend_ignore_list=self.IGNORE)
        self._freezegun = freezegun
        self._freezer: Any = None
        self._factory: Any = None

    def start_case(self, call: Call) -> None:
        self._freeze()

    def _freeze(self) -> None:
        start = real_utc_now().replace(tzinfo=None)
        self._freezer = self._freezegun.freeze_time(start, tick=True, real_asyncio=True)
        self._factory = self._freezer.start()

    def advance(self, seconds: int, psu_ids: list[str]) -> None:
        if seconds < 0:
            raise TargetFault(f"cannot move a clock backwards ({seconds} s)")
        if self._factory is None:
            self._freeze()
        self._factory.move_to(self._factory() + timedelta(seconds=seconds))

    def end_case(self) -> None:
        if self._freezer is not None:
            self._freezer.stop()
        self._freezer = self._factory = None

    def reading(self) -> str:
        if self._factory is not None:
            return _iso(self._factory().replace(tzinfo=UTC))
        return _iso(real_utc_now())


def make_clock(kind: str) -> ClockDriver:
    if kind == "none":
        return NoClock()
    if kind == "freezegun":
        return FreezegunClock()
    return SandboxClock(per_psu=(kind == "per-psu"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
