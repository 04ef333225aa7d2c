"""What a named defect is, apart from the registry of them (`harness.reference.defects`).

Its own module because every family's `*_defects.py` declares values of it and the registry
imports those modules: with the type in the registry's module, whichever of the two is
imported first would find the other half-initialised.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Defect:
    """A fault the bank can be started with: it breaks the rule `rule` of `family` and nothing else."""

    name: str
    rule: str
    family: str
    description: str
