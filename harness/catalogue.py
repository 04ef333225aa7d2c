"""The requirement catalogue: every rule ID with its obligation, citations and source.

`specs/requirements.yaml` is the one place where rule IDs and regulatory citations live;
suites name IDs, reports look the rest up here. The file is validated against
`specs/requirements.schema.json` when it is loaded, then checked for what a schema cannot
say (unique IDs, sources that exist); every problem is a `ConfigError` naming
`file:line:column`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, ConfigErrors
from harness.paths import specs_dir
from harness.schemas import validate
from harness.yamlsource import load_document

SCHEMA = "requirements.schema.json"

# basis -> the instruments (by prefix) of which at least one citation must be `role: basis`
_BASIS_INSTRUMENTS = {"regulation": ("RTS ", "PSD2 "), "standard": ("RFC ",)}


@dataclass(frozen=True, slots=True)
class Citation:
    instrument: str
    reference: str
    url: str = ""
    verified: bool = True
    note: str = ""
    role: str = "basis"
    """`basis`: the clause requires what the rule checks; `context`: it does not, as written."""

    @property
    def label(self) -> str:
        return f"{self.instrument} {self.reference}"

    @property
    def article_url(self) -> str:
        """`url`, at the cited article where EUR-Lex has an anchor: the HTML of the CELEX
        document with `#art_N` for a reference `Art. N...`. An article that an amending act
        replaced or inserted (Art. 10, 10a of the RTS, cited at CELEX 32022R2360) lies in
        that act's Art. 1, which holds the new text. Other links (RFCs) are kept as they are."""
        eurlex = _EURLEX.match(self.url)
        article = _ARTICLE.match(self.reference)
        if eurlex is None or article is None:
            return self.url
        lang, celex = eurlex.groups()
        return (
            f"https://eur-lex.europa.eu/legal-content/{lang}/TXT/HTML/?uri=CELEX:{celex}"
            f"#art_{_AMENDING_ACTS.get(celex, article.group(1))}"
        )


_EURLEX = re.compile(r"^https://eur-lex\.europa\.eu/legal-content/([A-Z]{2})/TXT/(?:HTML/)?\?uri=CELEX:([0-9A-Z]+)$")
_ARTICLE = re.compile(r"^Art\.\s*([0-9]+[a-z]?)\b")
_AMENDING_ACTS = {"32022R2360": "1"}
"""CELEX of an amending act -> the article of it that holds the amendments."""


@dataclass(frozen=True, slots=True)
class Source:
    """A document rules come from: a seed of `../shared/seeds/` or `api-families.md`."""

    name: str
    title: str
    what: str
    publisher: str = ""
    url: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Observables:
    """What a rule lets a case observe, traced to the contract's words. A case may assert
    these and nothing else: a code the contract does not name is the reference's choice,
    and asserting it would fail every compliant bank that chose otherwise."""

    words: str = ""
    statuses: tuple[int | str, ...] = ()
    values: tuple[Any, ...] = ()
    fields: tuple[str, ...] = ()

    def allows_status(self, status: int | str) -> bool:
        if status in self.statuses:
            return True
        # a status of a class the rule names ("4xx") is allowed; the class itself only if named
        return isinstance(status, int) and f"{str(status)[0]}xx" in self.statuses

    def allows_value(self, value: Any) -> bool:
        return any(value == v and type(value) is type(v) for v in self.values)


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str
    title: str
    family: str
    severity: str
    obligation: str = ""
    citations: tuple[Citation, ...] = ()
    source: str = ""
    """The file name of the source document (a key of `sources`)."""
    deviation: str = ""
    """Where the source document contradicts the regulation, and what the contract does."""
    basis: str = "regulation"
    """`regulation` (RTS or PSD2), `standard` (RFC), `source` (product behaviour) or `convention` (harness)."""
    note: str = ""
    source_document: Source | None = None
    observables: Observables = Observables()


def load_catalogue(path: str | Path) -> dict[str, Requirement]:
    """Read and check one catalogue file; raises `ConfigErrors` listing every problem."""
    doc = load_document(path)
    if not isinstance(doc.data, dict):
        raise ConfigErrors([doc.error("the catalogue must be a YAML mapping; expected keys sources, requirements")])
    errors = validate(doc, SCHEMA)
    if errors:
        raise ConfigErrors(errors)
    sources = {
        name: Source(
            name=name,
            title=s["title"],
            what=s["what"],
            publisher=s.get("publisher", ""),
            url=s.get("url", ""),
            note=s.get("note", ""),
        )
        for name, s in doc.data["sources"].items()
    }
    out: dict[str, Requirement] = {}
    problems: list[ConfigError] = []
    for i, entry in enumerate(doc.data["requirements"]):
        rid = entry["id"]
        if rid in out:
            problems.append(
                doc.error(f"duplicate requirement ID {rid!r}; expected each ID once", ("requirements", i, "id"))
            )
            continue
        if entry["source"] not in sources:
            problems.append(
                doc.error(
                    f"unknown source {entry['source']!r}; expected one of: {', '.join(sources)}",
                    ("requirements", i, "source"),
                )
            )
            continue
        wanted = _BASIS_INSTRUMENTS.get(entry["basis"])
        if wanted and not any(c["role"] == "basis" and c["instrument"].startswith(wanted) for c in entry["citations"]):
            problems.append(
                doc.error(
                    f"{rid} has basis {entry['basis']} but no citation of {' or '.join(w.strip() for w in wanted)} "
                    f"with role basis; expected one, or basis source if every citation is context",
                    ("requirements", i, "basis"),
                )
            )
            continue
        cites = tuple(
            Citation(
                instrument=c["instrument"],
                reference=c["reference"],
                url=c["url"],
                verified=c["verified"],
                note=c.get("note", ""),
                role=c["role"],
            )
            for c in entry["citations"]
        )
        out[rid] = Requirement(
            id=rid,
            title=entry["title"],
            family=entry["family"],
            severity=entry["severity"],
            obligation=entry["obligation"],
            citations=cites,
            source=entry["source"],
            deviation=entry.get("deviation", ""),
            basis=entry["basis"],
            note=entry.get("note", ""),
            source_document=sources[entry["source"]],
            observables=_observables(entry.get("observables")),
        )
    if problems:
        raise ConfigErrors(problems)
    return out


def _observables(raw: dict[str, Any] | None) -> Observables:
    if not raw:
        return Observables()
    return Observables(
        words=raw["words"],
        statuses=tuple(raw["statuses"]),
        values=tuple(raw.get("values") or ()),
        fields=tuple(raw.get("fields") or ()),
    )


@cache
def catalogue() -> dict[str, Requirement]:
    """The bundled catalogue, loaded and checked once per process."""
    return load_catalogue(specs_dir() / "requirements.yaml")
