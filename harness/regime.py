"""Regulatory regimes: the limits in force, read from `specs/regimes.yaml`.

One source of truth for every time and attempt limit: suites use `${regime.NAME}`, the
reference bank reads the same values, so a changed limit changes both sides at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

import yaml

from harness.durations import parse_duration
from harness.errors import UnknownRegime
from harness.paths import specs_dir

DEFAULT_REGIME = "eu-2023"


@dataclass(frozen=True, slots=True)
class Regime:
    name: str
    title: str
    limits: Mapping[str, int]
    """Each limit in seconds (durations) or as a plain count (attempts)."""

    def __getitem__(self, key: str) -> int:
        return self.limits[key]


@cache
def _raw() -> dict[str, Any]:
    with open(specs_dir() / "regimes.yaml", encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


@cache
def load_regime(name: str = DEFAULT_REGIME) -> Regime:
    raw = _raw()
    if name not in raw:
        raise UnknownRegime(f"unknown regime {name!r}; expected one of {', '.join(sorted(raw))}")
    entry = raw[name]
    limits = {key: parse_duration(value) for key, value in entry["limits"].items()}
    return Regime(name=name, title=entry["title"], limits=MappingProxyType(limits))
