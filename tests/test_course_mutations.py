"""Planted bugs: every graded check catches a realistic mistake in every exercise, and says where.

Blanking an exercise (tests/test_course_checks.py) proves a check notices a missing function; it
does not prove the check notices a WRONG one. `src/tito/course/mutations.json` holds, for every
exercise of every module that has a check, one realistic bug: replace `find` by `replace` inside that
exercise's region (an axis off by one, a term dropped, a sign flipped, keepdim lost, ...). For each:

- the mutation applies cleanly: `find` occurs exactly once in the region and the file still compiles
  (fast test);
- the module's check FAILS on the reference with only that bug planted, and its first failure points
  the student at the mutated function: the `look at:` line names it, the error was raised inside it,
  or the failing test's name contains it (slow test).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tito.grading import GradeResult, run_check
from tito.grading import TestOutcome as Outcome  # not "Test...": pytest would try to collect it
from tito.manifest import Exercise, load_manifest, reference_package
from tito.regions import Region, find_regions

MANIFEST = load_manifest()
REFERENCE = reference_package()
MUTATIONS_FILE = MANIFEST.course_dir / "mutations.json"
CHECKED = [m for m in MANIFEST.modules if MANIFEST.path(m.check).is_file()]
FIELDS = {"file", "qualname", "find", "replace", "bug"}


@dataclass(frozen=True)
class Mutation:
    file: str
    qualname: str
    find: str
    replace: str
    bug: str

    @property
    def exercise(self) -> Exercise:
        return MANIFEST.find_exercise(self.qualname, self.file)

    @property
    def id(self) -> str:
        """'02-matmul'; '??-name' for a name that is no exercise (the fast tests then say so)."""
        try:
            return f"{self.exercise.module:02d}-{self.qualname}"
        except LookupError:
            return f"??-{self.qualname}"


def _load_mutations() -> list[Mutation]:
    raw = json.loads(MUTATIONS_FILE.read_text(encoding="utf-8"))
    return [Mutation(**{key: entry.get(key, "") for key in FIELDS}) for entry in raw["mutations"]]


MUTATIONS = _load_mutations()


def _region(text: str, path: Path, qualname: str) -> Region:
    found = [r for r in find_regions(text, path, MANIFEST.numbers) if r.qualname == qualname]
    if len(found) != 1:
        raise AssertionError(f"{path}: {len(found)} regions in {qualname}, expected 1")
    return found[0]


def mutated_text(mutation: Mutation, text: str, path: Path) -> str:
    """`text` with `find` replaced by `replace` inside the exercise's region (which must hold it once)."""
    region = _region(text, path, mutation.qualname)
    lines = text.splitlines(keepends=True)
    inside = "".join(lines[region.begin : region.end - 1])  # the body between the markers
    count = inside.count(mutation.find)
    if count != 1:
        raise AssertionError(
            f"mutation of {mutation.qualname}: {mutation.find!r} occurs {count} times in its region "
            f"({path.name}:{region.begin}-{region.end}), expected exactly once"
        )
    before = "".join(lines[: region.begin])
    after = "".join(lines[region.end - 1 :])
    return before + inside.replace(mutation.find, mutation.replace) + after


def plant(mutation: Mutation, root: Path) -> Path:
    """A copy of the reference package under `root` with `mutation` applied; returns `root`."""
    package = root / "tinytorch"
    shutil.copytree(REFERENCE, package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    path = package / mutation.file
    text = mutated_text(mutation, path.read_text(encoding="utf-8"), path)
    compile(text, str(path), "exec")
    path.write_text(text, encoding="utf-8")
    return root


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _function_span(path: Path, qualname: str) -> tuple[int, int]:
    """First and last line of the function holding the exercise's region, in the mutated file."""
    text = path.read_text(encoding="utf-8")
    region = _region(text, path, qualname)
    starts = [
        node.lineno
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef) and node.lineno < region.begin <= (node.end_lineno or 0)
    ]
    return max(starts), region.end  # the innermost function


def names_exercise(failure: Outcome, exercise: Exercise, root: Path) -> bool:
    """Does this failure point the student at `exercise`?"""
    if exercise.describe() in failure.message:
        return True
    match = re.match(r"(?P<file>[^:]+):(?P<line>\d+) in ", failure.where)
    if match and match["file"] == f"tinytorch/{exercise.file}":
        start, end = _function_span(root / "tinytorch" / exercise.file, exercise.qualname)
        if start <= int(match["line"]) <= end:
            return True
    return _squash(exercise.qualname) in _squash(failure.name)


def _explain(result: GradeResult) -> str:
    lines = [result.summary()]
    for test in result.tests:
        if test.outcome != "passed":
            where = test.where or "?"
            lines.append(f"- {test.name} ({test.outcome}, raised in {where}):\n{test.message.strip()[:600]}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ fast tests


def test_mutation_entries_are_complete():
    raw = json.loads(MUTATIONS_FILE.read_text(encoding="utf-8"))
    for entry in raw["mutations"]:
        assert set(entry) == FIELDS, (
            f"mutation {entry.get('qualname')}: fields {sorted(entry)}, expected {sorted(FIELDS)}"
        )
        assert all(isinstance(entry[key], str) and entry[key] for key in ("file", "qualname", "find", "bug")), entry
        assert entry["find"] != entry["replace"], f"mutation of {entry['qualname']} changes nothing"


def test_every_exercise_of_every_checked_module_has_exactly_one_mutation():
    planted = [(m.file, m.qualname) for m in MUTATIONS]
    for mutation in MUTATIONS:
        exercise = mutation.exercise  # raises for a name that is no exercise
        assert MANIFEST.path(MANIFEST.module(exercise.module).check).is_file(), (
            f"mutation of {mutation.qualname}: module {exercise.module:02d} has no check to catch it"
        )
    for module in CHECKED:
        for exercise in module.exercises:
            count = planted.count((exercise.file, exercise.qualname))
            assert count == 1, f"{exercise.describe()} has {count} mutations in {MUTATIONS_FILE.name}, expected 1"


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.id)
def test_mutation_applies_inside_its_region_and_compiles(mutation: Mutation):
    path = REFERENCE / mutation.file
    text = mutated_text(mutation, path.read_text(encoding="utf-8"), path)
    compile(text, str(path), "exec")
    assert text != path.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------ slow tests


SLOW_TEST = "test_check_catches_the_planted_bug_and_names_the_function"


@pytest.fixture(scope="module")
def graded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Path, GradeResult]]:
    """Every mutation selected in this session, planted and graded once, one grading process per core.

    Each grading is a separate process that mostly waits on its own import and pytest start-up, so
    running them side by side halves the slow suite on two cores. Keyed by mutation id; the value is
    the package root (kept, to locate functions in the mutated files) and the result.
    """
    selected = [
        item.callspec.params["mutation"]
        for item in request.session.items
        if getattr(item, "originalname", "") == SLOW_TEST and hasattr(item, "callspec")
    ]

    def grade(mutation: Mutation) -> tuple[str, tuple[Path, GradeResult]]:
        root = plant(mutation, tmp_path_factory.mktemp(f"mutation-{mutation.id}"))
        check = MANIFEST.path(MANIFEST.module(mutation.exercise.module).check)
        return mutation.id, (root, run_check(check, root))

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(pool.map(grade, selected))


@pytest.mark.slow
@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.id)
def test_check_catches_the_planted_bug_and_names_the_function(mutation: Mutation, graded):
    exercise = mutation.exercise
    module = MANIFEST.module(exercise.module)
    root, result = graded[mutation.id]
    assert not result.passed, (
        f"check {module.check} passes with a planted bug in {exercise.describe()}: {mutation.bug}"
    )
    first = result.first_failure
    assert first is not None, f"the check failed without a failing test: {result.problem}"
    assert names_exercise(first, exercise, root), (
        f"planted bug in {exercise.describe()} ({mutation.bug}) is caught, but the first failure does not "
        f"point at it:\n{_explain(result)}"
    )
