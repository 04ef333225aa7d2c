"""The defect registry is built from an explicit list of declaring modules: every defect of
every `*_defects.py` is listed exactly once, whatever was imported first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from harness.reference import defects
from harness.reference.defect import Defect

PACKAGE = Path(defects.__file__).parent


def test_every_defects_module_of_the_package_is_declared() -> None:
    on_disk = {f"harness.reference.{p.stem}" for p in PACKAGE.glob("*_defects.py")}
    assert {m.__name__ for m in defects.DECLARED} == on_disk


@pytest.mark.parametrize("module", defects.DECLARED, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_a_module_declares_every_name_it_defines_once_and_for_its_family(module: ModuleType) -> None:
    names = {
        value for key, value in vars(module).items() if key.isupper() and key != "FAMILY" and isinstance(value, str)
    }
    declared = [d.name for d in module.DEFECTS]
    assert sorted(declared) == sorted(names), "every name constant is declared in DEFECTS, once"
    assert {d.family for d in module.DEFECTS} == {module.FAMILY}


def test_the_registry_lists_every_declared_defect_exactly_once_in_order() -> None:
    declared = [d for module in defects.DECLARED for d in module.DEFECTS]
    assert all(isinstance(d, Defect) for d in declared)
    assert len(defects.REGISTRY) == len(declared) == len({d.name for d in declared})
    assert set(defects.REGISTRY.values()) == set(declared)
    assert defects.all_defects() == list(defects.REGISTRY.values())
    keys = [(d.rule.split("-")[0], int(d.rule.rsplit("-", 1)[1]), d.name) for d in defects.all_defects()]
    assert keys == sorted(keys)


@pytest.mark.parametrize("first", ["harness.reference.stepup_defects", "harness.reference.defects", "harness.errors"])
def test_the_registry_is_complete_whatever_is_imported_first(first: str) -> None:
    code = f"import {first}; from harness.reference.defects import REGISTRY; print(len(REGISTRY))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert int(proc.stdout) == len(defects.REGISTRY)


def test_the_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        defects.REGISTRY["new"] = next(iter(defects.REGISTRY.values()))  # type: ignore[index]
