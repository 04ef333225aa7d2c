"""The requirement catalogue: every rule ID with its title, family, severity and citations.

`specs/requirements.yaml` is the one place where rule IDs and regulatory citations live;
suites name IDs, reports look the rest up here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from harness.paths import specs_dir
from harness.yamlsource import load_document


@dataclass(frozen=True, slots=True)
class Citation:
    instrument: str
    reference: str
    url: str = ""
    verified: bool = True
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.instrument} {self.reference}"


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str
    title: str
    family: str
    severity: str
    obligation: str = ""
    citations: tuple[Citation, ...] = ()
    source: str = ""
    deviation: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@cache
def catalogue() -> dict[str, Requirement]:
    doc = load_document(specs_dir() / "requirements.yaml")
    out: dict[str, Requirement] = {}
    for entry in doc.data["requirements"]:
        cites = tuple(Citation(**c) for c in entry.get("citations", ()))
        out[entry["id"]] = Requirement(
            id=entry["id"], title=entry["title"], family=entry["family"], severity=entry["severity"],
            obligation=entry.get("obligation", ""), citations=cites, source=entry.get("source", ""),
            deviation=entry.get("deviation", ""),
        )
    return out
