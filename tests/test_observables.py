"""The observables rule over every bundled suite: a case asserts only what its rules state.

A literal (status, code, field, state value) that no requirement of the case names is the
reference bank's own choice; on a compliant bank that chose otherwise it is a false finding.
"""

from __future__ import annotations

from pathlib import Path

from harness.observables import bundled_violations, violations


def test_every_bundled_case_asserts_only_observables_of_its_requirements() -> None:
    found = bundled_violations()
    assert not found, f"{len(found)} literal(s) no rule states:\n" + "\n".join(map(str, found[:40]))


PLANTED = """\
family: stepup
title: A planted suite that asserts the reference's own error code
cases:
  - id: planted-token-code
    title: asserts a code STP-1 does not name
    requirements: [STP-1]
    severity: major
    steps:
      - method: GET
        url: /managed_accounts
        expect:
          status: 401
          json: {/errorCode: TOKEN_INVALID}
"""


def test_a_planted_literal_is_named_with_its_line(tmp_path: Path) -> None:
    suite = tmp_path / "planted.yaml"
    suite.write_text(PLANTED, encoding="utf-8")
    found = [str(e) for e in violations([suite], [])]
    assert any(
        f"{suite.name}:13:" in e and "'TOKEN_INVALID' is not an observable of STP-1" in e and "401" in e for e in found
    ), found
    assert any("field '/errorCode' is not an observable of STP-1" in e for e in found), found
    assert not any("status 401" in e for e in found), found  # the status STP-1 names is fine


def test_bundled_suites_share_their_family_library_and_copy_none_of_it() -> None:
    from harness.loader import library, load_suites
    from harness.paths import suites_dir

    for suite in load_suites([str(suites_dir())]):
        lib = library(suite.family)
        assert lib, f"no flow library for {suite.family}"
        shadowed = [name for name, flow in suite.flows.items() if name in lib and not flow.library]
        assert not shadowed, f"{suite.path} redefines library flow(s) {shadowed}"
