"""Where the bundled data lives, in a source checkout and in an installed wheel.

The repository keeps `specs/` and `suites/` at its root (the product's layout); the wheel
carries them under `harness/_data/`. Every module asks here instead of guessing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    checkout = _PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    return _PACKAGE / "_data" / name


@cache
def specs_dir() -> Path:
    """The folder of OpenAPI documents, JSON Schemas, the catalogue and the regimes."""
    return _data_dir("specs")


@cache
def suites_dir() -> Path:
    """The folder of the bundled conformance suites, one sub-folder per family."""
    return _data_dir("suites")
