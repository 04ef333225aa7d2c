"""Fixtures for driving the reference bank over HTTP, in process.

`bank()` builds a fresh app (optionally with defects) and returns an httpx client on it;
every test gets its own app, so tests are independent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from harness.reference import create_app
from harness.transport import SyncASGITransport

BASE = "http://reference.test"


@pytest.fixture
def bank() -> Iterator[Callable[..., httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(*defects: str, regime: str = "eu-2023", sandbox: bool = True, dialect: str = "reference") -> httpx.Client:
        app = create_app(defects, regime=regime, sandbox=sandbox, dialect=dialect)
        client = httpx.Client(transport=SyncASGITransport(app), base_url=BASE, follow_redirects=False)
        client.app = app  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(bank: Callable[..., httpx.Client]) -> httpx.Client:
    """A compliant reference bank."""
    return bank()
