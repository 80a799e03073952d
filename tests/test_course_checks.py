"""Every module's check grades something, and only that module's work (PITFALLS 1, 2, 3).

For each module that has a check file:
- the reference passes it;
- it still passes when every LATER module is blank (a check that reaches ahead would fail students
  for work they have not been asked to do);
- it fails when this module is blank, and (slow) when any single one of its exercises is blank, in
  an otherwise complete package: a check that cannot fail grades nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tito.edition import generate_edition
from tito.grading import run_check
from tito.manifest import Exercise, Module, load_manifest, reference_package

MANIFEST = load_manifest()
REFERENCE = reference_package()
CHECKED = [m for m in MANIFEST.modules if MANIFEST.path(m.check).is_file()]
EXERCISES = [e for m in CHECKED for e in m.exercises]


def _edition(tmp_path: Path, select) -> Path:
    generate_edition(REFERENCE, tmp_path / "tinytorch", valid_modules=MANIFEST.numbers, select=select)
    return tmp_path


def _report(result) -> str:
    return f"{result.summary()}\n{result.output[-3000:]}"


@pytest.mark.parametrize("module", CHECKED, ids=lambda m: m.name)
def test_reference_passes(module: Module):
    result = run_check(MANIFEST.path(module.check), REFERENCE.parent)
    assert result.passed, _report(result)


@pytest.mark.parametrize("module", CHECKED, ids=lambda m: m.name)
def test_passes_with_later_modules_blank(module: Module, tmp_path):
    root = _edition(tmp_path, lambda region: region.module > module.number)
    result = run_check(MANIFEST.path(module.check), root)
    assert result.passed, f"check {module.check} needs code of a later module:\n{_report(result)}"


@pytest.mark.parametrize("module", CHECKED, ids=lambda m: m.name)
def test_fails_with_this_module_blank(module: Module, tmp_path):
    root = _edition(tmp_path, lambda region: region.module == module.number)
    result = run_check(MANIFEST.path(module.check), root)
    assert not result.passed, f"check {module.check} passes with module {module.nn} blank: it grades nothing"


@pytest.mark.slow
@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: f"{e.module:02d}-{e.qualname}")
def test_fails_with_one_exercise_blank(exercise: Exercise, tmp_path):
    root = _edition(
        tmp_path, lambda region: region.qualname == exercise.qualname and region.path == REFERENCE / exercise.file
    )
    module = MANIFEST.module(exercise.module)
    result = run_check(MANIFEST.path(module.check), root)
    assert not result.passed, f"check {module.check} passes with {exercise.describe()} blank: nothing tests it"
