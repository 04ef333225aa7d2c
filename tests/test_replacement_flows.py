"""A target replaces a library flow with its own steps: checked against the library's
arguments and exports at load (file:line), and run in the library flow's place."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ConfigErrors
from harness.target import load_target

BASE = """\
name: replacing
app: harness.reference.app:create_app
factory: true
families:
  dedicated:
    base_path: /dedicated
    flows:
      consent:
        steps:
{steps}
"""

GOOD = """\
          - flow: authorize
            with: {tpp: "${args.tpp}", scope: "${args.scope}"}
          - title: the PSU approves on the consent page, by form
            request: submitConsent
            form:
              requestId: ${requestId}
              username: ${args.psu.username}
              password: ${args.psu.password}
              approve: "true"
              scope: ${args.scope}
            expect: {status: 3xx}
            capture: {code: {location_query: code}}
"""


def _write(tmp_path: Path, steps: str) -> Path:
    path = tmp_path / "replacing.yaml"
    path.write_text(BASE.format(steps=steps), encoding="utf-8")
    return path


def test_a_replacement_is_loaded_in_the_library_flows_place(tmp_path: Path) -> None:
    target = load_target(_write(tmp_path, GOOD))
    flow = target.families["dedicated"].flows["consent"]
    assert flow.args == ("psu", "tpp", "scope") and flow.exports == frozenset({"code"})
    assert flow.location.file.endswith("replacing.yaml") and flow.location.line == 9


def test_a_replaced_consent_flow_runs_the_bundled_dedicated_suites(tmp_path: Path) -> None:
    import json

    from harness.cli import run_pytest
    from harness.paths import suites_dir

    target = _write(tmp_path, GOOD)
    code = run_pytest(
        [str(suites_dir() / "dedicated")], target_name=str(target), report_dir=str(tmp_path / "r"), allure=False
    )
    summary = json.loads(next((tmp_path / "r").glob("*/summary.json")).read_text())
    assert code == 0, [c for c in summary["cases"] if c["verdict"] != "passed"]


def test_a_replacement_that_does_not_define_an_export_is_refused_at_load(tmp_path: Path) -> None:
    without_code = GOOD.replace("            capture: {code: {location_query: code}}\n", "")
    with pytest.raises(ConfigErrors) as info:
        load_target(_write(tmp_path, without_code))
    text = str(info.value)
    assert "replacing.yaml:10:" in text, text
    assert "flow 'consent' does not define code, which library flow 'consent' declares as exports" in text


@pytest.mark.parametrize(
    "steps,message",
    [
        ("          - request: noSuchOperation\n", "unknown operationId 'noSuchOperation' for family dedicated"),
        (
            '          - flow: authorize\n            with: {tpp: "${args.client}", scope: "${args.scope}"}\n',
            "undefined flow argument ${args.client}; expected one of: psu, scope, tpp",
        ),
        (
            '          - request: authorize\n            query: {username: "${args.psu.login}"}\n',
            "'login' is not a fact of a dedicated PSU",
        ),
    ],
)
def test_a_wrong_replacement_names_its_line(tmp_path: Path, steps: str, message: str) -> None:
    with pytest.raises(ConfigErrors) as info:
        load_target(_write(tmp_path, steps))
    assert message in str(info.value) and "replacing.yaml:" in str(info.value), str(info.value)


def test_only_library_flows_can_be_replaced(tmp_path: Path) -> None:
    path = tmp_path / "replacing.yaml"
    path.write_text(BASE.format(steps=GOOD).replace("      consent:", "      consnet:"), encoding="utf-8")
    with pytest.raises(ConfigErrors) as info:
        load_target(path)
    assert "the dedicated flow library has no flow 'consnet' to replace" in str(info.value)
    assert "replacing.yaml:9:" in str(info.value)
