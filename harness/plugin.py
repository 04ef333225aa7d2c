"""The pytest plugin: YAML suites become pytest items, verdicts become exit codes.

Active in every pytest run of an environment where psd2-harness is installed (entry point
`pytest11`), so it is careful: it collects YAML only when `--target` is given or the
file lies below the bundled `suites/`, and it imports the engine only when a case runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.errors import ConfigError, NonCompliance, TargetFault
from harness.verdicts import NOT_TESTABLE, PASSED, SKIPPED, CaseResult

if TYPE_CHECKING:  # the plugin loads in every pytest run: the model only when a case runs
    from harness.model import Case, Suite

_SESSION = pytest.StashKey["HarnessSession"]()
RESULT = pytest.StashKey[CaseResult]()
"""A case item's result: set by the runner in `runtest` (or for a case that never ran, by
the report hook), read by the report hooks and the terminal; a typed value, not text."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("psd2-harness", "PSD2 conformance suites")
    group.addoption("--target", default=None, help="target file, or a built-in target name (reference)")
    group.addoption("--regime", default=None, help="regulatory regime (eu-2023, eu-2019); default: the target's")
    group.addoption("--requirement", action="append", default=[], help="run only cases of this requirement ID")
    group.addoption("--family", action="append", default=[], help="run only suites of this API family")
    group.addoption(
        "--reference-defect",
        action="append",
        default=[],
        help="start an in-process app factory with this named defect (the defect matrix)",
    )
    group.addoption("--harness-run-dir", default=None, help="write summary.json/md and manifest.json here")
    group.addoption(
        "--harness-deadline",
        type=float,
        default=None,
        help="seconds the whole run may take: a case that would start later is broken",
    )
    group.addoption(
        "--harness-allow-app",
        action="store_true",
        default=False,
        help="allow a target file's in-process app: (importing it runs its code)",
    )


def pytest_configure(config: pytest.Config) -> None:
    session = config.stash[_SESSION] = HarnessSession(config)
    if config.getoption("harness_run_dir") and not hasattr(config, "workerinput"):
        from harness.terminal import VerdictReporter

        config.pluginmanager.register(VerdictReporter(config, session), "psd2-harness-terminal")


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session is not None:
        session.close()


def _collects(config: pytest.Config, path: Path) -> bool:
    if path.suffix not in (".yaml", ".yml"):
        return False
    if config.getoption("target"):
        return True
    from harness.paths import suites_dir

    try:
        path.resolve().relative_to(suites_dir().resolve())
    except ValueError:
        return False
    return True


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> SuiteFile | None:
    if _collects(parent.config, file_path):
        return SuiteFile.from_parent(parent, path=file_path)
    return None


class SuiteFile(pytest.File):
    def collect(self) -> Iterator[CaseItem]:
        from harness.loader import build_suite, cached_suite, is_suite_document, remember_suite
        from harness.yamlsource import load_document

        suite = cached_suite(self.path)
        if suite is None:
            doc = load_document(self.path)
            if not is_suite_document(doc.data):
                return
            suite = remember_suite(self.path, build_suite(doc))
        session = self.config.stash[_SESSION]
        session.suites[str(self.path)] = suite
        for case in suite.cases:
            item = CaseItem.from_parent(self, name=case.id, suite=suite, case=case)
            for marker in _markers(suite, case, session):
                item.add_marker(marker)
            yield item

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ConfigError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


def _markers(suite: Any, case: Any, session: HarnessSession) -> list[Any]:
    markers: list[Any] = []
    if getattr(session.config.option, "allure_report_dir", None):  # labels nobody reads cost per case
        from harness.regime import load_regime
        from harness.reporting import case_markers

        try:
            regime = load_regime(session.target().regime)
        except Exception:  # a bad target is reported by the session, not by every case's labels
            regime = None
        markers = case_markers(suite, case, regime)
    return markers


class CaseItem(pytest.Item):
    def __init__(self, *, suite: Suite, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suite = suite
        self.case = case

    def runtest(self) -> None:
        """The case runs in `harness.runner`; its result is kept on the item, and pytest is told
        the outcome only so that its own reports (JUnit, allure, the terminal) file it."""
        from harness.runner import conclude, run_case

        harness = self.config.stash[_SESSION]
        deadline = self.config.getoption("harness_deadline")
        if deadline is not None and time.time() - harness.started > deadline:
            late = TargetFault(
                f"the run's deadline ({deadline:g} s, --deadline) passed before case {self.case.id} "
                "started; it did not run"
            )
            result = conclude(self.suite, self.case, late, harness.redactor)
        else:
            result = run_case(harness.context(), self.suite, self.case)
        self.stash[RESULT] = result
        if result.verdict == NOT_TESTABLE:
            from harness.reporting import NOT_TESTABLE_SKIP

            pytest.skip(NOT_TESTABLE_SKIP + result.reason)
        if result.exception is not None:
            raise result.exception

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        session = self.config.stash[_SESSION]
        value = excinfo.value
        if isinstance(value, (NonCompliance, TargetFault)):
            text = str(value)
        elif isinstance(value, ConfigError):
            text = f"configuration error: {value}"
        else:
            text = f"harness fault while running {self.case.id}:\n" + str(super().repr_failure(excinfo, style="short"))
        return session.redact(text)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, (self.case.location.line or 1) - 1, f"case {self.case.id}: {self.case.title}"


# -- selection ------------------------------------------------------------------------------


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    requirements = set(config.getoption("requirement") or [])
    families = set(config.getoption("family") or [])
    harness = config.stash[_SESSION]
    served = harness.served_families()
    keep, drop = [], []
    for item in items:
        if isinstance(item, CaseItem):
            fam = item.suite.family
            if (
                (requirements and not requirements & set(item.case.requirements))
                or (families and fam not in families)
                or fam not in served
            ):
                drop.append(item)
                continue
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# -- verdicts -------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if not isinstance(item, CaseItem):
        return report
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        result = item.stash.get(RESULT, None) if report.when == "call" else None
        if result is None or (result.verdict == PASSED and not report.passed):
            # it never reached the runner (a skip mark, a fixture that failed), or something
            # around the runner failed a case the runner passed: no passed verdict to trust
            result = _unrun_result(item, report, call)
        result.duration = report.duration
        item.stash[RESULT] = result
        report.harness_result = result.to_dict()  # plain data: pytest-xdist carries it to the controller
        report.user_properties.extend(_junit_properties(result))
    elif report.when == "teardown" and RESULT in item.stash:
        # junitxml writes only the teardown report's properties: the verdict reaches junit.xml
        report.user_properties.extend(_junit_properties(item.stash[RESULT]))
    return report


def _unrun_result(item: CaseItem, report: pytest.TestReport, call: pytest.CallInfo[None]) -> CaseResult:
    from harness.runner import conclude

    session = item.config.stash[_SESSION]
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        result = conclude(item.suite, item.case, None, session.redactor)
        result.verdict, result.reason = SKIPPED, session.redact(reason.removeprefix("Skipped: "))[:500]
        return result
    exc = call.excinfo.value if call.excinfo is not None else None
    if exc is None:  # failed without an exception: no verdict to trust
        exc = RuntimeError("the case failed without an exception")
    return conclude(item.suite, item.case, exc, session.redactor)


def _junit_properties(result: CaseResult) -> list[tuple[str, object]]:
    """The verdict as JUnit properties (an output format: read by people and `verify`)."""
    return [
        ("verdict", str(result.verdict)),
        ("reason", result.reason),
        ("requirements", " ".join(result.requirements)),
        ("severity", result.severity),
        ("family", result.family),
        ("title", result.title),
        ("requests", result.requests),
    ]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    data = getattr(report, "harness_result", None)
    if data is None or report.when == "teardown" or _current_config is None:
        return
    _current_config.stash[_SESSION].record(CaseResult.from_dict(data))


_current_config: pytest.Config | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    global _current_config
    _current_config = session.config
    session.config.stash[_SESSION].started = time.time()
    if session.config.getoption("target"):
        # a bad target file is a usage error (exit 2) named file:line, never an INTERNALERROR
        try:
            target = session.config.stash[_SESSION].target()
            if target.in_process:
                target.app_object()
        except ConfigError as exc:
            from harness.verdicts import EXIT_USAGE

            pytest.exit(str(exc), returncode=EXIT_USAGE)
        if (
            getattr(session.config.option, "numprocesses", None)
            and session.config.stash[_SESSION].target_clock() == "bank-wide"
        ):
            from harness.verdicts import EXIT_USAGE

            pytest.exit(
                "the target has a bank-wide clock: a jump lands on every case running beside it, so its "
                "cases run one at a time; expected no -n",
                returncode=EXIT_USAGE,
            )
    defects = session.config.getoption("reference_defect")
    if defects:
        # an unknown defect name is a usage error, not a broken verdict on every case
        from harness.errors import UnknownDefect
        from harness.reference.defects import ActiveDefects
        from harness.verdicts import EXIT_USAGE

        try:
            ActiveDefects(defects)
        except UnknownDefect as exc:
            pytest.exit(str(exc), returncode=EXIT_USAGE)


@pytest.hookimpl(trylast=True)  # after junitxml has written its file: the canary and SHA256SUMS cover it
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    harness = config.stash[_SESSION]
    if hasattr(config, "workerinput"):
        if harness._redactor is not None:  # values minted on this worker, for the controller's canary (memory only)
            # pytest-xdist sets workeroutput on a worker's config; pytest's Config does not declare it
            config.workeroutput["harness_secrets"] = sorted(harness._redactor.values)  # type: ignore[attr-defined]
        return
    interrupted = harness.interrupted  # Ctrl-C; pytest's INTERRUPTED also covers collection errors
    if not harness.results and not interrupted:
        return
    from harness.verdicts import EXIT_BROKEN, exit_code

    code = EXIT_BROKEN if interrupted else exit_code(harness.results.values())
    run_dir = config.getoption("harness_run_dir")
    if run_dir:
        from harness import integrity
        from harness.runfolder import write_outputs

        write_outputs(Path(run_dir), harness, code, interrupted=interrupted)
        secrets = harness.redactor.values | harness.worker_secrets
        integrity.remember_secrets(Path(run_dir), secrets)
        hits = integrity.leaks(Path(run_dir), secrets)
        late = integrity.mask_late(Path(run_dir), hits, harness.redactor) if hits else []
        hits = [rel for rel in hits if rel not in late]
        if hits:
            import sys

            print("\n" + integrity.canary_message(hits, Path(run_dir)), file=sys.stderr)
            code = EXIT_BROKEN
        if late:
            import sys

            print(
                f"\nredaction: {len(late)} evidence file(s) held, by chance, a value that became a secret only after "
                "they were written (a new OTP equal to digits of an earlier id); masked now, listed in summary.json",
                file=sys.stderr,
            )
        if hits or late:  # the summary says so (and SHA256SUMS covers the masked files as they are now)
            write_outputs(Path(run_dir), harness, code, leaks=hits, masked_late=late, interrupted=interrupted)
    session.exitstatus = code
    from harness.terminal import EXIT_KEY

    config.stash[EXIT_KEY] = code


def pytest_collection_finish(session: pytest.Session) -> None:
    harness = session.config.stash[_SESSION]
    harness.selected |= {item.name for item in session.items if isinstance(item, CaseItem)}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """xdist: the controller collects nothing itself; each worker reports what it selected."""
    if _current_config is not None:
        _current_config.stash[_SESSION].selected |= {nodeid.rsplit("::", 1)[-1] for nodeid in ids}


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    # pytest's own Interrupted (collection errors, -x) is a KeyboardInterrupt too: not a Ctrl-C
    if _current_config is not None and not isinstance(excinfo.value, pytest.Session.Interrupted):
        _current_config.stash[_SESSION].interrupted = True


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist: collect the secret values a worker registered (for the canary)."""
    values = getattr(node, "workeroutput", {}).get("harness_secrets")
    if values and _current_config is not None:
        _current_config.stash[_SESSION].worker_secrets |= frozenset(values)


# -- the session ----------------------------------------------------------------------------


class HarnessSession:
    """Per pytest session: the target, one client, the clock driver, the redactor, results."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.suites: dict[str, Any] = {}
        self.results: dict[str, CaseResult] = {}
        self.started = time.time()
        self._target: Any = None
        self._context: Any = None
        self._redactor: Any = None
        self.worker_secrets: frozenset[str] = frozenset()
        self.interrupted = False
        self.selected: set[str] = set()
        """Case ids the session selected (after every deselection), for `verify`."""
        """Ctrl-C stopped the session: no case still running may read passed."""

    @property
    def target_name(self) -> str:
        return self.config.getoption("target") or "reference"

    def target(self) -> Any:
        if self._target is None:
            from harness.target import load_target

            self._target = load_target(
                self.target_name,
                regime=self.config.getoption("regime"),
                allow_app=self.config.getoption("harness_allow_app"),
            )
        return self._target

    def target_clock(self) -> str:
        return str(self.target().clock)

    def served_families(self) -> set[str]:
        return set(self.target().families)

    @property
    def redactor(self) -> Any:
        if self._redactor is None:
            from harness.redaction import Redactor

            self._redactor = Redactor(self.target().secrets)
        return self._redactor

    def redact(self, text: str) -> str:
        return self.redactor.text(text) if self._redactor is not None or self._target is not None else text

    def context(self) -> Any:
        if self._context is None:
            from harness.runner import open_context

            self._context = open_context(
                self.target(),
                defects=self.config.getoption("reference_defect") or [],
                evidence=bool(getattr(self.config.option, "allure_report_dir", None)),
                redactor=self.redactor,
            )
        return self._context

    def record(self, result: CaseResult) -> None:
        self.results[result.case_id] = result

    def close(self) -> None:
        if self._context is not None:
            self._context.client.close()
            self._context = None


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """The allure title, set here because titles set in setup are overwritten."""
    if isinstance(item, CaseItem) and getattr(item.config.option, "allure_report_dir", None):
        from harness.reporting import pytest_runtest_teardown_title

        pytest_runtest_teardown_title(item)
