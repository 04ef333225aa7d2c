"""Exceptions, split by who is at fault, because each maps to a verdict and an exit code.

Every exception the harness raises on purpose is a `HarnessError`; callers catch a class,
never compare names:

- `ConfigError` (exit 2): a suite, target or option is wrong; always names file:line:column.
- `NonCompliance` (verdict failed, exit 1): the bank broke a rule; an `AssertionError`, so
  allure and pytest file it under *failed*.
- `TargetFault` (verdict broken, exit 3): the bank could not be tested (refused connection,
  timeout, unparseable answer).
- `NotTestable` (exit 4 for required cases): the target lacks a capability the case needs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


class HarnessError(Exception):
    """The root: anything the harness raises on purpose (not a bug)."""


class ConfigError(HarnessError):
    """Bad input: `file:line:column: what is wrong; what is expected`."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class ConfigErrors(ConfigError):
    """Several input errors found in one pass, reported together."""

    def __init__(self, errors: list[ConfigError]) -> None:
        unique = list({str(e): e for e in errors}.values())  # a YAML alias repeats its node's errors
        super().__init__("\n".join(str(e) for e in unique))
        self.errors = unique

    def __str__(self) -> str:
        return self.message


class UnknownDefect(ConfigError, ValueError):
    """A defect name nobody registered; the message lists the known ones."""


class UnknownRegime(ConfigError, KeyError):
    """A regime name that `specs/regimes.yaml` does not define."""

    def __str__(self) -> str:
        return self.message


class DurationError(ConfigError, ValueError):
    """A duration that does not parse; the message says what is expected."""


class SchemaRefError(ConfigError, ValueError):
    """A `schema:` reference that does not lead to a schema."""


class MissingValue(HarnessError, LookupError):
    """A `${...}` reference whose value is not available at run time."""


class NonCompliance(AssertionError, HarnessError):
    """The bank did not do what the rule says. The text is the finding, already redacted."""


class TargetFault(HarnessError):
    """The target could not be tested: connection, timeout, or an answer that does not parse."""


class PreconditionNotMet(TargetFault):
    """A setup step (creating a PSU, logging in, consenting) did not work: the case never
    reached its rule, so it is broken, never failed. The text names the step and what came back."""


class NotTestable(HarnessError):
    """The case needs a capability the target does not declare; the text is the reason."""
