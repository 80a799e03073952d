"""A new student's course, end to end, through the `tito` command line (slow).

`tito init` makes a fresh workspace; then, module by module in the manifest's order, the student
"writes" each exercise (the reference body is pasted into the workspace's region, as a student
would type it) and runs `tito module complete N`. After each module the milestones the manifest
promises must unlock, no sooner. The milestones run on the WORKSPACE's code: before the student
writes a milestone's last module, running it fails; afterwards it passes.

A workspace where every exercise is written but one fails `tito module complete N`, and the output
names the function still to write (PITFALLS 1: grading the wrong code).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tito.manifest import Module, load_manifest, reference_package
from tito.progress import Status, all_states, missing_for
from tito.regions import Region, find_regions
from tito.workspace import Workspace

MANIFEST = load_manifest()
REFERENCE = reference_package()
CHECKED = [m for m in MANIFEST.modules if MANIFEST.path(m.check).is_file()]
WATCHED_MILESTONES = (1, 2)  # quick to run: the perceptron (modules 01-04) and XOR (01-06)

pytestmark = pytest.mark.slow


def tito(workspace: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m tito ARGS` run inside the workspace, as the student types it."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "tito", *args], check=False, cwd=workspace, env=env, capture_output=True, text=True,
        encoding="utf-8", timeout=600,
    )  # fmt: skip


def _output(result: subprocess.CompletedProcess) -> str:
    return f"exit code {result.returncode}\n{result.stdout}\n{result.stderr}"


def _module_regions(path: Path, module: int) -> dict[str, Region]:
    return {r.qualname: r for r in find_regions(path.read_text(encoding="utf-8"), path) if r.module == module}


def write_exercises(workspace: Path, module: Module, only: set[str] | None = None) -> None:
    """Paste the reference body of each of `module`'s regions (or of those named in `only`)."""
    for file in module.files:
        target, source = workspace / "tinytorch" / file, REFERENCE / file
        mine, reference = _module_regions(target, module.number), _module_regions(source, module.number)
        assert set(mine) == set(reference), f"{file}: the workspace's regions differ from the reference's"
        lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
        reference_text = source.read_text(encoding="utf-8")
        for qualname, region in sorted(mine.items(), key=lambda item: item[1].begin, reverse=True):
            if only is None or qualname in only:
                lines[region.begin - 1 : region.end] = reference[qualname].lines(reference_text)
        target.write_text("".join(lines), encoding="utf-8")


def blank_exercise(workspace: Path, file: str, qualname: str) -> None:
    """Put back the blank body of one exercise (from the blank edition tito keeps in .tito/)."""
    target, blank = workspace / "tinytorch" / file, workspace / ".tito" / "blank" / "tinytorch" / file
    region = next(r for r in find_regions(target.read_text(encoding="utf-8"), target) if r.qualname == qualname)
    fresh = next(r for r in find_regions(blank.read_text(encoding="utf-8"), blank) if r.qualname == qualname)
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[region.begin - 1 : region.end] = fresh.lines(blank.read_text(encoding="utf-8"))
    target.write_text("".join(lines), encoding="utf-8")


def unlocked(workspace: Path) -> set[int]:
    states = all_states(Workspace(workspace), MANIFEST)
    return {m.id for m in MANIFEST.milestones if not missing_for(m, states)}


def expected_unlocked(completed: set[int]) -> set[int]:
    return {m.id for m in MANIFEST.milestones if set(m.requires) <= completed}


def test_a_new_student_completes_every_checked_module_and_runs_the_milestones(tmp_path):
    workspace = tmp_path / "course"
    result = tito(tmp_path, "init", str(workspace))
    assert result.returncode == 0, _output(result)
    assert unlocked(workspace) == set()
    last_module = {m.id: max(m.requires) for m in MANIFEST.milestones if m.id in WATCHED_MILESTONES}
    completed: set[int] = set()
    for module in CHECKED:
        for milestone, last in last_module.items():
            if last == module.number:  # the student has not written this module yet
                result = tito(workspace, "milestone", "run", str(milestone))
                assert result.returncode != 0, (
                    f"milestone {milestone} passes before module {module.nn} is written: "
                    f"it does not run the workspace's code\n{_output(result)}"
                )
        write_exercises(workspace, module)
        result = tito(workspace, "module", "complete", str(module.number))
        assert result.returncode == 0, f"tito module complete {module.number} failed:\n{_output(result)}"
        completed.add(module.number)
        states = all_states(Workspace(workspace), MANIFEST)
        assert states[module.number].status is Status.COMPLETED, states[module.number]
        now = unlocked(workspace)
        assert now == expected_unlocked(completed), (
            f"after completing {sorted(completed)}: milestones {sorted(now)} unlocked, "
            f"the manifest says {sorted(expected_unlocked(completed))}"
        )
        for milestone in sorted(now - expected_unlocked(completed - {module.number})):
            assert f"Milestone {milestone} unlocked" in result.stdout, _output(result)
        for milestone, last in last_module.items():
            if last == module.number:
                result = tito(workspace, "milestone", "run", str(milestone))
                assert result.returncode == 0 and "PASSED" in result.stdout, (
                    f"milestone {milestone} fails on the workspace after module {module.nn}:\n{_output(result)}"
                )
    assert {6} <= completed, "the course has no check for module 06: milestone 2 was never run"


@pytest.mark.parametrize("module", CHECKED, ids=lambda m: m.name)
def test_one_blank_exercise_fails_completion_and_names_the_function(module: Module, tmp_path):
    workspace = tmp_path / "course"
    assert tito(tmp_path, "init", str(workspace)).returncode == 0
    for earlier in CHECKED:
        if earlier.number <= module.number:
            write_exercises(workspace, earlier)
    missing = module.exercises[-1]
    blank_exercise(workspace, missing.file, missing.qualname)
    result = tito(workspace, "module", "complete", str(module.number))
    assert result.returncode == 1, f"module {module.nn} completes with {missing.describe()} blank:\n{_output(result)}"
    assert f"Module {module.nn}: {missing.qualname}" in result.stdout, (
        f"the output does not name {missing.qualname}, the function still to write:\n{_output(result)}"
    )
    assert all_states(Workspace(workspace), MANIFEST)[module.number].status is Status.FAILING
