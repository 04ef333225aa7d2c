"""The requirement catalogue: valid, complete against the contract, and strict at load."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from harness.catalogue import Requirement, catalogue, load_catalogue
from harness.errors import ConfigError, ConfigErrors
from harness.paths import specs_dir
from harness.reference.defects import all_defects
from harness.schemas import validate
from harness.yamlsource import display_path, load_document, parse_document

CATALOGUE = specs_dir() / "requirements.yaml"
RULE_ID = re.compile(r"\b(?:ESC|WFL|STP|DED|SBX)-\d+\b")
# The contract lives next to the repository (../shared/api-families.md), not inside it.
SHARED = Path(os.environ.get("PSD2_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
API_FAMILIES = SHARED / "api-families.md"
SEEDS = SHARED / "seeds"


def _contract_ids() -> set[str]:
    if not API_FAMILIES.is_file():
        pytest.skip(f"the contract {API_FAMILIES} is not there (set PSD2_SHARED_DIR)")
    return set(RULE_ID.findall(API_FAMILIES.read_text(encoding="utf-8")))


def test_bundled_catalogue_validates_against_its_schema() -> None:
    doc = load_document(CATALOGUE)
    assert validate(doc, "requirements.schema.json") == []
    assert load_catalogue(CATALOGUE)  # the semantic checks pass too


def test_catalogue_is_loaded_once() -> None:
    assert catalogue() is catalogue()
    assert all(isinstance(req, Requirement) and req.id == rid for rid, req in catalogue().items())


def test_every_rule_of_the_contract_is_catalogued() -> None:
    missing = _contract_ids() - set(catalogue())
    assert not missing, f"rules of {API_FAMILIES.name} missing from the catalogue: {sorted(missing)}"


def test_every_catalogued_rule_is_in_the_contract() -> None:
    extra = set(catalogue()) - _contract_ids()
    assert not extra, f"catalogue IDs that {API_FAMILIES.name} does not define: {sorted(extra)}"


def test_every_regulatory_rule_cites_at_least_one_https_source() -> None:
    bad = [
        rid
        for rid, req in catalogue().items()
        if not rid.startswith("SBX-") and not any(c.url.startswith("https://") for c in req.citations)
    ]
    assert not bad, f"requirements without a citation with an https URL: {bad}"


def test_sandbox_rules_are_conventions_citing_nothing() -> None:
    sandbox = {rid: req for rid, req in catalogue().items() if rid.startswith("SBX-")}
    assert sandbox
    for rid, req in sandbox.items():
        assert (req.basis, req.citations, req.source) == ("convention", (), "api-families.md"), rid


def test_citation_urls_point_at_the_instrument() -> None:
    expected = {
        "RTS (EU) 2018/389": "CELEX:32018R0389",
        "RTS (EU) 2018/389 as amended by (EU) 2022/2360": "CELEX:32022R2360",
        "PSD2 (EU) 2015/2366": "CELEX:32015L2366",
        "RFC 6749": "rfc-editor.org/rfc/rfc6749",
        "RFC 6750": "rfc-editor.org/rfc/rfc6750",
    }
    for req in catalogue().values():
        for cite in req.citations:
            assert expected[cite.instrument] in cite.url, f"{req.id} {cite.label}: {cite.url}"
            assert cite.label == f"{cite.instrument} {cite.reference}"


def test_unverified_citations_say_why() -> None:
    for req in catalogue().values():
        for cite in req.citations:
            if not cite.verified:
                assert cite.note.strip(), f"{req.id} {cite.label} is unverified without a note"


@pytest.mark.parametrize("rid", ["WFL-7", "DED-6"])
def test_source_deviations_from_the_regulation_are_recorded(rid: str) -> None:
    req = catalogue()[rid]
    assert req.deviation.strip(), f"{rid} must record how its source deviates from the regulation"
    assert "Art. 10" in req.deviation, f"{rid}: the deviation should name the clause the source contradicts"


def test_dedicated_secret_rule_stays_a_warning() -> None:
    assert catalogue()["DED-7"].severity == "warning"


def test_every_requirement_names_an_existing_source_document() -> None:
    for req in catalogue().values():
        assert req.source_document is not None and req.source_document.name == req.source, req.id
        if req.source != "api-families.md" and SEEDS.is_dir():
            assert (SEEDS / req.source).is_file(), f"{req.id}: seed {req.source} not in {SEEDS}"


def test_every_defect_of_the_reference_bank_names_a_catalogued_rule() -> None:
    known = catalogue()
    unknown = [(d.name, d.rule) for d in all_defects() if d.rule not in known]
    assert not unknown, f"defects naming rules the catalogue does not have: {unknown}"


# ----------------------------------------------------------------------- broken catalogues


def _break(text: str, old: str, new: str, after: str = "") -> str:
    start = text.index(after) if after else 0
    at = text.index(old, start)
    return text[:at] + new + text[at + len(old) :]


def _line_of(text: str, needle: str, after: str = "") -> int:
    return text[: text.index(needle, text.index(after) if after else 0)].count("\n") + 1


BREAKS = {
    # name: (old, new, after, the text on the line the error must name, the words it must say)
    "unknown severity": ("severity: warning", "severity: low", "id: DED-7", "severity: low", "'low' is not allowed"),
    "http url": (
        "url: https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3",
        "url: http://www.rfc-editor.org/rfc/rfc6749#section-4.1.3",
        "id: DED-7",
        "url: http://www.rfc-editor.org",
        "has the wrong form",
    ),
    "article-level reference": (
        "reference: Art. 4(3)(d)",
        "reference: Art. 4",
        "id: STP-7",
        "reference: Art. 4\n",
        "has the wrong form",
    ),
    "unverified without note": (
        "verified: true\n        role: basis\n        note: >-",
        "verified: false\n        role: basis\n        nota: >-",
        "id: ESC-9",
        "instrument: RTS (EU) 2018/389\n        reference: Art. 4(3)(a)",
        "'note' is missing",
    ),
    "duplicate id": (
        "id: DED-7",
        "id: DED-6",
        "id: DED-6",
        "id: DED-6\n    title: The token endpoint",
        "duplicate requirement ID 'DED-6'",
    ),
    "unknown source": (
        "source: 003_e6d676c14a82e361.txt",
        "source: 003_0000000000000000.txt",
        "id: DED-7",
        "source: 003_0000000000000000.txt",
        "unknown source",
    ),
    "regulation without a basis citation": (
        "role: basis",
        "role: context",
        "id: ESC-9",
        "basis: regulation",
        "no citation of RTS or PSD2 with role basis",
    ),
    "sandbox rule citing": (
        "citations: []",
        "citations: [{instrument: RFC 6749, reference: §7, "
        "url: 'https://www.rfc-editor.org/rfc/rfc6749', verified: true, role: basis}]",
        "id: SBX-1",
        "citations: [{instrument",
        "expected",
    ),
    "yaml syntax": (
        "severity: major",
        "severity: major: high",
        "id: SBX-1",
        "severity: major: high",
        "YAML syntax error",
    ),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_broken_catalogue_is_a_config_error_naming_file_and_line(name: str, tmp_path: Path) -> None:
    old, new, after, line_text, words = BREAKS[name]
    text = CATALOGUE.read_text(encoding="utf-8")
    broken = _break(text, old, new, after)
    assert broken != text
    path = tmp_path / "specs" / "requirements.yaml"
    path.parent.mkdir()
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_catalogue(path)
    line = _line_of(broken, line_text, after)
    message = str(info.value)
    assert f"{display_path(path)}:{line}:" in message, message
    assert words in message, message


def test_the_whole_catalogue_is_checked_in_one_pass(tmp_path: Path) -> None:
    text = CATALOGUE.read_text(encoding="utf-8")
    broken = _break(
        _break(text, "severity: warning", "severity: low", "id: DED-7"),
        "severity: critical",
        "severity: grave",
        "id: ESC-2",
    )
    path = tmp_path / "requirements.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigErrors) as info:
        load_catalogue(path)
    assert len(info.value.errors) == 2
    lines = sorted(e.location.line for e in info.value.errors)
    assert lines == sorted([_line_of(broken, "severity: low"), _line_of(broken, "severity: grave")])


def test_schema_rejects_a_bad_document_with_locations() -> None:
    doc = parse_document(
        "sources:\n"
        "  api-families.md: {title: contract, what: the contract}\n"
        "requirements:\n"
        "  - id: STP-7\n"
        "    title: idle\n"
        "    family: dedicated\n"
        "    severity: critical\n"
        "    basis: regulation\n"
        "    obligation: The token expires after five idle minutes.\n"
        "    source: api-families.md\n"
        "    citations:\n"
        "      - {instrument: RTS (EU) 2018/389, reference: Art. 4(3)(d), verified: true, role: basis,\n"
        "         url: 'https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32015L2366'}\n",
        Path("bad-requirements.yaml"),
    )
    errors = validate(doc, "requirements.schema.json")
    assert any(e.location.line == 6 and "'stepup' was expected" in e.message for e in errors), errors
    assert any(e.location.line == 13 and "CELEX:32018R0389" in e.message for e in errors), errors
    assert all(str(e).startswith("bad-requirements.yaml:") for e in errors)
