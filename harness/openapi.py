"""Operations by operationId, read from the family OpenAPI documents in `specs/`.

Suites never write paths: they name an operation, this module knows its method and path,
and a target file may remap either. The sandbox plane's operations are available to every
family, because the plane is mounted under each family's base.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from harness.paths import specs_dir

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
SANDBOX = "sandbox"


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str
    path: str
    document: str


@cache
def _load(name: str) -> dict[str, Any]:
    with open(specs_dir() / f"{name}.openapi.yaml", encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.load(fh, Loader=_Loader)
    return data


def known_families() -> list[str]:
    return sorted(p.name.split(".")[0] for p in specs_dir().glob("*.openapi.yaml") if p.name.split(".")[0] != SANDBOX)


@cache
def operations(family: str) -> dict[str, Operation]:
    """Every operation a suite of `family` may call: the family's own plus the sandbox plane's."""
    ops: dict[str, Operation] = {}
    for name in (SANDBOX, family):
        doc = _load(name)
        for path, item in (doc.get("paths") or {}).items():
            for method in _METHODS:
                op = (item or {}).get(method)
                if op and op.get("operationId"):
                    ops[op["operationId"]] = Operation(op["operationId"], method.upper(), path, f"{name}.openapi.yaml")
    return ops


@cache
def sandbox_operation_ids() -> frozenset[str]:
    doc = _load(SANDBOX)
    return frozenset(op["operationId"] for item in doc["paths"].values() for m, op in item.items() if m in _METHODS)
