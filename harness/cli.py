"""`psd2-harness`: run, validate and list conformance suites; serve the reference bank.

Imports stay inside the commands so `--help` and `list` start fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from harness.verdicts import EXIT_CODES_HELP, EXIT_USAGE

RUN_EPILOG = (
    EXIT_CODES_HELP
    + """

\b
Examples:
  psd2-harness run                                  all bundled suites, reference bank
  psd2-harness run --target mybank.yaml suites/stepup
  psd2-harness run --requirement STP-7 -n 2
  psd2-harness run --defect stp-session-never-idles  reference bank with a defect
"""
)


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(EXIT_USAGE)


def _default_paths(paths: tuple[str, ...]) -> list[str]:
    if paths:
        return list(paths)
    from harness.paths import suites_dir

    return [str(suites_dir())]


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EXIT_CODES_HELP.replace("Exit codes:", "Exit codes of run:", 1),
)
@click.version_option(package_name="psd2-harness")
def main() -> None:
    """PSD2 SCA conformance harness: YAML suites run against a bank (ASPSP) endpoint."""


@main.command(epilog=RUN_EPILOG)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--target",
    "target_name",
    default="reference",
    show_default=True,
    help="A target file, or the built-in target 'reference'.",
)
@click.option("--regime", default=None, help="Regime: eu-2023 (default) or eu-2019; overrides the target's.")
@click.option("-k", "keyword", default=None, help="Only cases whose id matches this pytest -k expression.")
@click.option("--requirement", multiple=True, help="Only cases of this requirement ID (repeatable).")
@click.option("--family", multiple=True, help="Only suites of this API family (repeatable).")
@click.option(
    "--report-dir",
    default="reports",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the run folder <UTC timestamp>-<target>/ is created.",
)
@click.option("-n", "workers", default=0, type=click.IntRange(min=0), help="Run cases on N worker processes.")
@click.option("--defect", multiple=True, help="Start the in-process reference bank with this defect (repeatable).")
@click.option("-v", "--verbose", is_flag=True, help="One line per case.")
@click.option("--html", is_flag=True, help="Also write report.html (Allure 3 single file; needs Node.js).")
@click.option("--allow-app", is_flag=True, help="Allow the target file's in-process app: (importing it runs its code).")
@click.option(
    "--sign-key",
    type=click.Path(dir_okay=False),
    default=None,
    help="Sign the run folder's SHA256SUMS with this Ed25519 private key (PEM; see keygen).",
)
@click.option(
    "--sign-key-passphrase-env",
    metavar="NAME",
    default=None,
    help="The environment variable holding the --sign-key passphrase (never on the command line).",
)
@click.option(
    "--deadline",
    type=click.FloatRange(min=1),
    default=None,
    help="Seconds the whole run may take; a case that would start later is broken (each exchange has "
    "its own total deadline too: the target's timeouts).",
)
def run(
    paths: tuple[str, ...],
    target_name: str,
    regime: str | None,
    keyword: str | None,
    requirement: tuple[str, ...],
    family: tuple[str, ...],
    report_dir: str,
    workers: int,
    defect: tuple[str, ...],
    verbose: bool,
    html: bool,
    allow_app: bool,
    sign_key: str | None,
    sign_key_passphrase_env: str | None,
    deadline: float | None,
) -> None:
    """Run conformance suites (default: every bundled suite) against a target."""
    from harness.errors import ConfigError
    from harness.loader import load_suites
    from harness.target import load_target

    suite_paths = _default_paths(paths)
    _check_selection(requirement, family)
    signer = _load_signer(sign_key, sign_key_passphrase_env)  # a bad key is exit 2 before anything runs
    try:
        target = load_target(target_name, regime=regime, allow_app=allow_app)
        if target.in_process:
            target.app_object()
        load_suites(suite_paths)
        if defect:
            target.load_app(list(defect))
    except ConfigError as exc:
        _fail(str(exc))
    if target.defaults:
        click.echo(f"target {target.name}: not stated in the target file, so: {', '.join(target.defaults)}", err=True)
    try:
        code, message = _preflight(target, suite_paths, requirement, family, list(defect))
    except ConfigError as exc:  # an app factory that refuses its app_args, for one
        _fail(str(exc))
    if code:
        click.echo(message, err=True)
        sys.exit(code)
    code = run_pytest(
        suite_paths,
        target_name=target_name,
        regime=regime,
        keyword=keyword,
        requirements=requirement,
        families=family,
        report_dir=report_dir,
        workers=workers,
        defects=defect,
        verbose=verbose,
        html=html,
        allow_app=allow_app,
        signer=signer,
        extra=["--harness-deadline", str(deadline)] if deadline else None,
    )
    sys.exit(code)


def _load_signer(path: str | None, passphrase_env: str | None) -> Any:
    if path is None:
        if passphrase_env:
            _fail("--sign-key-passphrase-env needs --sign-key")
        return None
    from harness.signing import SigningError, load_signer

    try:
        return load_signer(path, passphrase_env)
    except SigningError as exc:
        _fail(str(exc))


def _check_selection(requirements: tuple[str, ...], families: tuple[str, ...]) -> None:
    """An unknown --requirement or --family is a usage error naming it, before any folder is made."""
    import difflib

    from harness import openapi
    from harness.catalogue import catalogue

    for option, given, known in (
        ("--requirement", requirements, list(catalogue())),
        ("--family", families, openapi.known_families()),
    ):
        for name in given:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                _fail(f"{option} {name}: no such {option[2:]}{hint}; expected one of: {', '.join(known)}")


def _preflight(
    target: Any, paths: list[str], requirements: tuple[str, ...], families: tuple[str, ...], defects: list[str]
) -> tuple[int, str]:
    """Reachability and the facts the selected cases read, before pytest starts: a bank that
    is down, or a fact the target does not map, is one message, not a broken case each."""
    from harness.doctor import preflight
    from harness.loader import load_suites

    suites = [s for s in load_suites(paths) if not families or s.family in families]
    cases = {c.id for s in suites for c in s.cases if not requirements or set(requirements) & set(c.requirements)}
    # -k is pytest's expression language, not evaluated here: the facts of every case the
    # requirement and family filters leave are checked (a superset of what -k selects)
    return preflight(target, suites, cases, defects)


_OUTSIDE_SETTINGS = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")


def _sealed_pytest(args: list[str], *, allure: bool, workers: int) -> int:
    """pytest with nothing from outside the harness: no PYTEST_ADDOPTS, no plugin the
    environment auto-loads, no conftest.py (one beside a bank's suites could turn verdicts
    green), no ini file but the harness's own. The plugins a run needs are named here."""
    import os

    import pytest

    sealed = [*args, "--noconftest", "-p", "harness.plugin"]
    if allure:
        sealed += ["-p", "allure_pytest.plugin"]
    if workers:
        sealed += ["-p", "xdist.plugin"]
    saved = {name: os.environ.pop(name) for name in _OUTSIDE_SETTINGS if name in os.environ}
    autoload = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        return int(pytest.main(sealed))
    finally:
        os.environ.update(saved)
        if autoload is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = autoload


def _bank_wide(target_name: str, regime: str | None, allow_app: bool) -> bool:
    from harness.errors import ConfigError
    from harness.target import load_target

    try:
        return load_target(target_name, regime=regime, allow_app=allow_app).clock == "bank-wide"
    except ConfigError:
        return False  # the session reports the target's errors


def run_pytest(
    paths: list[str],
    *,
    target_name: str,
    regime: str | None = None,
    keyword: str | None = None,
    requirements: tuple[str, ...] = (),
    families: tuple[str, ...] = (),
    report_dir: str = "reports",
    workers: int = 0,
    defects: tuple[str, ...] = (),
    verbose: bool = False,
    allure: bool = True,
    extra: list[str] | None = None,
    html: bool = False,
    allow_app: bool = True,
    signer: Any = None,
) -> int:
    """Call pytest on the suites with the harness plugin; returns the harness exit code.
    `allow_app`: the target file's in-process app may be imported (the CLI asks for --allow-app).
    `signer` (harness.signing.load_signer): sign SHA256SUMS once everything else is written."""

    from harness.runfolder import create_run_dir

    run_dir = create_run_dir(
        report_dir, Path(target_name).stem if target_name.endswith((".yaml", ".yml")) else target_name
    )
    args = [
        *paths,
        "--target",
        target_name,
        "--harness-run-dir",
        str(run_dir),
        "--junitxml",
        str(run_dir / "junit.xml"),
        "-c",
        str(Path(__file__).with_name("run.ini")),
        "--rootdir",
        str(Path.cwd()),
        "-p",
        "no:cacheprovider",
        "-q" if not verbose else "-v",
        "--no-header",
        "-rN",
    ]  # the harness prints its own closing table (harness/terminal.py)
    if allure:
        args += ["--alluredir", str(run_dir / "allure-results"), "--allure-no-capture"]
    if regime:
        args += ["--regime", regime]
    if allow_app:
        args += ["--harness-allow-app"]
    if keyword:
        args += ["-k", keyword]
    for rid in requirements:
        args += ["--requirement", rid]
    for fam in families:
        args += ["--family", fam]
    for name in defects:
        args += ["--reference-defect", name]
    if workers and _bank_wide(target_name, regime, allow_app):
        # a jump of the one clock lands on every case running beside it, so none may run beside
        # it (xdist's groups cannot be relied on: pytest 9 no longer lets them mark node ids)
        click.echo("the target has a bank-wide clock: cases run one at a time (-n ignored)", err=True)
        workers = 0
    if workers:
        args += ["-n", str(workers), "--dist", "loadgroup"]
    args += extra or []
    code = _sealed_pytest(args, allure=allure, workers=workers)
    if code in (4, 5) and not (run_dir / "summary.json").exists():
        # pytest's usage error (a bad -k expression) or nothing selected: no run happened, and
        # a half-written folder would read as an altered one to `verify`
        import shutil

        shutil.rmtree(run_dir, ignore_errors=True)
        click.echo(
            "no case matched the selection"
            if code == 5
            else "pytest refused an option (see the message above); nothing ran",
            err=True,
        )
        return EXIT_USAGE
    click.echo(f"run folder: {run_dir}")
    if html and allure and code != EXIT_USAGE:
        from harness.audit import write_allure_html

        html_code = write_allure_html(run_dir)
        code = html_code if html_code == 3 else (code or html_code)  # a leak in report.html is exit 3
    if signer is not None:  # last: SHA256SUMS (rewritten by report.html above) covers every other file
        from harness.signing import sign_and_say

        code = sign_and_say(run_dir, signer, code)
    return code


@main.command(
    epilog="""\b
Exit codes:
  0  the target is wired for the selected suites: a run can start
  2  the target file needs a change (each one is printed with the YAML to add)
  3  the bank cannot be reached"""
)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--target", "target_name", required=True, help="A target file, or a built-in target name.")
@click.option("--family", multiple=True, help="Only suites of this API family (repeatable).")
@click.option("--allow-app", is_flag=True, help="Allow the target file's in-process app: (importing it runs its code).")
def doctor(paths: tuple[str, ...], target_name: str, family: tuple[str, ...], allow_app: bool) -> None:
    """Check a target's wiring for the selected suites (default: all bundled) in seconds.

    Probes the base URL, every operation the suites use (at its mapped method and path),
    the sandbox's new PSU and every fact the suites read, the library flows (login,
    consent, step-up, OTP) and the clock. Prints a checklist with the YAML to add.
    """
    from harness.doctor import diagnose
    from harness.errors import ConfigError
    from harness.loader import load_suites
    from harness.target import load_target

    try:
        target = load_target(target_name, allow_app=allow_app)
        if target.in_process:
            target.app_object()
        suites = [s for s in load_suites(_default_paths(paths)) if not family or s.family in family]
    except ConfigError as exc:
        _fail(str(exc))
    try:
        report = diagnose(target, suites)
    except ConfigError as exc:
        _fail(str(exc))
    for line in report.lines():
        click.echo(line)
    sys.exit(report.exit_code)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
def validate(files: tuple[str, ...]) -> None:
    """Check suite files, folders of suites, and target files, without running anything.

    Exit 0 when every file is valid, 2 otherwise (each error as file:line:column).
    """
    from harness.errors import ConfigError, ConfigErrors
    from harness.loader import build_suite, is_library_document, is_suite_document, load_library_file, suite_files
    from harness.target import load_target
    from harness.yamlsource import load_document

    bad = 0
    try:
        found = suite_files(files)
    except ConfigError as exc:
        _fail(str(exc))
    if not found:
        _fail(f"no YAML file found in {', '.join(files)}; expected suite or target files (.yaml, .yml)")
    for path in found:
        try:
            doc = load_document(path)
            if is_suite_document(doc.data):
                suite = build_suite(doc)
                click.echo(f"{doc.display}: ok, suite with {len(suite.cases)} case(s)")
            elif is_library_document(doc.data):
                flows = load_library_file(Path(path))
                click.echo(f"{doc.display}: ok, {doc.data['library']} flow library with {len(flows)} flow(s)")
            else:
                target = load_target(path)  # never imports app: (a target file is data)
                click.echo(
                    f"{doc.display}: ok, target {target.name} ({', '.join(target.families)})"
                    + (f"; app {target.app} not imported" if target.in_process else "")
                    + (f"; not stated, so: {', '.join(target.defaults)}" if target.defaults else "")
                )
        except ConfigErrors as exc:
            bad += len(exc.errors)
            click.echo(str(exc), err=True)
        except ConfigError as exc:
            bad += 1
            click.echo(str(exc), err=True)
    if bad:
        click.echo(f"{bad} error(s)", err=True)
        sys.exit(EXIT_USAGE)


@main.command("list")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--requirements", "by_requirement", is_flag=True, help="Each requirement with its cases.")
def list_cases(paths: tuple[str, ...], by_requirement: bool) -> None:
    """List cases with their requirements and needs (default: the bundled suites)."""
    from harness.catalogue import catalogue
    from harness.errors import ConfigError
    from harness.loader import load_suites

    try:
        suites = load_suites(_default_paths(paths))
    except ConfigError as exc:
        _fail(str(exc))
    if by_requirement:
        cases: dict[str, list[str]] = {}
        for suite in suites:
            for case in suite.cases:
                for rid in case.requirements:
                    cases.setdefault(rid, []).append(case.id)
        for rid, req in catalogue().items():
            found = cases.get(rid, [])
            click.echo(f"{rid:7} {req.severity:8} {req.title}")
            cites = "; ".join(c.label + ("" if c.verified else " (unverified)") for c in req.citations)
            click.echo(f"        citations: {cites or f'none ({req.basis})'}")
            click.echo("        cases: " + (", ".join(found) if found else "NO CASE"))
        return
    rows = [("CASE", "FAMILY", "REQUIREMENTS", "NEEDS", "TITLE")]
    rows += [
        (case.id, suite.family, " ".join(case.requirements), ",".join(sorted(case.needs)) or "-", case.title)
        for suite in suites
        for case in suite.cases
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)) + "  " + row[4])


@main.command(
    epilog="""\b
Exit codes:
  0  every defect caught by a failing case of its own rule, no case failing on the
     compliant bank, every case failing under at least one defect
  1  a gap in the matrix (listed)
  2  usage error"""
)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-n", "workers", default=0, type=click.IntRange(min=0), help="Worker processes (default: one per core).")
@click.option("--defect", "only", multiple=True, help="Only these defects (repeatable).")
@click.option(
    "--json", "json_out", default=None, type=click.Path(dir_okay=False), help="Also write the matrix as JSON."
)
@click.option(
    "--target",
    "target_name",
    default="reference",
    show_default=True,
    help="An in-process app factory that takes defects: reference, or reference-alt (the second dialect).",
)
@click.option("--allow-app", is_flag=True, help="Allow the target file's in-process app: (importing it runs its code).")
def matrix(
    paths: tuple[str, ...], workers: int, only: tuple[str, ...], json_out: str | None, target_name: str, allow_app: bool
) -> None:
    """The defect matrix: run the suites against the reference bank with each defect alone.

    Proves that every conformance case can fail and that every defect is caught by a case
    of its own rule. Prints rule, cases and defects caught.
    """
    from harness.matrix import main as run_matrix

    sys.exit(
        run_matrix(
            _default_paths(paths),
            workers=workers,
            only=only,
            json_out=json_out,
            target=target_name,
            allow_app=allow_app,
        )
    )


@main.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
def report(run_dir: str) -> None:
    """Write RUN_DIR/report.html: one self-contained Allure 3 file (needs Node.js).

    Exit 2 when Node.js or the pinned Allure package cannot be used.
    """
    from harness.audit import write_allure_html

    sys.exit(write_allure_html(Path(run_dir)))


@main.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Check RUN_DIR/SHA256SUMS.sig with this Ed25519 public key (PEM, the .pub of keygen).",
)
def verify(run_dir: str, public_key: str | None) -> None:
    """Recheck RUN_DIR/SHA256SUMS, recount the verdicts from the raw results and compare them
    with summary.json, summary.md and summary.html; with --public-key, check the signature.

    Exit 0 when the folder is intact (and, with --public-key, signed by that key), 1 when
    anything was altered or the signature is missing or not by that key, 2 when the key
    cannot be read.
    """
    from harness.audit import verify_run_dir

    sys.exit(verify_run_dir(Path(run_dir), public_key=Path(public_key) if public_key else None))


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--passphrase-env",
    metavar="NAME",
    default=None,
    help="Encrypt the key with the passphrase held by this environment variable.",
)
def keygen(path: str, passphrase_env: str | None) -> None:
    """Write a new Ed25519 signing key: PATH (private, mode 0600) and PATH.pub (public).

    Sign runs with `run --sign-key PATH`; give auditors PATH.pub for `verify --public-key`.
    Never overwrites a file. Exit 2 when a file exists or cannot be written.
    """
    from harness.signing import SigningError
    from harness.signing import keygen as make_key

    try:
        private, public, fingerprint = make_key(path, passphrase_env)
    except SigningError as exc:
        _fail(str(exc))
    click.echo(f"private key: {private} (mode 0600; keep it secret)")
    click.echo(f"public key:  {public} (give it to whoever verifies)")
    click.echo(f"fingerprint: {fingerprint}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback unless said).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--defect", multiple=True, help="Inject this named defect (repeatable).")
@click.option("--regime", default="eu-2023", show_default=True)
@click.option("--list-defects", is_flag=True, help="Print every defect with its rule, and exit.")
@click.option(
    "--dialect",
    type=click.Choice(["reference", "alt"]),
    default="reference",
    show_default=True,
    help="alt: the same rules, every choice the contract leaves open made differently (target reference-alt).",
)
def serve(host: str, port: int, defect: tuple[str, ...], regime: str, list_defects: bool, dialect: str) -> None:
    """Serve the reference bank over HTTP with uvicorn."""
    from harness.serve import serve as do_serve

    do_serve(host=host, port=port, defects=defect, regime=regime, list_only=list_defects, dialect=dialect)


if __name__ == "__main__":
    main()
